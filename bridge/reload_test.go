package bridge

import (
	"os"
	"path/filepath"
	"testing"
)

// TestReloadConfig: a setting written to postgresql.auto.conf by hand takes effect after
// ReloadConfig, and a broken file leaves the running settings alone, as in PostgreSQL.
func TestReloadConfig(t *testing.T) {
	dir := t.TempDir()
	inst := openTest(t, Config{DataDir: dir})
	if got := query(t, inst, "show work_mem")[0][0]; got != "4MB" {
		t.Fatalf("work_mem before: %s", got)
	}
	auto := filepath.Join(dir, "postgresql.auto.conf")
	if err := os.WriteFile(auto, []byte("work_mem = '7MB'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	inst.ReloadConfig()
	if got := query(t, inst, "show work_mem")[0][0]; got != "7MB" {
		t.Fatalf("work_mem after reload: %s", got)
	}
	if err := os.WriteFile(auto, []byte("work_mem = \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	inst.ReloadConfig()
	if got := query(t, inst, "show work_mem")[0][0]; got != "7MB" {
		t.Fatalf("work_mem after a broken file: %s", got)
	}
	if got := query(t, inst, "select 1")[0][0]; got != "1" {
		t.Fatal(got)
	}
}

// TestPgReloadConf: pg_reload_conf() returns true, as on a server with a postmaster, the
// configuration is re-read before the next command, and the server's hook runs.
func TestPgReloadConf(t *testing.T) {
	dir := t.TempDir()
	called := 0
	inst := openTest(t, Config{DataDir: dir, OnReload: func() { called++ }})
	if err := os.WriteFile(filepath.Join(dir, "postgresql.auto.conf"), []byte("work_mem = '9MB'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := query(t, inst, "select pg_reload_conf()")[0][0]; got != "t" {
		t.Fatalf("pg_reload_conf() = %s", got)
	}
	if got := query(t, inst, "show work_mem")[0][0]; got != "9MB" || called != 1 {
		t.Fatalf("work_mem %s, hook called %d times", got, called)
	}
}
