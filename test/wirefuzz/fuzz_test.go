package wirefuzz

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pglite-go/pglite"
)

// fuzzedTime bounds how long the fuzzed client may act in one iteration.
const fuzzedTime = 2 * time.Second

// seedNames names the seed inputs, so that a failing seed says which case it is.
var seedNames = map[string]string{}

// FuzzWire: whatever one client sends, in whatever protocol state, another client's
// transaction commits, its row stays, its session is untouched, and the instance never
// restarts. Plain `go test` runs the seeds, one per known way of hurting the server.
func FuzzWire(f *testing.F) {
	for _, s := range seeds() {
		b := s.prog.encode()
		seedNames[string(b)] = s.name
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := decodeProgram(data)
		name := seedNames[string(data)]
		if name != "" {
			t.Logf("seed %q: %s", name, p)
		}
		runIteration(t, p, name)
	})
}

// TestSeedsRoundTrip: every seed decodes to what it was written as, so the corpus means
// what its names say.
func TestSeedsRoundTrip(t *testing.T) {
	for _, s := range seeds() {
		b := s.prog.encode()
		p := decodeProgram(b)
		if got := p.encode(); string(got) != string(b) {
			t.Errorf("seed %q does not round-trip:\n wrote %s\n  read %s", s.name, s.prog, p)
		}
	}
}

// runIteration runs one program against the shared server with a witness watching.
func runIteration(t *testing.T, p program, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, _ := server(t)
	w := readyWitness(t, ctx, srv)
	defer w.close()
	srv, logs := w.srv, shared.logOf(w.srv)
	mark, before := logs.mark(), srv.Restarts()
	if err := w.begin(ctx); err != nil {
		t.Fatalf("before the fuzzed client ran: %v", err)
	}

	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	commit := func() {
		cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
		defer ccancel()
		if err := w.commit(cctx); err != nil {
			fail("%v", err)
		}
	}

	deadline := time.Now().Add(fuzzedTime)
	c, err := dialClient(srv.Addr().String(), deadline)
	if err != nil {
		fail("fuzzed client cannot log in while the witness holds a transaction: %v", err)
	} else {
		for i := range p.Ops {
			if i == int(p.CommitAt) {
				commit()
			}
			if !perform(c, &p.Ops[i], deadline) {
				break
			}
		}
	}
	commit()
	var fuzzedErrs []string
	if c != nil {
		c.settle(deadline)
		fuzzedErrs = c.errors()
		if name != "" {
			t.Logf("fuzzed client: %s", c.summary())
		}
		// Like pgx when its context ends: cancel the running statement, then hang up.
		if !c.isClosed() {
			_ = c.cancel(time.Now().Add(time.Second))
		}
		c.close()
	}
	vctx, vcancel := context.WithTimeout(ctx, 5*time.Second)
	defer vcancel()
	started := time.Now()
	if err := w.verify(vctx); err != nil {
		fail("%v", err)
	}
	if name != "" {
		t.Logf("the witness's checks took %v", time.Since(started).Round(time.Millisecond))
	}
	if after := srv.Restarts(); after != before {
		fail("the instance restarted %d time(s)", after-before)
	}
	if len(problems) > 0 {
		label := name
		if label == "" {
			label = "fuzz input"
		}
		// What hurt the witness may still be in the server: the next input gets a new one.
		replaceServer(srv)
		t.Errorf("%s: another client was hurt:\n\t%s\nprogram: %s\nfuzzed client's errors: %q\nserver log:%s",
			label, strings.Join(problems, "\n\t"), p, fuzzedErrs, logs.since(mark))
	}
}

// perform carries out one op; false means the connection is done for (the server hung up
// or stopped reading), so the rest of the program is moot.
func perform(c *rawClient, o *op, deadline time.Time) bool {
	switch o.Kind {
	case opWait:
		c.waitFor(o.N, deadline)
		return true
	case opCancel:
		_ = c.cancel(deadline)
		return true
	}
	if c.isClosed() {
		return false
	}
	return c.write(o.wire(), deadline) == nil
}

// readyWitness connects a witness, waiting out a restart that an earlier input caused and
// replacing a server that stopped for good or cannot serve a witness, so that every input
// is judged on its own.
func readyWitness(t *testing.T, ctx context.Context, srv *pglite.Server) *witness {
	t.Helper()
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		limit := time.Now().Add(8 * time.Second)
		for time.Now().Before(limit) {
			var w *witness
			cctx, cancel := context.WithTimeout(ctx, 4*time.Second)
			w, err = connectWitness(cctx, srv)
			cancel()
			var pgErr *pgconn.PgError
			if err == nil {
				return w
			}
			if strings.Contains(err.Error(), "server closed") || (errors.As(err, &pgErr) && pgErr.Severity != "FATAL") {
				break // gone, or up but broken: no use waiting
			}
			time.Sleep(100 * time.Millisecond)
		}
		replaceServer(srv)
		srv, _ = server(t)
	}
	t.Fatalf("no witness connection: %v", err)
	return nil
}

func (p program) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "commit at %d:", p.CommitAt)
	for i := range p.Ops {
		b.WriteString(" ")
		b.WriteString(p.Ops[i].String())
	}
	return b.String()
}

func (o op) String() string {
	short := func(s string) string {
		if len(s) > 60 {
			return fmt.Sprintf("%q…(%d bytes)", s[:60], len(s))
		}
		return fmt.Sprintf("%q", s)
	}
	switch o.Kind {
	case opQuery:
		return "Query(" + short(o.SQL.String()) + ")"
	case opParse:
		return fmt.Sprintf("Parse(%q, %s)", o.Name, short(o.SQL.String()))
	case opBind:
		return fmt.Sprintf("Bind(%q, %q, %d params)", o.Name, o.Stmt, len(o.Params))
	case opDescribe, opClose:
		return fmt.Sprintf("%s(%q, %q)", o.Kind, o.Target, o.Name)
	case opExecute:
		return fmt.Sprintf("Execute(%q, %d)", o.Name, o.N)
	case opFunctionCall:
		return fmt.Sprintf("FunctionCall(%d, %d args)", o.N, len(o.Params))
	case opCopyData, opCopyFail, opPassword, opGarbage:
		return fmt.Sprintf("%s(%s)", o.Kind, short(string(o.Data)))
	case opRaw:
		return fmt.Sprintf("Raw(%q, len %d, %s)", o.Type, int32(o.rawLength()), short(string(o.Data)))
	case opWait:
		return fmt.Sprintf("Wait(%d)", o.N)
	}
	return o.Kind.String()
}
