package actors

import (
	"context"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// reloadConfig asks a Bridge's backend to re-read its configuration files before its next
// command (SIGHUP).
type reloadConfig struct{}

// Reload is what SIGHUP or pg_reload_conf() does to PostgreSQL: every database's backend
// re-reads postgresql.conf and postgresql.auto.conf before its next command, and the server
// re-reads each database's pg_hba.conf (see ReloadHBA). A file that does not parse is logged
// and the old settings or rules stay; the pg_hba.conf errors are returned.
func (h *Handle) Reload(ctx context.Context) error {
	select {
	case <-h.done:
		return h.err
	default:
	}
	h.system.Root.Send(h.Supervisor(), &reloadConfig{})
	return h.ReloadHBA(ctx)
}

// reloadHook is bridge.Config.OnReload: a client called pg_reload_conf(). It runs inside the
// query, so the reload goes on in the background.
func (h *Handle) reloadHook() {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := h.Reload(ctx); err != nil {
			h.log.Error().Err(err).Msg("reload after pg_reload_conf() failed; the previous configuration stays in force")
		}
	}()
}

// forwardReload passes a reload to every running Bridge.
func (s *supervisorActor) forwardReload(ctx actor.Context) {
	if s.dbs == nil {
		if s.bridge != nil {
			ctx.Send(s.bridge, &reloadConfig{})
		}
		return
	}
	for _, db := range s.dbs {
		if db.pid != nil {
			ctx.Send(db.pid, &reloadConfig{})
		}
	}
}
