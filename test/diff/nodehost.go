package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/pglite-go/pglite/internal/assetinstall"
)

// The reference host: the npm package this project takes pglite.wasm from, on Node.
const (
	refPackage = "@electric-sql/pglite"
	refVersion = assetinstall.Version
)

// refWasmSHA256 is pglite.wasm of that package, as internal/assetinstall pins it: both
// hosts run the same PostgreSQL build.
var refWasmSHA256 = assetinstall.Pinned.Sum("pglite.wasm")

//go:embed driver.mjs
var driverSource []byte

// nodeHost is PGlite on Node, driven through driver.mjs.
type nodeHost struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	replies chan nodeReply
	stderr  *tailBuffer
	opened  bool
	// noStartup opens sessions without a startup packet (PGlite's own query API); then
	// PostgreSQL reports no settings.
	noStartup bool
	params    map[string]string // the settings last reported to the session
}

type nodeReply struct {
	OK    bool   `json:"ok"`
	Error string `json:"error"`
	Raw   string `json:"raw"`
	MS    int    `json:"ms"`
	err   error  // reading the reply failed
}

func (h *nodeHost) Name() string { return "PGlite " + refVersion + " on Node" }

// installDir is where the reference package is installed, once per machine.
func installDir() (string, error) {
	if d := os.Getenv("PGLITE_DIFF_CACHE"); d != "" {
		return d, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "pglite-go", "diff", "pglite-"+refVersion), nil
}

// ensureInstalled installs the reference package with npm unless it is there already, and
// checks that its pglite.wasm is the one this project runs. It returns the directory that
// holds node_modules.
func ensureInstalled(ctx context.Context, logw io.Writer) (string, error) {
	dir, err := installDir()
	if err != nil {
		return "", err
	}
	if checkInstall(dir) == nil {
		return dir, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".install-*")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	pkg := fmt.Sprintf(`{"private": true, "dependencies": {%q: %q}}`+"\n", refPackage, refVersion)
	if err := os.WriteFile(filepath.Join(tmp, "package.json"), []byte(pkg), 0o644); err != nil {
		return "", err
	}
	fmt.Fprintf(logw, "diff: installing %s@%s with npm into %s\n", refPackage, refVersion, dir)
	npm := exec.CommandContext(ctx, "npm", "install", "--no-audit", "--no-fund", "--ignore-scripts",
		"--no-package-lock", "--loglevel=error")
	npm.Dir = tmp
	var npmOut bytes.Buffer
	npm.Stdout, npm.Stderr = &npmOut, &npmOut
	if err := npm.Run(); err != nil {
		return "", fmt.Errorf("npm install %s@%s: %w\n%s", refPackage, refVersion, err, npmOut.String())
	}
	if err := checkInstall(tmp); err != nil {
		return "", err
	}
	_ = os.RemoveAll(dir) // an older, damaged install
	if err := os.Rename(tmp, dir); err != nil && checkInstall(dir) != nil {
		return "", err // not a concurrent install that won the race
	}
	return dir, checkInstall(dir)
}

// checkInstall reports whether dir holds the pinned package with the pinned pglite.wasm.
func checkInstall(dir string) error {
	root := filepath.Join(dir, "node_modules", filepath.FromSlash(refPackage))
	b, err := os.ReadFile(filepath.Join(root, "package.json"))
	if err != nil {
		return err
	}
	var meta struct{ Version string }
	if err := json.Unmarshal(b, &meta); err != nil {
		return fmt.Errorf("%s: %w", root, err)
	}
	if meta.Version != refVersion {
		return fmt.Errorf("%s: version %s, want %s", root, meta.Version, refVersion)
	}
	wasm, err := os.ReadFile(filepath.Join(root, "dist", "pglite.wasm"))
	if err != nil {
		return err
	}
	sum := sha256.Sum256(wasm)
	if got := hex.EncodeToString(sum[:]); got != refWasmSHA256 {
		return fmt.Errorf("%s: pglite.wasm sha256 %s, want %s", root, got, refWasmSHA256)
	}
	return nil
}

// writeDriver puts driver.mjs next to node_modules (so that its import resolves), under a
// name that changes with its content.
func writeDriver(dir string) (string, error) {
	sum := sha256.Sum256(driverSource)
	path := filepath.Join(dir, "driver-"+hex.EncodeToString(sum[:6])+".mjs")
	if b, err := os.ReadFile(path); err == nil && bytes.Equal(b, driverSource) {
		return path, nil
	}
	f, err := os.CreateTemp(dir, ".driver-*")
	if err != nil {
		return "", err
	}
	_, err = f.Write(driverSource)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", err
	}
	return path, nil
}

// startNode installs the package if needed and starts the driver. Its stdout and stderr
// (PostgreSQL's log) go to logw when it is not nil and are kept in a short tail for errors.
func startNode(ctx context.Context, logw io.Writer) (*nodeHost, error) {
	if logw == nil {
		logw = io.Discard
	}
	dir, err := ensureInstalled(ctx, logw)
	if err != nil {
		return nil, err
	}
	driver, err := writeDriver(dir)
	if err != nil {
		return nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	h := &nodeHost{replies: make(chan nodeReply, 16), stderr: &tailBuffer{max: 8 << 10}}
	cmd := exec.Command("node", driver)
	cmd.Dir = dir
	cmd.ExtraFiles = []*os.File{w} // fd 3: the replies
	cmd.Stdout = io.MultiWriter(h.stderr, logw)
	cmd.Stderr = cmd.Stdout
	if h.stdin, err = cmd.StdinPipe(); err != nil {
		r.Close()
		w.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("node: %w", err)
	}
	w.Close()
	h.cmd = cmd
	go h.readReplies(r)
	return h, nil
}

func (h *nodeHost) readReplies(r *os.File) {
	defer r.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	for sc.Scan() {
		var rep nodeReply
		if err := json.Unmarshal(sc.Bytes(), &rep); err != nil {
			rep.err = fmt.Errorf("node: bad reply: %w", err)
		}
		h.replies <- rep
	}
	err := sc.Err()
	if err == nil {
		err = io.ErrUnexpectedEOF
	}
	h.replies <- nodeReply{err: fmt.Errorf("node: driver exited: %w", err)}
	close(h.replies)
}

// request sends one request and waits for its reply.
func (h *nodeHost) request(ctx context.Context, req map[string]any, timeout time.Duration) (nodeReply, error) {
	line, err := json.Marshal(req)
	if err != nil {
		return nodeReply{}, err
	}
	if _, err := h.stdin.Write(append(line, '\n')); err != nil {
		return nodeReply{}, fmt.Errorf("node: %w\n%s", err, h.stderr)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case rep, ok := <-h.replies:
		switch {
		case !ok:
			return rep, fmt.Errorf("node: driver exited\n%s", h.stderr)
		case rep.err != nil:
			return rep, fmt.Errorf("%w\n%s", rep.err, h.stderr)
		case !rep.OK:
			return rep, fmt.Errorf("node: %s", rep.Error)
		}
		return rep, nil
	case <-t.C:
		return nodeReply{}, fmt.Errorf("node: no reply to %s within %s\n%s", req["op"], timeout, h.stderr)
	case <-ctx.Done():
		return nodeReply{}, ctx.Err()
	}
}

// Open starts a fresh in-memory database in the driver and, unless noStartup is set, a
// session on it through a startup packet, as a wire-protocol server does.
func (h *nodeHost) Open(ctx context.Context) error {
	h.opened = false
	rep, err := h.request(ctx, map[string]any{"op": "open", "startup": !h.noStartup}, 3*time.Minute)
	if err != nil {
		return err
	}
	h.params = map[string]string{}
	if !h.noStartup {
		raw, err := base64.StdEncoding.DecodeString(rep.Raw)
		if err != nil {
			return fmt.Errorf("node: startup reply: %w", err)
		}
		if err := h.startupReply(raw); err != nil {
			return err
		}
	}
	h.opened = true
	return nil
}

// startupReply reads the backend's answer to the startup packet: AuthenticationOk, the
// reported settings, BackendKeyData, ReadyForQuery.
func (h *nodeHost) startupReply(raw []byte) error {
	fe := pgproto3.NewFrontend(bytes.NewReader(raw), io.Discard)
	for {
		msg, err := fe.Receive()
		if err != nil {
			return fmt.Errorf("node: startup reply: %w", err)
		}
		switch m := msg.(type) {
		case *pgproto3.ParameterStatus:
			h.params[m.Name] = m.Value
		case *pgproto3.ErrorResponse:
			return fmt.Errorf("node: startup: %s", fieldsOfResponse(m))
		case *pgproto3.ReadyForQuery:
			return nil
		}
	}
}

// Run sends sql as one Query message and decodes the backend's reply.
func (h *nodeHost) Run(ctx context.Context, sql string) (*Outcome, error) {
	if !h.opened {
		return nil, errors.New("node: not open")
	}
	rep, err := h.request(ctx, map[string]any{"op": "query", "sql": sql}, 2*time.Minute)
	if err != nil {
		return nil, err
	}
	raw, err := base64.StdEncoding.DecodeString(rep.Raw)
	if err != nil {
		return nil, fmt.Errorf("node: reply: %w", err)
	}
	return decodeBackend(raw, h.params)
}

// decodeBackend turns the backend messages answering one simple Query into an Outcome;
// params holds the settings reported so far and is updated.
func decodeBackend(raw []byte, params map[string]string) (*Outcome, error) {
	fe := pgproto3.NewFrontend(bytes.NewReader(raw), io.Discard)
	out := &Outcome{}
	changed := map[string]string{}
	var cur *Result
	flush := func() {
		if cur != nil {
			out.Results = append(out.Results, *cur)
			cur = nil
		}
	}
	for {
		msg, err := fe.Receive()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("node: reply ends without ReadyForQuery")
		}
		if err != nil {
			return nil, fmt.Errorf("node: reply: %w", err)
		}
		switch m := msg.(type) {
		case *pgproto3.RowDescription:
			flush()
			cur = &Result{}
			for _, f := range m.Fields {
				cur.Columns = append(cur.Columns, Column{Name: string(f.Name), TypeOID: f.DataTypeOID, TypeMod: f.TypeModifier})
			}
		case *pgproto3.DataRow:
			if cur == nil {
				cur = &Result{}
			}
			row := make([]*string, len(m.Values))
			for i, v := range m.Values {
				row[i] = text(v)
			}
			cur.Rows = append(cur.Rows, row)
		case *pgproto3.CommandComplete:
			if cur == nil {
				cur = &Result{}
			}
			cur.Tag, cur.Done = string(m.CommandTag), true
			flush()
		case *pgproto3.EmptyQueryResponse:
			flush()
			out.Results = append(out.Results, Result{Done: true})
		case *pgproto3.ErrorResponse:
			flush()
			out.Err = fieldsOfResponse(m)
		case *pgproto3.NoticeResponse:
			out.Notices = append(out.Notices, fieldsOfResponse((*pgproto3.ErrorResponse)(m)))
		case *pgproto3.NotificationResponse:
			out.Notifications = append(out.Notifications, m.Channel+": "+m.Payload)
		case *pgproto3.ParameterStatus:
			if params[m.Name] != m.Value {
				params[m.Name] = m.Value
				changed[m.Name] = m.Value
			}
		case *pgproto3.ReadyForQuery:
			flush()
			out.TxStatus = m.TxStatus
			for name, v := range changed {
				out.Reported = append(out.Reported, name+"="+v)
			}
			sort.Strings(out.Reported)
			return out, nil
		case *pgproto3.CopyInResponse, *pgproto3.CopyOutResponse, *pgproto3.CopyBothResponse:
			return nil, fmt.Errorf("node: COPY to or from the client is not supported")
		default:
			return nil, fmt.Errorf("node: unexpected %T in reply", msg)
		}
	}
}

// Close stops the driver.
func (h *nodeHost) Close() {
	if h.cmd == nil {
		return
	}
	_ = h.stdin.Close() // the driver closes its database and exits at end of input
	done := make(chan struct{})
	go func() { _ = h.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = h.cmd.Process.Kill()
		<-done
	}
	h.cmd = nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = t.buf[len(t.buf)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimSpace(string(t.buf))
	if s == "" {
		return "(node printed nothing)"
	}
	return "node's last output:\n" + s
}
