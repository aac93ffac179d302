package vfs

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

func TestOpenFlags(t *testing.T) {
	fs := New(nil)
	f, errno := fs.Open("/tmp/pid", O_RDWR|O_CREAT|O_EXCL, 0o600)
	must(t, errno)
	f.Close()
	_, errno = fs.Open("/tmp/pid", O_RDWR|O_CREAT|O_EXCL, 0o600)
	wantErr(t, errno, EEXIST)
	_, errno = fs.Open("/tmp/missing", O_RDONLY, 0)
	wantErr(t, errno, ENOENT)
	_, errno = fs.Open("/nodir/x", O_RDWR|O_CREAT, 0o600)
	wantErr(t, errno, ENOENT)
	_, errno = fs.Open("/tmp", O_WRONLY, 0)
	wantErr(t, errno, EISDIR)
	_, errno = fs.Open("/tmp/pid", O_RDONLY|O_DIRECTORY, 0)
	wantErr(t, errno, ENOTDIR)
	_, errno = fs.Open("/tmp/pid/", O_RDONLY, 0)
	wantErr(t, errno, ENOTDIR)
	_, errno = fs.Open("/tmp/pid/x", O_RDONLY, 0)
	wantErr(t, errno, ENOTDIR)
	_, errno = fs.Open("/tmp/new/", O_RDWR|O_CREAT, 0o600)
	wantErr(t, errno, EISDIR)
	_, errno = fs.Open("/tmp/pid", 3, 0)
	wantErr(t, errno, EINVAL)

	st, errno := fs.Stat("/tmp/pid", true)
	must(t, errno)
	if st.Mode != S_IFREG|0o600 || st.Nlink != 1 {
		t.Fatalf("stat %+v", st)
	}

	// O_TRUNC, and access modes enforced per handle.
	writeFile(t, fs, "/tmp/pid", []byte("12345"))
	f, errno = fs.Open("/tmp/pid", O_RDONLY, 0)
	must(t, errno)
	_, errno = f.WriteAt([]byte("x"), 0)
	wantErr(t, errno, EBADF)
	f.Close()
	_, errno = f.ReadAt(make([]byte, 1), 0)
	wantErr(t, errno, EBADF)
	f, errno = fs.Open("/tmp/pid", O_WRONLY|O_TRUNC, 0)
	must(t, errno)
	_, errno = f.ReadAt(make([]byte, 1), 0)
	wantErr(t, errno, EBADF)
	f.Close()
	checkContent(t, fs, "/tmp/pid", nil)

	// Directory handles list entries sorted, without . and ..
	must(t, fs.Mkdir("/tmp/d", 0o700))
	writeFile(t, fs, "/tmp/d/b", nil)
	writeFile(t, fs, "/tmp/d/a", nil)
	must(t, fs.Mkdir("/tmp/d/c", 0o700))
	d, errno := fs.Open("/tmp/d", O_RDONLY|O_DIRECTORY, 0)
	must(t, errno)
	ents, errno := d.ReadDir()
	must(t, errno)
	if len(ents) != 3 || ents[0].Name != "a" || ents[1].Name != "b" || ents[2].Name != "c" ||
		ents[2].Mode != S_IFDIR || ents[0].Mode != S_IFREG || ents[0].Ino == ents[1].Ino {
		t.Fatalf("readdir %+v", ents)
	}
	_, errno = d.ReadAt(make([]byte, 1), 0)
	wantErr(t, errno, EISDIR)
	wantErr(t, fs.Mkdir("/tmp/d", 0o700), EEXIST)
	wantErr(t, fs.Mkdir("/", 0o700), EEXIST)
	wantErr(t, fs.Mkdir("/no/such", 0o700), ENOENT)
	if st, _ := fs.Stat("/tmp/d", true); st.Nlink != 3 {
		t.Fatalf("dir nlink %d", st.Nlink)
	}
}

func TestReadWriteSparseAndTruncate(t *testing.T) {
	fs := New(nil)
	f, errno := fs.Open("/tmp/rel", O_RDWR|O_CREAT, 0o600)
	must(t, errno)
	ref := []byte{}
	rng := rand.New(rand.NewPCG(1, 2))
	write := func(off int64, n int) {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(rng.UintN(255) + 1)
		}
		if k, errno := f.WriteAt(p, off); errno != 0 || k != n {
			t.Fatalf("write: %d %v", k, errno)
		}
		if end := int(off) + n; end > len(ref) {
			ref = append(ref, make([]byte, end-len(ref))...)
		}
		copy(ref[off:], p)
	}
	check := func() {
		t.Helper()
		st, _ := f.Stat()
		if st.Size != int64(len(ref)) {
			t.Fatalf("size %d, want %d", st.Size, len(ref))
		}
		got := make([]byte, len(ref)+100)
		n, errno := f.ReadAt(got, 0)
		must(t, errno)
		if !bytes.Equal(got[:n], ref) {
			t.Fatal("content mismatch")
		}
	}
	for i := 0; i < 40; i++ { // 8 KiB pages, as PostgreSQL writes them
		write(int64(i)*8192, 8192)
	}
	check()
	write(3*chunkSize+100, 10)          // inside
	write(10*chunkSize+chunkSize-5, 20) // sparse gap, crosses a chunk boundary
	check()
	for _, size := range []int{10*chunkSize + 3, 5*chunkSize + 17, 5 * chunkSize, 100, 0, 2*chunkSize + 9} {
		must(t, f.Truncate(int64(size)))
		if size < len(ref) {
			ref = ref[:size]
		} else {
			ref = append(ref, make([]byte, size-len(ref))...)
		}
		check()
		write(int64(size/2), 7) // stale bytes past a truncation must not reappear
		check()
	}
	for i := 0; i < 300; i++ {
		write(int64(rng.IntN(4*chunkSize)), rng.IntN(3*chunkSize/2))
		if rng.IntN(10) == 0 {
			size := rng.IntN(5 * chunkSize)
			must(t, f.Truncate(int64(size)))
			if size < len(ref) {
				ref = ref[:size]
			} else {
				ref = append(ref, make([]byte, size-len(ref))...)
			}
		}
	}
	check()
	// Reads at and past EOF.
	n, errno := f.ReadAt(make([]byte, 10), int64(len(ref)))
	if n != 0 || errno != 0 {
		t.Fatalf("read at EOF: %d %v", n, errno)
	}
	_, errno = f.WriteAt([]byte("x"), -1)
	wantErr(t, errno, EINVAL)
	_, errno = f.WriteAt([]byte("x"), maxFileSize)
	wantErr(t, errno, EFBIG)
	wantErr(t, f.Truncate(-1), EINVAL)
}

func TestUnlinkWhileOpen(t *testing.T) {
	fs := New(nil)
	f, errno := fs.Open("/tmp/x", O_RDWR|O_CREAT, 0o600)
	must(t, errno)
	f.WriteAt([]byte("hello"), 0)
	must(t, fs.Unlink("/tmp/x"))
	_, errno = fs.Stat("/tmp/x", true)
	wantErr(t, errno, ENOENT)
	buf := make([]byte, 5)
	if n, errno := f.ReadAt(buf, 0); n != 5 || errno != 0 || string(buf) != "hello" {
		t.Fatalf("read after unlink: %q %v", buf[:n], errno)
	}
	if _, errno := f.WriteAt([]byte("!"), 5); errno != 0 {
		t.Fatal(errno)
	}
	st, _ := f.Stat()
	if st.Size != 6 || st.Nlink != 0 {
		t.Fatalf("stat after unlink %+v", st)
	}
	// The name is free for a new file.
	writeFile(t, fs, "/tmp/x", []byte("new"))
	f.ReadAt(buf, 0)
	if string(buf) != "hello" {
		t.Fatal("old handle sees new file")
	}
	must(t, f.Close())
	wantErr(t, fs.Unlink("/tmp"), EISDIR)
	wantErr(t, fs.Unlink("/tmp/none"), ENOENT)
}

func TestRenameAndRmdir(t *testing.T) {
	fs := New(nil)
	writeFile(t, fs, "/tmp/a.tmp", []byte("new"))
	writeFile(t, fs, "/tmp/a", []byte("old"))
	old, errno := fs.Open("/tmp/a", O_RDONLY, 0)
	must(t, errno)
	must(t, fs.Rename("/tmp/a.tmp", "/tmp/a"))
	checkContent(t, fs, "/tmp/a", []byte("new"))
	_, errno = fs.Stat("/tmp/a.tmp", true)
	wantErr(t, errno, ENOENT)
	buf := make([]byte, 3)
	old.ReadAt(buf, 0)
	if string(buf) != "old" {
		t.Fatal("replaced file's handle changed")
	}
	wantErr(t, fs.Rename("/tmp/none", "/tmp/b"), ENOENT)
	must(t, fs.Rename("/tmp/a", "/tmp/a")) // same file

	must(t, fs.Mkdir("/tmp/d1", 0o700))
	must(t, fs.Mkdir("/tmp/d2", 0o700))
	writeFile(t, fs, "/tmp/d1/f", []byte("f"))
	wantErr(t, fs.Rename("/tmp/a", "/tmp/d2"), EISDIR)
	wantErr(t, fs.Rename("/tmp/d2", "/tmp/a"), ENOTDIR)
	wantErr(t, fs.Rename("/tmp/d1", "/tmp/d1/sub"), EINVAL)
	wantErr(t, fs.Rename("/tmp/d2", "/tmp/d1"), ENOTEMPTY)
	must(t, fs.Rename("/tmp/d1", "/tmp/d2")) // empty dir target is replaced
	checkContent(t, fs, "/tmp/d2/f", []byte("f"))
	wantErr(t, fs.Rename("/", "/x"), EBUSY)

	wantErr(t, fs.Rmdir("/tmp/d2"), ENOTEMPTY)
	wantErr(t, fs.Rmdir("/tmp/d2/f"), ENOTDIR)
	wantErr(t, fs.Rmdir("/"), EBUSY)
	must(t, fs.Unlink("/tmp/d2/f"))
	must(t, fs.Rmdir("/tmp/d2"))
	wantErr(t, fs.Rmdir("/tmp/d2"), ENOENT)
}

func TestSymlinks(t *testing.T) {
	fs := New(nil)
	must(t, fs.Mkdir("/tmp/real", 0o755))
	writeFile(t, fs, "/tmp/real/f", []byte("data"))
	must(t, fs.Symlink("/tmp/real", "/tmp/abs"))
	must(t, fs.Symlink("real/f", "/tmp/rel"))
	must(t, fs.Symlink("../real/../real/f", "/tmp/real/up"))
	checkContent(t, fs, "/tmp/abs/f", []byte("data"))
	checkContent(t, fs, "/tmp/rel", []byte("data"))
	checkContent(t, fs, "/tmp/abs/up", []byte("data"))

	st, errno := fs.Stat("/tmp/rel", false)
	must(t, errno)
	if st.Mode&S_IFMT != S_IFLNK || st.Size != int64(len("real/f")) {
		t.Fatalf("lstat %+v", st)
	}
	st, _ = fs.Stat("/tmp/rel", true)
	if st.Mode&S_IFMT != S_IFREG {
		t.Fatalf("stat %+v", st)
	}
	if tg, errno := fs.Readlink("/tmp/rel"); errno != 0 || tg != "real/f" {
		t.Fatalf("readlink %q %v", tg, errno)
	}
	_, errno = fs.Readlink("/tmp/real/f")
	wantErr(t, errno, EINVAL)
	wantErr(t, fs.Symlink("x", "/tmp/rel"), EEXIST)

	_, errno = fs.Open("/tmp/rel", O_RDONLY|O_NOFOLLOW, 0)
	wantErr(t, errno, ELOOP)
	_, errno = fs.Open("/tmp/rel", O_RDWR|O_CREAT|O_EXCL, 0o600)
	wantErr(t, errno, EEXIST)

	// Loops.
	must(t, fs.Symlink("/tmp/l2", "/tmp/l1"))
	must(t, fs.Symlink("/tmp/l1", "/tmp/l2"))
	_, errno = fs.Stat("/tmp/l1", true)
	wantErr(t, errno, ELOOP)
	_, errno = fs.Stat("/tmp/l1/x", false)
	wantErr(t, errno, ELOOP)
	if _, errno = fs.Stat("/tmp/l1", false); errno != 0 {
		t.Fatal("lstat of a looping link failed")
	}
	// 40 hops are fine, 41 are not.
	prev := "/tmp/real/f"
	for i := 0; i < 41; i++ {
		name := "/tmp/chain" + string(rune('A'+i))
		must(t, fs.Symlink(prev, name))
		prev = name
	}
	_, errno = fs.Stat("/tmp/chain"+string(rune('A'+39)), true)
	wantErr(t, errno, 0)
	_, errno = fs.Stat(prev, true)
	wantErr(t, errno, ELOOP)

	// Creating through a dangling link creates the target.
	must(t, fs.Symlink("/tmp/real/created", "/tmp/dangling"))
	writeFile(t, fs, "/tmp/dangling", []byte("c"))
	checkContent(t, fs, "/tmp/real/created", []byte("c"))

	// ".." at the root stays at the root; ".." is lexical.
	checkContent(t, fs, "/../../tmp/./real//f", []byte("data"))
	checkContent(t, fs, "/tmp/nonexistent/../real/f", []byte("data"))
}

func TestHardLinkChmodUtimes(t *testing.T) {
	fs := New(nil)
	writeFile(t, fs, "/tmp/a", []byte("1"))
	must(t, fs.Link("/tmp/a", "/tmp/b"))
	wantErr(t, fs.Link("/tmp/a", "/tmp/b"), EEXIST)
	wantErr(t, fs.Link("/tmp", "/tmp2"), EPERM)
	sa, _ := fs.Stat("/tmp/a", true)
	sb, _ := fs.Stat("/tmp/b", true)
	if sa.Ino != sb.Ino || sa.Nlink != 2 {
		t.Fatalf("link: %+v %+v", sa, sb)
	}
	writeFile(t, fs, "/tmp/b", []byte("22"))
	checkContent(t, fs, "/tmp/a", []byte("22"))
	must(t, fs.Unlink("/tmp/a"))
	if st, _ := fs.Stat("/tmp/b", true); st.Nlink != 1 {
		t.Fatal("nlink after unlink")
	}

	must(t, fs.Chmod("/tmp/b", 0o400))
	wantErr(t, fs.Access("/tmp/b", W_OK), EACCES)
	wantErr(t, fs.Access("/tmp/b", R_OK), 0)
	_, errno := fs.Open("/tmp/b", O_RDWR, 0)
	wantErr(t, errno, EACCES)

	must(t, fs.Utimes("/tmp/b", 1e9, -1))
	st, _ := fs.Stat("/tmp/b", true)
	if st.Atime != 1e9 || st.Mtime == 1e9 {
		t.Fatalf("utimes %+v", st)
	}
	must(t, fs.Utimes("/tmp/b", -1, 2e9))
	st, _ = fs.Stat("/tmp/b", true)
	if st.Atime != 1e9 || st.Mtime != 2e9 {
		t.Fatalf("utimes %+v", st)
	}
	must(t, fs.Truncate("/tmp/b", 10))
	if st, _ := fs.Stat("/tmp/b", true); st.Size != 10 {
		t.Fatal("truncate")
	}
	wantErr(t, fs.Truncate("/tmp", 0), EISDIR)
}

type recDev struct{ got []byte }

func (d *recDev) Read(p []byte) (int, Errno)  { return copy(p, "dev"), 0 }
func (d *recDev) Write(p []byte) (int, Errno) { d.got = append(d.got, p...); return len(p), 0 }

func TestDevices(t *testing.T) {
	fs := New(nil)
	fs.AddDevice("/dev/null", Null{}, 1<<8|3)
	fs.AddDevice("/dev/urandom", Random{}, 1<<8|9)
	rd := &recDev{}
	fs.AddDevice("/dev/blob", rd, 64<<8)
	st, errno := fs.Stat("/dev/null", true)
	must(t, errno)
	if st.Mode != S_IFCHR|0o666 || st.Rdev != 1<<8|3 {
		t.Fatalf("stat %+v", st)
	}
	f, errno := fs.Open("/dev/null", O_RDWR|O_TRUNC, 0)
	must(t, errno)
	if n, _ := f.ReadAt(make([]byte, 4), 100); n != 0 {
		t.Fatal("null read")
	}
	if n, _ := f.WriteAt(make([]byte, 4), 100); n != 4 {
		t.Fatal("null write")
	}
	u, _ := fs.Open("/dev/urandom", O_RDONLY, 0)
	buf := make([]byte, 32)
	if n, _ := u.ReadAt(buf, 0); n != 32 || bytes.Equal(buf, make([]byte, 32)) {
		t.Fatal("urandom")
	}
	b, _ := fs.Open("/dev/blob", O_RDWR, 0)
	b.WriteAt([]byte("xy"), 7)
	if n, _ := b.ReadAt(buf, 9); string(buf[:n]) != "dev" || string(rd.got) != "xy" {
		t.Fatal("custom device")
	}
	d, _ := fs.Open("/dev", O_RDONLY, 0)
	ents, _ := d.ReadDir()
	var names []string
	for _, e := range ents {
		names = append(names, e.Name)
	}
	if len(names) != 4 || names[0] != "blob" || names[3] != "urandom" {
		t.Fatalf("dev entries %v", names)
	}
}

func TestInodesUnique(t *testing.T) {
	fs := New(tinyBundle(t))
	seen := map[uint64]string{}
	var walk func(string)
	walk = func(p string) {
		st, errno := fs.Stat(p, false)
		must(t, errno)
		if q, dup := seen[st.Ino]; dup {
			t.Fatalf("inode %d shared by %s and %s", st.Ino, p, q)
		}
		seen[st.Ino] = p
		if st.IsDir() {
			d, _ := fs.Open(p, O_RDONLY, 0)
			ents, _ := d.ReadDir()
			for _, e := range ents {
				walk(joinV(p, e.Name))
			}
		}
	}
	walk("/")
	if len(seen) < 15 {
		t.Fatalf("only %d nodes", len(seen))
	}
}

// BenchmarkPwrite8K measures PostgreSQL's dominant I/O pattern.
func BenchmarkPwrite8K(b *testing.B) {
	fs := New(nil)
	f, _ := fs.Open("/tmp/rel", O_RDWR|O_CREAT, 0o600)
	page := make([]byte, 8192)
	b.SetBytes(8192)
	for i := 0; b.Loop(); i++ {
		f.WriteAt(page, int64(i%8192)*8192)
	}
}

func BenchmarkPread8K(b *testing.B) {
	fs := New(nil)
	f, _ := fs.Open("/tmp/rel", O_RDWR|O_CREAT, 0o600)
	page := make([]byte, 8192)
	for i := 0; i < 1024; i++ {
		f.WriteAt(page, int64(i)*8192)
	}
	b.SetBytes(8192)
	for i := 0; b.Loop(); i++ {
		f.ReadAt(page, int64(i%1024)*8192)
	}
}

func BenchmarkStatPath(b *testing.B) {
	fs := New(tinyBundle(b))
	b.ReportAllocs()
	for b.Loop() {
		fs.Stat("/pglite/share/postgresql/postgres.bki", true)
	}
}
