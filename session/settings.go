package session

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pglite-go/pglite/bridge"
	"github.com/pglite-go/pglite/protocol"
)

// The backend holds one client's session state at a time. A PostgreSQL backend gets its
// state once, at connection start: startup options become reset values (source client),
// the login user becomes session_authorization's reset value (source override), and SETs are
// session-level values on top. The shared backend gets the same three layers again each time
// it passes to a client whose state differs, so that RESET, RESET ALL, DISCARD ALL and RESET
// SESSION AUTHORIZATION return to what that client's own server would return to.

// backendState is the per-client state the backend holds now.
type backendState struct {
	owner    uint64
	user     string
	startup  map[string]string // the owner's startup options, which RESET returns to
	settings map[string]string // its session-level settings (SET)
	// settingsPending: the owner changed a setting inside a transaction or pipeline that is
	// still open; its settings are read once it is idle.
	settingsPending bool
	// tempPending: the owner's SQL may have created temporary objects; they are listed
	// once it is idle, like its settings.
	tempPending bool
}

// captureSettings reads the session-level settings the current client has made, including
// its session authorization and role, which pg_settings does not list.
func (b *Backend) captureSettings() (map[string]string, error) {
	rows, err := b.query("select name, setting from pg_catalog.pg_settings where source = 'session'" +
		" union all select 'role', pg_catalog.current_setting('role')" +
		" union all select 'session_authorization', pg_catalog.current_setting('session_authorization')")
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		if len(r) != 2 {
			continue
		}
		switch {
		case r[0] == "role" && r[1] == "none":
		case r[0] == "session_authorization" && (r[1] == b.cur.user || r[1] == ""):
		default:
			out[r[0]] = r[1]
		}
	}
	return out, nil
}

// switchTo makes the backend hold s's state. Clients with the same state share it, so
// switching between them costs nothing.
func (b *Backend) switchTo(s *Session) error {
	if b.cur.owner == s.id {
		return nil
	}
	settings := s.settingsNow()
	if b.cur.user == s.user && maps.Equal(b.cur.startup, s.startup) && maps.Equal(b.cur.settings, settings) {
		b.cur.owner = s.id
		return nil
	}
	// Reset values: the new client's startup options, and the server's values back for
	// those only the previous client had.
	ctxBackend := bridge.GucContextBackend // as PostgreSQL's process_startup_options
	if s.super {
		ctxBackend = bridge.GucContextSUBackend
	}
	apply := func(name, value string) error {
		err := b.inst.SetOption(name, value, ctxBackend, bridge.GucSourceClient)
		if errors.Is(err, bridge.ErrBroken) {
			return err
		}
		if err != nil {
			b.cfg.Log.Debug().Err(err).Uint64("conn_id", s.id).Msg("startup option not applied")
		}
		return nil
	}
	for name, value := range s.startup {
		if b.cur.startup[name] != value {
			if err := apply(name, value); err != nil {
				return err
			}
		}
	}
	for name := range b.cur.startup {
		if _, ok := s.startup[name]; !ok {
			if v, known := b.resets[strings.ToLower(name)]; known {
				if err := apply(name, v); err != nil {
					return err
				}
			}
		}
	}
	if b.cur.user != s.user {
		err := b.inst.SetOption("session_authorization", s.user, bridge.GucContextBackend, bridge.GucSourceOverride)
		if errors.Is(err, bridge.ErrBroken) {
			return err
		}
	}
	// Session-level values on top, as after the client's own SETs.
	var q strings.Builder
	q.WriteString("RESET ALL; RESET SESSION AUTHORIZATION;")
	if len(settings) > 0 {
		q.WriteString(" SELECT ")
		for i, k := range sortedKeys(settings) {
			if i > 0 {
				q.WriteString(", ")
			}
			fmt.Fprintf(&q, "pg_catalog.set_config(%s, %s, false)", protocol.QuoteLiteral(k), protocol.QuoteLiteral(settings[k]))
		}
	}
	if _, err := b.query(q.String()); err != nil {
		if errors.Is(err, bridge.ErrBroken) {
			return err
		}
		b.cfg.Log.Warn().Err(err).Uint64("conn_id", s.id).Msg("could not restore session settings")
	}
	b.cur = backendState{owner: s.id, user: s.user, startup: s.startup, settings: settings}
	return nil
}

// settingsNow reads the session's settings under the Backend's lock.
func (s *Session) settingsNow() map[string]string {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	return s.settings
}

// sortedKeys orders settings so that session_authorization is set before role, which
// depends on it, and the rest in a stable order.
func sortedKeys(m map[string]string) []string {
	keys := slices.Collect(maps.Keys(m))
	rank := func(k string) int {
		switch k {
		case "session_authorization":
			return 0
		case "role":
			return 1
		}
		return 2
	}
	slices.SortFunc(keys, func(a, b string) int {
		if d := rank(a) - rank(b); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	return keys
}
