package bridge

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestExtension_pack: the first load of a bundle writes its pack, later loads map it and
// give the same files; a damaged pack is replaced; a cache that cannot be written still
// serves the files (from memory); a corrupt bundle is an error and leaves no pack.
func TestExtension_pack(t *testing.T) {
	raw := tarGz(t, map[string]string{
		"share/postgresql/extension/x.control": "comment = 'x'",
		"share/postgresql/extension/x--1.sql":  "select 1;",
		"lib/postgresql/x.so":                  "\x00asm\x01\x00\x00\x00",
	}, tar.TypeReg)
	want, wantControls, err := readBundle(raw)
	if err != nil {
		t.Fatal(err)
	}
	same := func(what string, files []extFile, controls []string) {
		t.Helper()
		if len(files) != len(want) || len(controls) != 1 || controls[0] != wantControls[0] {
			t.Fatalf("%s: %d files, controls %v", what, len(files), controls)
		}
		for i, f := range files {
			if f.path != want[i].path || f.mode != want[i].mode || !bytes.Equal(f.data, want[i].data) {
				t.Fatalf("%s: file %d is %s %o %q, want %s %o %q", what, i, f.path, f.mode, f.data, want[i].path, want[i].mode, want[i].data)
			}
		}
	}
	dir := t.TempDir()
	files, controls, err := loadPacked(dir, raw)
	if err != nil {
		t.Fatal(err)
	}
	same("first load", files, controls)
	p := packPath(dir, raw)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("no pack written: %v", err)
	}
	files, controls, err = mapPack(p)
	if err != nil {
		t.Fatal(err)
	}
	same("mapped", files, controls)

	// Damage: cut the pack inside its file bytes; the next load writes a good one again.
	b, _ := os.ReadFile(p)
	if err := os.WriteFile(p, b[:len(b)-3], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := mapPack(p); err == nil {
		t.Fatal("a truncated pack was accepted")
	}
	files, controls, err = loadPacked(dir, raw)
	if err != nil {
		t.Fatal(err)
	}
	same("after damage", files, controls)
	if again, _ := os.ReadFile(p); !bytes.Equal(again, b) {
		t.Fatal("the damaged pack was not replaced")
	}

	// A pack directory that cannot be created: the files come from memory.
	blocker := filepath.Join(t.TempDir(), "file")
	os.WriteFile(blocker, nil, 0o644)
	files, controls, err = loadPacked(filepath.Join(blocker, "packs"), raw)
	if err != nil {
		t.Fatal(err)
	}
	same("unwritable cache", files, controls)

	// A corrupt bundle fails and caches nothing.
	bad := raw[:len(raw)/2]
	if _, _, err := loadPacked(dir, bad); err == nil {
		t.Fatal("a truncated bundle loaded")
	}
	if _, err := os.Stat(packPath(dir, bad)); err == nil {
		t.Fatal("a corrupt bundle left a pack")
	}
}
