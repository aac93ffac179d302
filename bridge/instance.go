package bridge

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/emscripten"
	"github.com/pglite-go/pglite/emscripten/vfs"
	"github.com/pglite-go/pglite/internal/logfield"
)

// Errors of an Instance.
var (
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("bridge: instance closed")
	// ErrBroken wraps the fault that ended an instance (a trap, an unexpected exit status or
	// a FATAL). The owner must rebuild the instance; its data directory stays valid.
	ErrBroken = errors.New("bridge: instance broken")
)

// BrokenError says why an instance can no longer run queries.
type BrokenError struct {
	Op    string
	Cause error
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("bridge: instance broken during %s: %v", e.Op, e.Cause)
}
func (e *BrokenError) Unwrap() error        { return e.Cause }
func (e *BrokenError) Is(target error) bool { return target == ErrBroken }

// Instance is one PostgreSQL backend running in WebAssembly. It is not safe for concurrent
// use: one goroutine at a time calls Exec. Cancel may be called from any goroutine.
type Instance struct {
	cfg  Config
	log  zerolog.Logger
	eng  *engine
	proc *emscripten.Process
	// driver runs ExecStream's batch loop inside the engine.
	driver *emscripten.Driver
	fs     *vfs.FS

	// exchange state, valid during Exec
	in     []byte
	inOff  int
	more   func() ([]byte, error)
	out    func([]byte) error
	outErr error

	interruptPending *int32
	queryCancel      *int32
	configReload     *int32
	broken           error
	closed           bool
	dirLock          *dataDirLock    // held while the instance lives, for a host data dir
	guard            copyGuard       // see copyguard.go; valid during Exec
	timeoutBase      uint32          // InterruptPending's address, for timeouts.go
	timedOut         *SessionTimeout // a session timeout that fired, until taken
	Timings          Timings
}

// Timings records how long each startup phase took.
type Timings struct {
	Assets, Compile, Cluster, Boot time.Duration
	ClusterFromTemplate, Initdb    bool
}

// Open starts a PostgreSQL instance: it loads the assets, compiles (once per process), makes
// a cluster if the data directory has none (by copying the cached template, running initdb
// the first time), and boots the single-user backend.
func Open(ctx context.Context, cfg Config) (*Instance, error) {
	if t := cfg.Template; t != nil && cfg.DataDir == "" && cfg.ReuseFS == nil {
		return openTemplate(ctx, t, cfg.Logger, cfg.MaxMemory, cfg.OnReload)
	}
	if err := cfg.checkMemory(); err != nil {
		return nil, err
	}
	start := time.Now()
	a, err := loadAssets(ctx, cfg.AssetsDir, cfg.Logger.With().Str("component", "bridge").Logger())
	if err != nil {
		return nil, err
	}
	inst := &Instance{cfg: cfg, log: cfg.Logger.With().Str("component", "bridge").Logger()}
	inst.Timings.Assets = time.Since(start)
	t := time.Now()
	if inst.eng, err = getEngine(ctx, a, cfg.Engine, cfg.compileCacheDir(), inst.log); err != nil {
		return nil, err
	}
	inst.Timings.Compile = time.Since(t)
	t = time.Now()
	if inst.fs, err = inst.prepareFS(ctx); err != nil {
		inst.release()
		return nil, err
	}
	inst.Timings.Cluster = time.Since(t)
	t = time.Now()
	if err := inst.bootDatabase(ctx, inst.Timings.ClusterFromTemplate); err != nil {
		err = inst.explainBoot(err)
		inst.release()
		return nil, err
	}
	inst.Timings.Boot = time.Since(t)
	inst.log.Info().Float64("assets_ms", logfield.Millis(inst.Timings.Assets)).
		Float64("compile_ms", logfield.Millis(inst.Timings.Compile)).
		Float64("cluster_ms", logfield.Millis(inst.Timings.Cluster)).
		Float64("boot_ms", logfield.Millis(inst.Timings.Boot)).
		Bool("initdb", inst.Timings.Initdb).Str("data_dir", cfg.DataDir).
		Str("engine", inst.eng.rt.Engine()).Str("engine_version", inst.eng.rt.EngineVersion()).Msg("instance ready")
	return inst, nil
}

// Engine names the WebAssembly engine the instance runs on ("wazero" or "wasmtime").
func (inst *Instance) Engine() string { return inst.eng.rt.Engine() }

func (c *Config) compileCacheDir() string {
	if c.CacheDir == "" {
		return ""
	}
	return filepath.Join(c.CacheDir, "wazero")
}

// newFS builds a file system over the bundle with the standard devices.
func newFS(a *Assets) *vfs.FS {
	fs := vfs.New(a.Bundle)
	fs.AddDevice("/dev/null", vfs.Null{}, 0x0103)
	fs.AddDevice("/dev/tty", vfs.Null{}, 0x0500)
	fs.AddDevice("/dev/tty1", vfs.Null{}, 0x0601)
	fs.AddDevice("/dev/random", vfs.Random{}, 0x0108)
	fs.AddDevice("/dev/urandom", vfs.Random{}, 0x0109)
	return fs
}

// prepareFS mounts PGDATA and makes sure it holds a cluster.
func (inst *Instance) prepareFS(ctx context.Context) (*vfs.FS, error) {
	if inst.cfg.ReuseFS != nil && inst.cfg.DataDir == "" {
		return inst.cfg.ReuseFS, nil
	}
	if inst.cfg.DataDir == "" {
		return inst.memoryFS(ctx)
	}
	return inst.hostFS(ctx)
}

// memoryFS is a copy-on-write clone of the process's template file system: no file bytes
// are copied until the new database writes them.
func (inst *Instance) memoryFS(ctx context.Context) (*vfs.FS, error) {
	var fs *vfs.FS
	var fromCache bool
	var err error
	if inst.cfg.Cluster != "" {
		fs, err = clusterFS(inst.eng, inst.cfg.Cluster, inst.cfg.CacheDir, false)
		fromCache = true
	} else {
		fs, fromCache, err = templateFS(ctx, inst.eng, inst.cfg.CacheDir, inst.log)
	}
	if err != nil {
		return nil, err
	}
	inst.Timings.ClusterFromTemplate, inst.Timings.Initdb = true, !fromCache
	if err := inst.installExtensions(fs); err != nil {
		return nil, err
	}
	return fs, nil
}

// hostFS mounts the data directory, copying the template cluster into it when it has none.
func (inst *Instance) hostFS(ctx context.Context) (*vfs.FS, error) {
	fs := newFS(inst.eng.assets)
	if err := inst.installExtensions(fs); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(inst.cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("bridge: data dir: %w", err)
	}
	lock, err := lockDataDir(inst.cfg.DataDir)
	if err != nil {
		return nil, err
	}
	inst.dirLock = lock
	if _, err := os.Stat(filepath.Join(inst.cfg.DataDir, "PG_VERSION")); err != nil {
		tmpl, fromCache, err := templateCluster(ctx, inst.eng, inst.cfg.CacheDir, inst.log)
		if err != nil {
			return nil, err
		}
		inst.Timings.ClusterFromTemplate, inst.Timings.Initdb = true, !fromCache
		if err := copyDir(tmpl, inst.cfg.DataDir); err != nil {
			return nil, fmt.Errorf("bridge: copy template: %w", err)
		}
	}
	if err := fs.MountHost(guestPGDATA, inst.cfg.DataDir); err != nil {
		return nil, fmt.Errorf("bridge: mount data dir: %w", err)
	}
	return fs, nil
}

// Callback slots of the backend process.
const (
	cbRead   = emscripten.CallbackII0
	cbWrite  = emscripten.CallbackII1
	cbPopen  = emscripten.CallbackII2
	cbSystem = emscripten.CallbackI0
	cbPclose = emscripten.CallbackI1
	cbReload = emscripten.CallbackI2 // pg_reload_conf, see reloadconf.go
)

// newBackendProcess creates a pglite.wasm process with its constructors run and its
// callbacks registered, as PGlite's module factory does.
func newBackendProcess(ctx context.Context, eng *engine, fs *vfs.FS, name string, log zerolog.Logger, cbs [8]emscripten.CallbackFunc) (*emscripten.Process, error) {
	cfg := emscripten.ProcessConfig{
		Name: name, FS: fs, Env: backendEnv("postgres", "postgres"), Logger: log,
		Stdout: logWriter(log, name, "stdout"), Stderr: logWriter(log, name, "stderr"),
		OnUnresolved: raiseUnresolved, OnStackOverflow: raiseStackDepth, StrictLibrary: isConversionLibrary,
	}
	if cbs[cbPopen] == nil {
		cbs[cbPopen] = popenLocale
	}
	if cbs[cbPclose] == nil {
		cbs[cbPclose] = pcloseLocale
	}
	if cbs[cbReload] == nil {
		cbs[cbReload] = reloadConfCallback(nil)
	}
	if cbs[cbSystem] == nil {
		cbs[cbSystem] = func(p *emscripten.Process, s []uint64) {
			log.Warn().Str("command", p.CString(uint32(s[0]))).Msg("postgres tried to execute a command")
			s[0] = 1
		}
	}
	cfg.Callbacks = cbs
	p, err := eng.rt.NewProcess(ctx, eng.pglite, cfg)
	if err != nil {
		return nil, err
	}
	if err := p.RunCtors(); err != nil {
		p.Close()
		return nil, fmt.Errorf("bridge: constructors: %w", err)
	}
	for _, reg := range []struct {
		setter string
		slots  []int
	}{
		{"pgl_set_system_fn", []int{cbSystem}},
		{"pgl_set_popen_fn", []int{cbPopen}},
		{"pgl_set_pclose_fn", []int{cbPclose}},
		{"pgl_set_rw_cbs", []int{cbRead, cbWrite}},
	} {
		var args []uint64
		for _, s := range reg.slots {
			idx, err := p.InstallCallback(s)
			if err != nil {
				p.Close()
				return nil, err
			}
			args = append(args, uint64(idx))
		}
		if _, err := p.Call(reg.setter, args...); err != nil {
			p.Close()
			return nil, fmt.Errorf("bridge: %s: %w", reg.setter, err)
		}
	}
	// Installed after the others, so a restored snapshot finds it at the same index.
	idx, err := p.InstallCallback(cbReload)
	if err == nil {
		err = replaceBuiltin(p, pgReloadConfOID, "pg_reload_conf", idx)
	}
	if err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// popenLocale answers popen("locale -a", "r") from the bundle's /pglite/locale-a, as PGlite
// does; any other command fails (NULL).
func popenLocale(p *emscripten.Process, s []uint64) {
	cmd, mode := p.CString(uint32(s[0])), p.CString(uint32(s[1]))
	if len(cmd) >= 9 && cmd[:9] == "locale -a" && mode == "r" {
		s[0] = uint64(fopen(p, "/pglite/locale-a", "r"))
		return
	}
	s[0] = 0
}

func pcloseLocale(p *emscripten.Process, s []uint64) {
	if s[0] != 0 {
		callIn(p, "fclose", s[0])
	}
	s[0] = 0
}

// fopen calls the guest's fopen with strings on its stack, from inside a host callback.
func fopen(p *emscripten.Process, path, mode string) uint32 {
	sp := p.StackPointer()
	defer p.SetStackPointer(sp)
	a, _ := p.StackString(path)
	b, _ := p.StackString(mode)
	return uint32(callIn(p, "fopen", uint64(a), uint64(b)))
}

// callIn calls an export from inside a callback; failures keep unwinding to the outer call.
func callIn(p *emscripten.Process, name string, args ...uint64) uint64 {
	r, err := p.Call(name, args...)
	if err != nil {
		panic(err)
	}
	return r
}

// boot starts the single-user backend: main() must end with exit(99), "ready and idle",
// after which pgl_startPGlite builds the fake client connection.
func (inst *Instance) boot(ctx context.Context) error {
	var cbs [8]emscripten.CallbackFunc
	cbs[cbRead] = inst.readCallback
	cbs[cbWrite] = inst.writeCallback
	cbs[cbReload] = reloadConfCallback(inst.cfg.OnReload)
	p, err := newBackendProcess(emscripten.WithMemoryLimit(ctx, inst.cfg.MaxMemory), inst.eng, inst.fs, "main", inst.log, cbs)
	if err != nil {
		return err
	}
	inst.proc = p
	if _, err := p.Call("pgl_setPGliteActive", 1); err != nil {
		return fmt.Errorf("bridge: activate: %w", err)
	}
	status, err := p.CallMain(bootArgs(&inst.cfg))
	if err != nil {
		return &BrokenError{Op: "boot", Cause: err}
	}
	if status != 99 {
		return &BrokenError{Op: "boot", Cause: fmt.Errorf("postgres exited with status %d (see its log)", status)}
	}
	if _, err := p.Call("pgl_startPGlite"); err != nil {
		return &BrokenError{Op: "start", Cause: err}
	}
	if inst.driver, err = newDriver(p); err != nil {
		return fmt.Errorf("bridge: %w", err)
	}
	inst.armInterrupts()
	return inst.enableGUCReports()
}

// globalInt32 points at an exported C variable. The memory is a fixed reserved mapping, so
// the pointer stays valid across growth; it is written atomically from other goroutines.
func (inst *Instance) globalInt32(name string) *int32 {
	addr, ok := inst.proc.GlobalAddress(name)
	if !ok {
		return nil
	}
	return (*int32)(unsafe.Pointer(&inst.proc.Memory()[addr]))
}

// Cancel interrupts the running query, like a CancelRequest: it raises the backend's
// QueryCancelPending and InterruptPending flags, which the next CHECK_FOR_INTERRUPTS() sees.
// It is safe from any goroutine; with no query running the backend ignores it at the next
// command read.
func (inst *Instance) Cancel() {
	if inst.queryCancel == nil {
		return
	}
	atomic.StoreInt32(inst.queryCancel, 1)
	atomic.StoreInt32(inst.interruptPending, 1)
}

// Close shuts PostgreSQL down cleanly: pgl_run_atexit_funcs writes the shutdown checkpoint
// and pg_control and removes postmaster.pid; then libc's atexit handlers flush stdio.
func (inst *Instance) Close() error {
	if inst.closed {
		return nil
	}
	inst.closed = true
	defer inst.release()
	if inst.proc == nil || inst.broken != nil {
		return inst.broken
	}
	return inst.runShutdown()
}

// runShutdown runs PostgreSQL's shutdown in the live process.
func (inst *Instance) runShutdown() error {
	p := inst.proc
	if p == nil || inst.broken != nil {
		return inst.broken
	}
	var firstErr error
	for _, step := range []struct {
		name string
		args []uint64
	}{{"pgl_setPGliteActive", []uint64{0}}, {"pgl_run_atexit_funcs", nil}, {"__funcs_on_exit", nil}, {"fflush", []uint64{0}}} {
		if _, err := p.Call(step.name, step.args...); err != nil {
			if _, ok := emscripten.ExitStatus(err); ok {
				continue
			}
			if firstErr == nil {
				firstErr = fmt.Errorf("bridge: close: %s: %w", step.name, err)
			}
			break
		}
	}
	inst.log.Info().Err(firstErr).Msg("instance closed")
	return firstErr
}

func (inst *Instance) release() {
	if inst.proc != nil {
		inst.proc.Close()
		inst.proc = nil
	}
	inst.dirLock.unlock()
	inst.dirLock = nil
}

// ReusableFS returns the in-memory file system, for Config.ReuseFS after a failure.
func (inst *Instance) ReusableFS() *vfs.FS { return inst.fs }

// Broken reports the fault that ended the instance, or nil.
func (inst *Instance) Broken() error { return inst.broken }

// Process exposes the underlying process (for diagnostics and snapshots).
func (inst *Instance) Process() *emscripten.Process { return inst.proc }
