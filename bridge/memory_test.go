package bridge

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// TestMemoryLimitOutOfMemory: a query that needs more than MaxMemory gets PostgreSQL's own
// out-of-memory error, the memory stays within the limit and the instance goes on.
func TestMemoryLimitOutOfMemory(t *testing.T) {
	inst := openTest(t, Config{MaxMemory: 256 << 20})
	if got := inst.MemoryLimit(); got != 256<<20 {
		t.Fatalf("MemoryLimit = %d", got)
	}
	var code string
	for _, m := range exchange(t, inst, &pgproto3.Query{String: "select length(repeat('x', 300*1024*1024))"}) {
		if e, ok := m.(*pgproto3.ErrorResponse); ok {
			code = e.Code
		}
	}
	if code != "53200" {
		t.Fatalf("error code %q, want 53200", code)
	}
	if inst.Broken() != nil {
		t.Fatalf("broken: %v", inst.Broken())
	}
	if got := inst.MemorySize(); got > 256<<20 {
		t.Fatalf("memory %d past the limit", got)
	}
	if rows := query(t, inst, "select length(repeat('x', 50*1024*1024))"); rows[0][0] != "52428800" {
		t.Fatalf("after the failure: %v", rows)
	}
}

// TestMemoryLimitTooSmall: a limit the boot cannot live with fails Open with
// ErrMemoryLimit, whether the estimate catches it or the boot runs out.
func TestMemoryLimitTooSmall(t *testing.T) {
	if _, err := LoadAssets(""); err != nil {
		t.Skipf("assets: %v", err)
	}
	for _, cfg := range []Config{
		{MaxMemory: 64 << 20},
		{MaxMemory: 200 << 20, SharedBuffers: "256MB"},
		// The estimate lets this one through; shared memory sized by a setting does not fit.
		{MaxMemory: 160 << 20, Settings: []string{"wal_buffers=64MB", "max_locks_per_transaction=20000"}},
	} {
		inst, err := Open(context.Background(), cfg)
		if err == nil {
			inst.Close()
			t.Errorf("%+v: opened", cfg.MaxMemory)
			continue
		}
		t.Log(err)
		if !errors.Is(err, ErrMemoryLimit) {
			t.Errorf("%d: %v, want ErrMemoryLimit", cfg.MaxMemory, err)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]uint64{
		"512MB": 512 << 20, "2GB": 2 << 30, "2 gb": 2 << 30, "100": 100, "64kB": 64 << 10, "1TB": 1 << 40, "7B": 7,
	} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MB", "12XB", "-1MB", "1.5GB", "99999999999TB"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) succeeded", in)
		}
	}
	if got := FormatSize(256 << 20); got != "256MB" {
		t.Errorf("FormatSize = %q", got)
	}
	if got := MinMemory(Config{}); got != 128<<20 {
		t.Errorf("MinMemory default = %d", got)
	}
}
