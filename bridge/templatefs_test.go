package bridge

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestTemplateFS_clonesAreIndependent: in-memory file systems cloned from the cached
// template boot as pristine clusters and never see each other's writes.
func TestTemplateFS_clonesAreIndependent(t *testing.T) {
	first := openTest(t, Config{})
	fsA, fromCache, err := templateFS(context.Background(), first.eng, "", first.log)
	if err != nil {
		t.Fatal(err)
	}
	if !fromCache {
		t.Fatal("the template exists after an Open")
	}
	fsB, _, err := templateFS(context.Background(), first.eng, "", first.log)
	if err != nil {
		t.Fatal(err)
	}
	a := openTest(t, Config{ReuseFS: fsA})
	b := openTest(t, Config{ReuseFS: fsB})
	query(t, a, "create table only_a(x int)")
	query(t, a, "insert into only_a select generate_series(1, 10000)")
	query(t, a, "checkpoint")
	if rows := query(t, b, "select count(*) from pg_class where relname = 'only_a'"); rows[0][0] != "0" {
		t.Fatalf("a clone sees another clone's table: %v", rows)
	}
	query(t, b, "create table only_b(x int)")
	fsC, _, err := templateFS(context.Background(), first.eng, "", first.log)
	if err != nil {
		t.Fatal(err)
	}
	c := openTest(t, Config{ReuseFS: fsC})
	if rows := query(t, c, "select count(*) from pg_class where relname in ('only_a', 'only_b')"); rows[0][0] != "0" {
		t.Fatalf("a new clone is not pristine: %v", rows)
	}
}

// TestCopyDir_markerLast: a copied cluster is complete, and PG_VERSION is written after
// everything else.
func TestCopyDir_markerLast(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "copy")
	for name, body := range map[string]string{"PG_VERSION": "18\n", "base/1/1259": "pages", "global/pg_control": "ctl"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(src, name)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := copyDir(src, dst); err != nil {
		t.Fatal(err)
	}
	marker, err := os.Stat(filepath.Join(dst, "PG_VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"PG_VERSION", "base/1/1259", "global/pg_control"} {
		b, err := os.ReadFile(filepath.Join(dst, name))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := os.ReadFile(filepath.Join(src, name))
		if string(b) != string(want) {
			t.Fatalf("%s: %q", name, b)
		}
		// File times are coarse: equal is fine, later is not.
		if fi, _ := os.Stat(filepath.Join(dst, name)); fi.ModTime().After(marker.ModTime()) {
			t.Fatalf("%s was written after PG_VERSION", name)
		}
	}
}
