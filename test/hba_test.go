package test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/actors"
	"github.com/pglite-go/pglite/bridge"
	"github.com/pglite-go/pglite/protocol"
	"github.com/pglite-go/pglite/socket"
)

// hbaServer starts a server on a host data directory, whose pg_hba.conf the test edits.
func hbaServer(t *testing.T, mod func(*actors.Config)) (*server, string) {
	t.Helper()
	dir := t.TempDir()
	s := startServer(t, func(c *actors.Config) {
		c.Bridge.DataDir = dir
		if mod != nil {
			mod(c)
		}
	})
	return s, dir
}

// setHBA writes pg_hba.conf and reloads it.
func setHBA(t *testing.T, s *server, dir, rules string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "pg_hba.conf"), []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.h.ReloadHBA(ctxT(t)); err != nil {
		t.Fatalf("reload: %v", err)
	}
}

// tcpDSN is a pgx URL for user over TCP; password may be empty.
func (s *server) tcpDSN(user, password, db string) string {
	u := user
	if password != "" {
		u += ":" + password
	}
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", u, s.port, db)
}

// unixDSN is a pgx DSN for user over the Unix socket.
func (s *server) unixDSN(user, password string) string {
	return fmt.Sprintf("host=%s port=%d user=%s password='%s' dbname=postgres sslmode=disable", s.dir, s.port, user, password)
}

// refused connects and returns the server's FATAL, failing the test if it got in.
func refused(t *testing.T, dsn string) *pgconn.PgError {
	t.Helper()
	c, err := pgx.Connect(ctxT(t), dsn)
	if err == nil {
		c.Close(ctxT(t))
		t.Fatalf("%s: connected", dsn)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		t.Fatalf("%s: %v", dsn, err)
	}
	return pgErr
}

func expectFatal(t *testing.T, dsn, code, message string) {
	t.Helper()
	e := refused(t, dsn)
	if e.Severity != "FATAL" || e.Code != code || e.Message != message {
		t.Fatalf("%s: got %s %s %q, want %s %q", dsn, e.Severity, e.Code, e.Message, code, message)
	}
}

func canConnect(t *testing.T, dsn string) {
	t.Helper()
	c, err := pgx.Connect(ctxT(t), dsn)
	if err != nil {
		t.Fatalf("%s: %v", dsn, err)
	}
	var one int
	if err := c.QueryRow(ctxT(t), "select 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
	c.Close(ctxT(t))
}

// psql runs psql and returns its combined output and whether it succeeded.
func psql(t *testing.T, password string, args ...string) (string, bool) {
	t.Helper()
	if _, err := exec.LookPath("psql"); err != nil {
		t.Skip("psql not installed (make test installs postgresql-client)")
	}
	cmd := exec.Command("psql", append([]string{"-X", "-A", "-t", "-w", "-v", "ON_ERROR_STOP=1"}, args...)...)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+password, "PGCONNECT_TIMEOUT=20")
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

func TestHBA_rejectLine(t *testing.T) {
	s, dir := hbaServer(t, nil)
	admin := connect(t, s.tcpDSN("postgres", "", "postgres"))
	mustExec(t, admin, "create role evil login")
	mustExec(t, admin, "create role good login")
	setHBA(t, s, dir, `# TYPE DATABASE USER ADDRESS METHOD
host    all      evil 127.0.0.1/32 reject
local   all      evil              reject
host    all      all  127.0.0.1/32 trust
local   all      all               trust
`)
	expectFatal(t, s.tcpDSN("evil", "", "postgres"), "28000",
		`pg_hba.conf rejects connection for host "127.0.0.1", user "evil", database "postgres", no encryption`)
	expectFatal(t, s.unixDSN("evil", ""), "28000",
		`pg_hba.conf rejects connection for host "[local]", user "evil", database "postgres", no encryption`)
	canConnect(t, s.tcpDSN("good", "", "postgres"))
	canConnect(t, s.unixDSN("good", ""))

	out, ok := psql(t, "", "-h", "127.0.0.1", "-p", itoa(s.port), "-U", "evil", "-d", "postgres", "-c", "select 1")
	if ok || !strings.Contains(out, `pg_hba.conf rejects connection for host "127.0.0.1", user "evil", database "postgres", no encryption`) {
		t.Fatalf("psql as evil: %s", out)
	}
	if out, ok := psql(t, "", "-h", "127.0.0.1", "-p", itoa(s.port), "-U", "good", "-d", "postgres", "-c", "select 40+2"); !ok || strings.TrimSpace(out) != "42" {
		t.Fatalf("psql as good: %s", out)
	}

	// No line for the address: PostgreSQL's implicit reject.
	setHBA(t, s, dir, "local all all trust\nhost all all 10.0.0.0/8 trust\n")
	expectFatal(t, s.tcpDSN("good", "", "app"), "28000",
		`no pg_hba.conf entry for host "127.0.0.1", user "good", database "app", no encryption`)
}

// startTree starts a tree without waiting for it, keeping its actor system.
func startTree(t *testing.T, cfg actors.Config) (*actors.Handle, *actor.ActorSystem) {
	t.Helper()
	if _, err := bridge.LoadAssets(""); err != nil {
		t.Skipf("assets: %v", err)
	}
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	cfg.ListenAddr, cfg.Port, cfg.Logger, cfg.Bridge.Logger = "127.0.0.1", 0, log, log
	system := actors.NewSystem(log)
	h, err := actors.Start(ctxT(t), system, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = h.Stop(ctx)
		system.Shutdown()
	})
	return h, system
}

// TestHBA_inProcessIsLocal: a connection handed over with ServeConn matches local lines.
func TestHBA_inProcessIsLocal(t *testing.T) {
	dir := t.TempDir()
	h, system := startTree(t, actors.Config{Bridge: bridge.Config{DataDir: dir}})
	if err := h.WaitReady(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	s := &server{h: h, port: h.Addrs()[0].(*net.TCPAddr).Port}
	setHBA(t, s, dir, "local all all reject\nhost all all 127.0.0.1/32 trust\n")
	cfg, err := pgx.ParseConfig("postgres://postgres@pipe/postgres?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	cfg.LookupFunc = func(context.Context, string) ([]string, error) { return []string{"pipe"}, nil }
	cfg.DialFunc = func(context.Context, string, string) (net.Conn, error) {
		client, server := net.Pipe()
		system.Root.Send(h.Listener(), &actors.ServeConn{Conn: server})
		return client, nil
	}
	_, err = pgx.ConnectConfig(ctxT(t), cfg)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Message != `pg_hba.conf rejects connection for host "[local]", user "postgres", database "postgres", no encryption` {
		t.Fatalf("in-process connection: %v", err)
	}
	canConnect(t, s.tcpDSN("postgres", "", "postgres"))
}

// TestHBA_rolePasswords: with a server password, the initdb trust lines ask for passwords; a
// role created with a password logs in with its own, postgres (which has none) with the
// server's.
func TestHBA_rolePasswords(t *testing.T) {
	s := startServer(t, func(c *actors.Config) { c.Password = "shortcut" })
	admin := connect(t, s.tcpDSN("postgres", "shortcut", "postgres"))
	mustExec(t, admin, "create role app login password 'secret'")

	canConnect(t, s.tcpDSN("app", "secret", "postgres"))
	canConnect(t, s.unixDSN("app", "secret"))
	for _, pw := range []string{"wrong", "shortcut"} {
		expectFatal(t, s.tcpDSN("app", pw, "postgres"), "28P01", `password authentication failed for user "app"`)
	}
	expectFatal(t, s.tcpDSN("postgres", "secret", "postgres"), "28P01", `password authentication failed for user "postgres"`)
	expectFatal(t, s.tcpDSN("nobody", "shortcut", "postgres"), "28P01", `password authentication failed for user "nobody"`)

	// The verifier is PostgreSQL's own, which the protocol package reads.
	v := scalar[string](t, admin, "select rolpassword from pg_authid where rolname = 'app'")
	if _, ok := protocol.ParseSCRAMSecret(v); !ok || !protocol.CheckPlainPassword("app", "secret", v) {
		t.Fatalf("rolpassword %q", v)
	}

	// A changed password takes effect for the next connection.
	mustExec(t, admin, "alter role app password 'secret2'")
	expectFatal(t, s.tcpDSN("app", "secret", "postgres"), "28P01", `password authentication failed for user "app"`)
	canConnect(t, s.tcpDSN("app", "secret2", "postgres"))

	if out, ok := psql(t, "secret2", "-h", "127.0.0.1", "-p", itoa(s.port), "-U", "app", "-d", "postgres", "-c", "select current_user"); !ok || strings.TrimSpace(out) != "app" {
		t.Fatalf("psql as app: %s", out)
	}
	if out, ok := psql(t, "nope", "-h", "127.0.0.1", "-p", itoa(s.port), "-U", "app", "-d", "postgres", "-c", "select 1"); ok || !strings.Contains(out, `password authentication failed for user "app"`) {
		t.Fatalf("psql with a wrong password: %s", out)
	}
}

// TestHBA_noServerPassword: without a server password, a password line admits only roles
// that have one.
func TestHBA_noServerPassword(t *testing.T) {
	s, dir := hbaServer(t, nil)
	admin := connect(t, s.unixDSN("postgres", ""))
	mustExec(t, admin, "create role app login password 'secret'")
	mustExec(t, admin, "create role bare login")
	setHBA(t, s, dir, "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n")
	canConnect(t, s.tcpDSN("app", "secret", "postgres"))
	expectFatal(t, s.tcpDSN("bare", "anything", "postgres"), "28P01", `password authentication failed for user "bare"`)
	expectFatal(t, s.tcpDSN("postgres", "anything", "postgres"), "28P01", `password authentication failed for user "postgres"`)
}

// TestHBA_md5AndPassword: an md5 line runs md5 for md5 verifiers and SCRAM for SCRAM ones; a
// password line checks the clear text against either.
func TestHBA_md5AndPassword(t *testing.T) {
	s, dir := hbaServer(t, nil)
	admin := connect(t, s.unixDSN("postgres", ""))
	mustExec(t, admin, "create role app_scram login password 'pw1'")
	mustExec(t, admin, "set password_encryption = 'md5'")
	mustExec(t, admin, "create role app_md5 login password 'pw2'")
	mustExec(t, admin, "reset password_encryption")
	if v := scalar[string](t, admin, "select rolpassword from pg_authid where rolname = 'app_md5'"); !protocol.IsMD5Secret(v) {
		t.Fatalf("md5 verifier %q", v)
	}
	for _, method := range []string{"md5", "password"} {
		t.Run(method, func(t *testing.T) {
			setHBA(t, s, dir, "local all all trust\nhost all all 127.0.0.1/32 "+method+"\n")
			canConnect(t, s.tcpDSN("app_scram", "pw1", "postgres"))
			canConnect(t, s.tcpDSN("app_md5", "pw2", "postgres"))
			expectFatal(t, s.tcpDSN("app_md5", "pw1", "postgres"), "28P01", `password authentication failed for user "app_md5"`)
			expectFatal(t, s.tcpDSN("app_scram", "pw2", "postgres"), "28P01", `password authentication failed for user "app_scram"`)
			if out, ok := psql(t, "pw2", "-h", "127.0.0.1", "-p", itoa(s.port), "-U", "app_md5", "-d", "postgres", "-c", "select current_user"); !ok || strings.TrimSpace(out) != "app_md5" {
				t.Fatalf("psql: %s", out)
			}
		})
	}
	// scram-sha-256 cannot use an md5 verifier, even with the right password.
	setHBA(t, s, dir, "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n")
	expectFatal(t, s.tcpDSN("app_md5", "pw2", "postgres"), "28P01", `password authentication failed for user "app_md5"`)
}

// TestHBA_group: +group matches direct and indirect members.
func TestHBA_group(t *testing.T) {
	s, dir := hbaServer(t, nil)
	admin := connect(t, s.unixDSN("postgres", ""))
	for _, sql := range []string{"create role staff nologin", "create role team nologin in role staff",
		"create role alice login in role team", "create role carol login in role staff", "create role bob login"} {
		mustExec(t, admin, sql)
	}
	setHBA(t, s, dir, "local all all trust\nhost all +staff 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 reject\n")
	canConnect(t, s.tcpDSN("alice", "", "postgres"))
	canConnect(t, s.tcpDSN("carol", "", "postgres"))
	expectFatal(t, s.tcpDSN("bob", "", "postgres"), "28000",
		`pg_hba.conf rejects connection for host "127.0.0.1", user "bob", database "postgres", no encryption`)
	// Membership is read at connection time.
	mustExec(t, admin, "grant staff to bob")
	canConnect(t, s.tcpDSN("bob", "", "postgres"))
}

// TestHBA_loginChecks: NOLOGIN roles and expired passwords, as PostgreSQL reports them.
func TestHBA_loginChecks(t *testing.T) {
	s := startServer(t, func(c *actors.Config) { c.Password = "shortcut" })
	admin := connect(t, s.tcpDSN("postgres", "shortcut", "postgres"))
	mustExec(t, admin, "create role ghost nologin password 'pw'")
	mustExec(t, admin, "create role old login password 'pw' valid until '2001-01-01'")
	mustExec(t, admin, "create role fresh login password 'pw' valid until 'infinity'")
	expectFatal(t, s.tcpDSN("ghost", "pw", "postgres"), "28000", `role "ghost" is not permitted to log in`)
	expectFatal(t, s.tcpDSN("ghost", "nope", "postgres"), "28P01", `password authentication failed for user "ghost"`)
	expectFatal(t, s.tcpDSN("old", "pw", "postgres"), "28P01", `password authentication failed for user "old"`)
	canConnect(t, s.tcpDSN("fresh", "pw", "postgres"))
	mustExec(t, admin, "alter role old valid until '2999-01-01'")
	canConnect(t, s.tcpDSN("old", "pw", "postgres"))
}

// TestHBA_reload: a changed file takes effect at ReloadHBA, not before; a file that does not
// parse is reported and the old rules stay.
func TestHBA_reload(t *testing.T) {
	s, dir := hbaServer(t, nil)
	file := filepath.Join(dir, "pg_hba.conf")
	canConnect(t, s.tcpDSN("postgres", "", "postgres"))
	if err := os.WriteFile(file, []byte("local all all trust\nhost all all 127.0.0.1/32 reject\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	canConnect(t, s.tcpDSN("postgres", "", "postgres")) // not reloaded yet
	if err := s.h.ReloadHBA(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	rejected := `pg_hba.conf rejects connection for host "127.0.0.1", user "postgres", database "postgres", no encryption`
	expectFatal(t, s.tcpDSN("postgres", "", "postgres"), "28000", rejected)

	if err := os.WriteFile(file, []byte("local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all all peer\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := s.h.ReloadHBA(ctxT(t))
	var he *socket.HBAError
	if !errors.As(err, &he) || he.Line != 3 || he.File != file || !strings.Contains(err.Error(), `invalid authentication method "peer"`) {
		t.Fatalf("reload of a bad file: %v", err)
	}
	expectFatal(t, s.tcpDSN("postgres", "", "postgres"), "28000", rejected)
	canConnect(t, s.unixDSN("postgres", ""))

	setHBA(t, s, dir, "local all all trust\nhost all all 127.0.0.1/32 trust\n")
	canConnect(t, s.tcpDSN("postgres", "", "postgres"))
}

// TestHBA_badFileAtStartup: a pg_hba.conf this server cannot follow stops it at startup. (A
// file PostgreSQL itself cannot parse already stops the instance's boot.)
func TestHBA_badFileAtStartup(t *testing.T) {
	s, dir := hbaServer(t, nil)
	ctx := ctxT(t)
	if err := s.h.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pg_hba.conf"), []byte("local all all trust\nlocal all all peer\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h, _ := startTree(t, actors.Config{Bridge: bridge.Config{DataDir: dir}})
	err := h.WaitReady(ctx)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "pg_hba.conf")+` line 2: invalid authentication method "peer": not supported by this build`) {
		t.Fatalf("WaitReady: %v", err)
	}
	select {
	case <-h.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the tree did not stop")
	}
	if h.Err() == nil {
		t.Fatal("Err is nil")
	}
}

// TestHBA_perDatabase: with several databases, each instance has its own file.
func TestHBA_perDatabase(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, func(c *actors.Config) {
		c.Bridge.DataDir = dir
		c.Databases = actors.DatabasesConfig{Enabled: true, Declared: []string{"a", "b"}}
	})
	canConnect(t, s.tcpDSN("postgres", "", "a"))
	canConnect(t, s.tcpDSN("postgres", "", "b"))
	if err := os.WriteFile(filepath.Join(dir, "a", "pg_hba.conf"), []byte("host all all 127.0.0.1/32 reject\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.h.ReloadHBA(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	expectFatal(t, s.tcpDSN("postgres", "", "a"), "28000",
		`pg_hba.conf rejects connection for host "127.0.0.1", user "postgres", database "a", no encryption`)
	canConnect(t, s.tcpDSN("postgres", "", "b"))
}

// TestHBA_daemonPasswordFile: pglited --password-file reads the first line; an unreadable
// file is a startup error.
func TestHBA_daemonPasswordFile(t *testing.T) {
	bin := buildDaemon(t)
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte("  from-file  \nsecond line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--port", "0", "--password-file", filepath.Join(dir, "missing")).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(string(out), "--password-file") {
		t.Fatalf("missing file: %v\n%s", err, out)
	}

	port := freePort(t)
	cmd := exec.Command(bin, "--port", itoa(port), "--data-dir", filepath.Join(dir, "data"), "--password-file", pwFile)
	var log strings.Builder
	cmd.Stderr = &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	dsn := func(pw string) string {
		return fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/postgres?sslmode=disable", pw, port)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := pgx.Connect(ctxT(t), dsn("from-file"))
		if err == nil {
			c.Close(ctxT(t))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon not ready: %v\n%s", err, log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	expectFatal(t, dsn("second%20line"), "28P01", `password authentication failed for user "postgres"`)
}

// TestHBA_ssl: hostssl and hostnossl lines follow the connection's TLS state.
func TestHBA_ssl(t *testing.T) {
	cert := selfSigned(t)
	s, dir := hbaServer(t, func(c *actors.Config) { c.TLS = &tls.Config{Certificates: []tls.Certificate{cert}} })
	setHBA(t, s, dir, `local all all trust
hostssl   all evil 127.0.0.1/32 reject
hostssl   all all  127.0.0.1/32 trust
hostnossl all all  127.0.0.1/32 reject
`)
	requireSSL := func(dsn string) string { return strings.Replace(dsn, "sslmode=disable", "sslmode=require", 1) }
	canConnect(t, requireSSL(s.tcpDSN("postgres", "", "postgres")))
	expectFatal(t, s.tcpDSN("postgres", "", "postgres"), "28000",
		`pg_hba.conf rejects connection for host "127.0.0.1", user "postgres", database "postgres", no encryption`)
	mustExec(t, connect(t, s.unixDSN("postgres", "")), "create role evil login")
	expectFatal(t, requireSSL(s.tcpDSN("evil", "", "postgres")), "28000",
		`pg_hba.conf rejects connection for host "127.0.0.1", user "evil", database "postgres", SSL encryption`)
}
