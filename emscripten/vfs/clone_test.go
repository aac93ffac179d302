package vfs

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"
)

// buildCluster makes a PGDATA-like tree: one 16 MiB WAL segment and ~1000
// relation files, ~40 MB in all.
func buildCluster(t testing.TB) *FS {
	t.Helper()
	fs := New(tinyBundle(t))
	must(t, fs.Mkdir("/pglite/data", 0o700))
	must(t, fs.Mkdir("/pglite/data/pg_wal", 0o700))
	must(t, fs.Mkdir("/pglite/data/base", 0o700))
	seg := bytes.Repeat([]byte{7}, 16<<20)
	writeFile(t, fs, "/pglite/data/pg_wal/000000010000000000000001", seg)
	page := bytes.Repeat([]byte{1}, 24<<10)
	for db := 0; db < 4; db++ {
		dir := fmt.Sprintf("/pglite/data/base/%d", db+1)
		must(t, fs.Mkdir(dir, 0o700))
		for i := 0; i < 250; i++ {
			writeFile(t, fs, fmt.Sprintf("%s/%d", dir, 1000+i), page)
		}
	}
	return fs
}

func TestCloneIsolation(t *testing.T) {
	src := buildCluster(t)
	const rel = "/pglite/data/base/1/1000"
	const wal = "/pglite/data/pg_wal/000000010000000000000001"
	orig := readFile(t, src, rel)
	origWal := readFile(t, src, wal)

	// A handle opened before the clone stays on the source.
	h, errno := src.Open(rel, O_RDWR, 0)
	must(t, errno)
	c := src.Clone()

	// Writes on the clone are invisible in the source...
	f, errno := c.Open(rel, O_RDWR, 0)
	must(t, errno)
	f.WriteAt([]byte("clone"), 100)
	f.Close()
	checkContent(t, src, rel, orig)
	want := append([]byte(nil), orig...)
	copy(want[100:], "clone")
	checkContent(t, c, rel, want)

	// ...and writes on the source invisible in the clone, also through an
	// old handle and for truncation.
	h.WriteAt([]byte("source"), 200)
	want2 := append([]byte(nil), orig...)
	copy(want2[200:], "source")
	checkContent(t, src, rel, want2)
	checkContent(t, c, rel, want)
	must(t, src.Truncate(wal, 100))
	checkContent(t, c, wal, origWal)
	must(t, src.Truncate(wal, int64(len(origWal))))
	checkContent(t, c, wal, origWal)
	g, _ := src.Open(wal, O_RDONLY, 0)
	tail := make([]byte, 10)
	g.ReadAt(tail, 200)
	if !bytes.Equal(tail, make([]byte, 10)) {
		t.Fatal("truncate+extend did not zero the tail")
	}

	// Namespace changes are independent.
	must(t, c.Unlink("/pglite/data/base/2/1000"))
	must(t, src.Mkdir("/pglite/data/newdir", 0o700))
	if _, errno := src.Stat("/pglite/data/base/2/1000", true); errno != 0 {
		t.Fatal("unlink leaked to source")
	}
	if _, errno := c.Stat("/pglite/data/newdir", true); errno != ENOENT {
		t.Fatal("mkdir leaked to clone")
	}
	// Bundle files are shared and still COW.
	writeFile(t, c, "/pglite/share/postgresql/postgres.bki", []byte("changed"))
	if !bytes.HasPrefix(readFile(t, src, "/pglite/share/postgresql/postgres.bki"), []byte("# PostgreSQL 18")) {
		t.Fatal("bundle write leaked")
	}

	// A clone of a clone, and inode numbers preserved.
	c2 := c.Clone()
	s1, _ := c.Stat(rel, true)
	s2, _ := c2.Stat(rel, true)
	if s1.Ino != s2.Ino {
		t.Fatal("clone changed inode numbers")
	}
	writeFile(t, c2, rel, []byte("c2"))
	checkContent(t, c, rel, want)
	// New inodes stay unique in the clone.
	writeFile(t, c2, "/tmp/new", nil)
	sn, _ := c2.Stat("/tmp/new", true)
	for _, p := range []string{rel, "/", "/tmp"} {
		if s, _ := c2.Stat(p, true); s.Ino == sn.Ino {
			t.Fatal("duplicate inode after clone")
		}
	}
}

func TestCloneSharesChunks(t *testing.T) {
	src := buildCluster(t)
	const wal = "/pglite/data/pg_wal/000000010000000000000001"
	c := src.Clone()
	es, _ := src.resolve(wal, true)
	ec, _ := c.resolve(wal, true)
	if es.n == ec.n || &es.n.data.chunks[0] == &ec.n.data.chunks[0] {
		t.Fatal("clone shares nodes or chunk tables")
	}
	for i := range es.n.data.chunks {
		if es.n.data.chunks[i] != ec.n.data.chunks[i] {
			t.Fatal("clone copied chunk data")
		}
	}
	f, _ := c.Open(wal, O_RDWR, 0)
	f.WriteAt([]byte("x"), 5*chunkSize+1)
	copied := 0
	for i := range es.n.data.chunks {
		if es.n.data.chunks[i] != ec.n.data.chunks[i] {
			copied++
		}
	}
	if copied != 1 {
		t.Fatalf("a one-byte write copied %d chunks", copied)
	}
}

func TestCloneHardLinks(t *testing.T) {
	fs := New(nil)
	writeFile(t, fs, "/tmp/a", []byte("1"))
	must(t, fs.Link("/tmp/a", "/tmp/b"))
	c := fs.Clone()
	writeFile(t, c, "/tmp/a", []byte("2"))
	checkContent(t, c, "/tmp/b", []byte("2"))
	checkContent(t, fs, "/tmp/b", []byte("1"))
}

// Concurrent clones and reads of a quiescent FS are race-free.
func TestCloneConcurrent(t *testing.T) {
	src := buildCluster(t)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := src.Clone()
			readFile(t, src, "/pglite/data/base/3/1001")
			writeFile(t, c, "/pglite/data/base/3/1001", []byte("mine"))
			checkContent(t, c, "/pglite/data/base/3/1001", []byte("mine"))
		}()
	}
	wg.Wait()
	if got := readFile(t, src, "/pglite/data/base/3/1001"); len(got) != 24<<10 {
		t.Fatal("source changed")
	}
}

func TestCloneSpeed(t *testing.T) {
	if raceEnabled {
		t.Skip("timing is meaningless under -race")
	}
	src := buildCluster(t)
	best := time.Hour // best of many: the bound is about cost, not scheduling
	for i := 0; i < 20; i++ {
		start := time.Now()
		src.Clone()
		best = min(best, time.Since(start))
	}
	if best > 5*time.Millisecond {
		t.Fatalf("clone of a 40 MB tree took %v", best)
	}
}

func Benchmark_clone(b *testing.B) {
	src := buildCluster(b)
	b.ReportAllocs()
	for b.Loop() {
		src.Clone()
	}
}
