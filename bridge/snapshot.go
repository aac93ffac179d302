package bridge

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/emscripten"
	"github.com/pglite-go/pglite/emscripten/vfs"
	"github.com/pglite-go/pglite/internal/logfield"
)

// Template is a booted in-memory instance frozen for cloning: its linear memory, host state
// and a copy-on-write clone of its file system. New instances start from it in
// milliseconds (OpenTemplate, or Config.Template) instead of copying a cluster and booting
// PostgreSQL, which takes hundreds of milliseconds, and they share its memory pages and
// file chunks until they write them. A Template is immutable and safe for concurrent use.
type Template struct {
	eng  *engine
	cfg  Config
	snap *emscripten.Snapshot
	fs   *vfs.FS
}

// Snapshot freezes the instance's current state into a Template. The instance must be idle
// (no Exec running) and in memory (no DataDir); it stays usable and independent of the
// Template afterwards. Extension libraries it has loaded (plpgsql, CREATE EXTENSION) are
// linked again in every clone at the same addresses. The backend session is captured as
// it is, so callers normally reset it first (DISCARD ALL).
func (inst *Instance) Snapshot() (*Template, error) {
	switch {
	case inst.closed:
		return nil, ErrClosed
	case inst.broken != nil:
		return nil, inst.broken
	case inst.cfg.DataDir != "":
		return nil, errors.New("bridge: snapshot: only in-memory instances can be snapshotted")
	}
	snap, err := inst.proc.Snapshot()
	if err != nil {
		return nil, fmt.Errorf("bridge: snapshot: %w", err)
	}
	cfg := inst.cfg
	// OnReload belongs to whoever serves the instance, not to its clones' servers.
	cfg.ReuseFS, cfg.Template, cfg.OnReload = nil, nil, nil
	return &Template{eng: inst.eng, cfg: cfg, snap: snap, fs: inst.fs.Clone()}, nil
}

// Config returns the configuration of the instance the template was taken from.
func (t *Template) Config() Config { return t.cfg }

// MemorySize is the size of the template's linear memory in bytes (mostly untouched
// pages, which cost nothing).
func (t *Template) MemorySize() int { return t.snap.Size() }

// OpenTemplate starts a new instance as a copy of t. log replaces the template's logger
// (pass the zero Logger for none). The instance is independent of t and of every other
// clone; closing it never affects them.
func OpenTemplate(ctx context.Context, t *Template, log zerolog.Logger) (*Instance, error) {
	return openTemplate(ctx, t, log, 0, nil)
}

// openTemplate is OpenTemplate with a memory limit (0: the template's own) and the
// clone's own pg_reload_conf hook (Config.OnReload).
func openTemplate(ctx context.Context, t *Template, log zerolog.Logger, maxMemory uint64, onReload func()) (*Instance, error) {
	cfg := t.cfg
	cfg.Logger, cfg.Template, cfg.OnReload = log, t, onReload
	if maxMemory != 0 {
		cfg.MaxMemory = maxMemory
	}
	if cfg.MaxMemory != 0 && uint64(t.snap.Size()) > cfg.MaxMemory {
		return nil, fmt.Errorf("%w: MaxMemory %s is below the template's %s", ErrMemoryLimit,
			FormatSize(cfg.MaxMemory), FormatSize(uint64(t.snap.Size())))
	}
	return openClone(ctx, cfg)
}

// openClone builds a fresh process the way boot does (constructors, callbacks) and loads
// the template's memory and host state into it, on a clone of its file system.
func openClone(ctx context.Context, cfg Config) (*Instance, error) {
	t := cfg.Template
	start := time.Now()
	inst := &Instance{cfg: cfg, log: cfg.Logger.With().Str("component", "bridge").Logger(), eng: t.eng}
	inst.fs = t.fs.Clone()
	inst.Timings.ClusterFromTemplate = true
	var cbs [8]emscripten.CallbackFunc
	cbs[cbRead] = inst.readCallback
	cbs[cbWrite] = inst.writeCallback
	cbs[cbReload] = reloadConfCallback(cfg.OnReload)
	p, err := newBackendProcess(emscripten.WithMemoryLimit(ctx, cfg.MaxMemory), t.eng, inst.fs, "main", inst.log, cbs)
	if err != nil {
		return nil, err
	}
	if err := p.Restore(t.snap); err != nil {
		p.Close()
		return nil, fmt.Errorf("bridge: clone: %w", err)
	}
	inst.proc = p
	if inst.driver, err = newDriver(p); err != nil {
		p.Close()
		return nil, fmt.Errorf("bridge: clone: %w", err)
	}
	inst.armInterrupts()
	inst.Timings.Boot = time.Since(start)
	inst.log.Debug().Float64("clone_ms", logfield.Millis(inst.Timings.Boot)).Msg("instance cloned from template")
	return inst, nil
}

// armInterrupts points Cancel and ReloadConfig at the backend's flags and lets the process see
// them, as boot does.
func (inst *Instance) armInterrupts() {
	inst.interruptPending = inst.globalInt32("InterruptPending")
	inst.queryCancel = inst.globalInt32("QueryCancelPending")
	inst.configReload = inst.globalInt32("ConfigReloadPending")
	inst.armTimeouts()
	inst.limitNativeStack()
	if addr, ok := inst.proc.GlobalAddress("InterruptPending"); ok {
		inst.proc.SetInterruptWord(addr)
	}
}
