package bridge

import (
	"context"
	"fmt"
	"strings"

	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/emscripten"
	"github.com/pglite-go/pglite/emscripten/vfs"
)

// runInitdb creates a cluster in fs's /pglite/data the way PGlite does (contract §5.3):
// initdb.wasm (I) runs with its system/popen/pclose callbacks turned into runs of a second
// pglite.wasm process (H). Before every run H's linear memory is reset to a snapshot taken
// right after its construction, while its descriptor table persists: H's stdin and stdout
// stay redirected to /pglite/pgstdin and /pglite/pgstdout, whose positions advance from run
// to run, so the post-bootstrap run reads only what initdb wrote after the BKI script.
func runInitdb(ctx context.Context, eng *engine, fs *vfs.FS, log zerolog.Logger) error {
	r := &initdbRun{log: log.With().Str("component", "initdb").Logger()}
	var hcbs [8]emscripten.CallbackFunc
	h, err := newBackendProcess(ctx, eng, fs, "initdb-helper", r.log, hcbs)
	if err != nil {
		return fmt.Errorf("bridge: initdb helper: %w", err)
	}
	defer h.Close()
	r.h = h
	r.snapshot = append([]byte(nil), h.Memory()...)

	var icbs [8]emscripten.CallbackFunc
	icbs[cbSystem] = r.system
	icbs[cbPopen] = r.popen
	icbs[cbPclose] = r.pclose
	i, err := eng.rt.NewProcess(ctx, eng.initdb, emscripten.ProcessConfig{
		Name: "initdb", FS: fs, Env: initdbEnv(), Logger: r.log, Callbacks: icbs,
		Stdout: logWriter(r.log, "initdb", "stdout"), Stderr: logWriter(r.log, "initdb", "stderr"),
	})
	if err != nil {
		return fmt.Errorf("bridge: initdb: %w", err)
	}
	defer i.Close()
	r.i = i
	if err := i.RunCtors(); err != nil {
		return fmt.Errorf("bridge: initdb: constructors: %w", err)
	}
	for _, reg := range []struct {
		setter string
		slot   int
	}{{"pgl_set_system_fn", cbSystem}, {"pgl_set_popen_fn", cbPopen}, {"pgl_set_pclose_fn", cbPclose}} {
		idx, err := i.InstallCallback(reg.slot)
		if err != nil {
			return err
		}
		if _, err := i.Call(reg.setter, uint64(idx)); err != nil {
			return fmt.Errorf("bridge: initdb: %s: %w", reg.setter, err)
		}
	}
	if err := r.redirect(); err != nil {
		return err
	}
	status, err := i.CallMain([]string{guestInitdb, "--allow-group-access", "--encoding", "UTF8",
		"--locale=C.UTF-8", "--locale-provider=libc", "--auth=trust"})
	if err != nil {
		return fmt.Errorf("bridge: initdb: %w", err)
	}
	if r.err != nil {
		return fmt.Errorf("bridge: initdb: %w", r.err)
	}
	if status != 0 {
		return fmt.Errorf("bridge: initdb exited with status %d", status)
	}
	_, _ = h.Call("pgl_run_atexit_funcs")
	return nil
}

type initdbRun struct {
	log      zerolog.Logger
	h, i     *emscripten.Process
	snapshot []byte
	// streams initdb reads H's output from and writes H's input to
	stdin, stdout uint32
	pending       []string // args of a popen(..., "w") run waiting for pclose
	lastStatus    int32
	err           error
}

// redirect points H's fd 0/1 at the exchange files and opens initdb's ends of them.
func (r *initdbRun) redirect() error {
	for _, f := range []struct {
		path, mode string
		fd         uint64
	}{{"/pglite/pgstdin", "r", 0}, {"/pglite/pgstdout", "w", 1}} {
		sp := r.h.StackPointer()
		path, _ := r.h.StackString(f.path)
		mode, _ := r.h.StackString(f.mode)
		_, err := r.h.Call("pgl_freopen", uint64(path), uint64(mode), f.fd)
		r.h.SetStackPointer(sp)
		if err != nil {
			return fmt.Errorf("bridge: initdb: freopen %s: %w", f.path, err)
		}
	}
	sp := r.i.StackPointer()
	defer r.i.SetStackPointer(sp)
	r.stdin = fopenIn(r.i, "/pglite/pgstdout", "r")
	r.stdout = fopenIn(r.i, "/pglite/pgstdin", "w")
	if r.stdin == 0 || r.stdout == 0 {
		return fmt.Errorf("bridge: initdb: cannot open the exchange files")
	}
	return nil
}

func fopenIn(p *emscripten.Process, path, mode string) uint32 {
	a, _ := p.StackString(path)
	b, _ := p.StackString(mode)
	r, err := p.Call("fopen", uint64(a), uint64(b))
	if err != nil {
		return 0
	}
	return uint32(r)
}

// runH runs one postgres invocation in the helper from a fresh memory image.
func (r *initdbRun) runH(args []string) int32 {
	copy(r.h.Memory(), r.snapshot)
	r.log.Debug().Strs("args", args).Msg("initdb runs postgres")
	status, err := r.h.CallMain(append([]string{guestPostgres}, args...))
	if err != nil {
		r.err = fmt.Errorf("postgres %s: %w", strings.Join(args, " "), err)
		return 1
	}
	r.lastStatus = status
	return status
}

// system runs the command now and returns its status.
func (r *initdbRun) system(p *emscripten.Process, s []uint64) {
	args, ok := r.parse(p.CString(uint32(s[0])))
	if !ok {
		s[0] = 127
		return
	}
	s[0] = uint64(uint32(r.runH(args)))
}

// popen "r" runs now (output lands in /pglite/pgstdout); "w" waits for pclose, by when
// initdb has written the script into /pglite/pgstdin.
func (r *initdbRun) popen(p *emscripten.Process, s []uint64) {
	args, ok := r.parse(p.CString(uint32(s[0])))
	if !ok {
		s[0] = 0
		return
	}
	if p.CString(uint32(s[1])) == "w" {
		r.pending = args
		s[0] = uint64(r.stdout)
		return
	}
	r.runH(args)
	s[0] = uint64(r.stdin)
}

func (r *initdbRun) pclose(p *emscripten.Process, s []uint64) {
	stream := uint32(s[0])
	if stream != r.stdin && stream != r.stdout {
		s[0] = uint64(callIn(p, "pclose", s[0]))
		return
	}
	if r.pending != nil {
		callIn(p, "fflush", uint64(stream))
		args := r.pending
		r.pending = nil
		r.runH(args)
	}
	s[0] = uint64(uint32(r.lastStatus))
}

// parse splits a shell command the way PGlite does: tokens up to the first redirection or
// pipe; the first must be the postgres binary, and is dropped.
func (r *initdbRun) parse(cmd string) ([]string, bool) {
	toks := shellTokens(cmd)
	var args []string
	for _, t := range toks {
		if t == "<" || t == ">" || t == "|" || t == "2>&1" || strings.HasPrefix(t, ">") || strings.HasPrefix(t, "<") {
			break
		}
		args = append(args, t)
	}
	if len(args) == 0 || args[0] != guestPostgres {
		r.log.Warn().Str("command", cmd).Msg("initdb ran an unexpected command")
		return nil, false
	}
	return args[1:], true
}

// shellTokens splits on blanks, honouring single and double quotes.
func shellTokens(s string) []string {
	var out []string
	var cur strings.Builder
	inTok := false
	var quote rune
	for _, c := range s {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteRune(c)
			}
		case c == '"' || c == '\'':
			quote, inTok = c, true
		case c == ' ' || c == '\t' || c == '\n':
			if inTok {
				out = append(out, cur.String())
				cur.Reset()
				inTok = false
			}
		default:
			cur.WriteRune(c)
			inTok = true
		}
	}
	if inTok {
		out = append(out, cur.String())
	}
	return out
}
