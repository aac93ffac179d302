// Package wirefuzz drives a live server with hostile frontend message sequences from one
// client while a second, well-behaved client checks that it was not hurt: its transaction
// commits, its row stays, its session is as it left it, and the instance never restarts.
package wirefuzz

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite"
	"github.com/pglite-go/pglite/bridge"
)

// setupSQL creates what the programs and the witness use.
const setupSQL = `
create table if not exists wf_witness(id bigint primary key, at timestamptz default now());
create table if not exists wf_t(a int, b text);
create or replace function r(int) returns int language sql as
  'select case when $1 <= 0 then 0 else r($1 - 1) + 1 end';
do $$ begin
  if not exists (select from pg_roles where rolname = 'wf_nobody') then create role wf_nobody; end if;
end $$;
grant all on wf_t to wf_nobody;`

// shared is the one server of this test binary, started on first use (a run with
// -run '^$' starts none) and replaced only when it has stopped for good.
var shared sharedServer

type sharedServer struct {
	mu  sync.Mutex
	srv *pglite.Server
	log *logTail
}

func TestMain(m *testing.M) {
	code := m.Run()
	shared.mu.Lock()
	if shared.srv != nil {
		_ = shared.srv.Close()
	}
	shared.mu.Unlock()
	os.Exit(code)
}

// server returns the shared server, starting it if needed.
func server(t testing.TB) (*pglite.Server, *logTail) {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv != nil {
		return shared.srv, shared.log
	}
	if _, err := bridge.LoadAssets(""); err != nil {
		t.Skipf("assets: %v", err)
	}
	lt := &logTail{}
	level := zerolog.WarnLevel
	if os.Getenv("PGLITE_TEST_DEBUG") != "" {
		level = zerolog.DebugLevel
	}
	var out zerolog.LevelWriter = zerolog.MultiLevelWriter(lt)
	if level == zerolog.DebugLevel {
		out = zerolog.MultiLevelWriter(lt, zerolog.ConsoleWriter{Out: os.Stderr})
	}
	log := zerolog.New(out).Level(level)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := pglite.Start(ctx, pglite.Options{Logger: &log})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	c, err := srv.Connect(ctx)
	if err != nil {
		srv.Close()
		t.Fatalf("connect: %v", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, setupSQL); err != nil {
		srv.Close()
		t.Fatalf("setup: %v", err)
	}
	shared.srv, shared.log = srv, lt
	return srv, lt
}

// logOf returns the log of srv (the shared server's, or an empty one for a server that
// was replaced meanwhile).
func (s *sharedServer) logOf(srv *pglite.Server) *logTail {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv == srv {
		return s.log
	}
	return &logTail{}
}

// replaceServer closes a server that stopped (past its restart limit, say) so that the
// next call to server starts a fresh one and later inputs are still judged.
func replaceServer(srv *pglite.Server) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv == srv {
		_ = srv.Close()
		shared.srv = nil
	}
}

// logTail keeps the server's last log lines, for failure reports.
type logTail struct {
	mu    sync.Mutex
	base  int // the number of lines dropped from the front
	lines []string
}

func (l *logTail) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, strings.TrimSpace(string(p)))
	if len(l.lines) > 200 {
		l.base += 100
		l.lines = append([]string(nil), l.lines[100:]...)
	}
	return len(p), nil
}

// mark counts the lines logged so far.
func (l *logTail) mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.base + len(l.lines)
}

// since renders the lines logged after mark n (those still kept).
func (l *logTail) since(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, s := range l.lines[max(n-l.base, 0):] {
		if len(s) > 400 {
			s = s[:400] + "…"
		}
		fmt.Fprintf(&b, "\n\t%s", s)
	}
	return b.String()
}
