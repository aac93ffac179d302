package emscripten

import (
	"io"
	"path"

	"github.com/pglite-go/pglite/emscripten/vfs"
)

// openFile is an open file description: what dup() shares, with its position and flags.
type openFile struct {
	path  string
	file  vfs.File
	pipe  *pipe
	flags uint32
	mode  uint32 // file type bits at open time (S_IF*)
	pos   int64
	refs  int
	dir   []vfs.DirEntry // directory listing snapshot, taken when getdents starts at 0
}

// seekable reports whether the description has a position (regular files and directories).
func (of *openFile) seekable() bool {
	t := of.mode & vfs.S_IFMT
	return t == vfs.S_IFREG || t == vfs.S_IFDIR
}

// fdTable is the one descriptor table shared by the __syscall_* and WASI fd_* imports, as in
// Emscripten: descriptors from openat are read with fd_read and closed with fd_close.
type fdTable struct {
	p     *Process
	files []*openFile
}

// maxFDs bounds the table. PostgreSQL probes with dup(2) up to max_files_per_process (1000)
// at every start and needs a few dozen usable.
const maxFDs = 4096

func newFDTable(p *Process) *fdTable {
	t := &fdTable{p: p}
	t.files = []*openFile{
		{path: "/dev/stdin", file: stdinFile{}, mode: vfs.S_IFCHR, refs: 1},
		{path: "/dev/stdout", file: writerFile{w: p.cfg.Stdout}, mode: vfs.S_IFCHR, flags: vfs.O_WRONLY, refs: 1},
		{path: "/dev/stderr", file: writerFile{w: p.cfg.Stderr}, mode: vfs.S_IFCHR, flags: vfs.O_WRONLY, refs: 1},
	}
	return t
}

func (t *fdTable) get(fd int32) (*openFile, vfs.Errno) {
	if fd < 0 || int(fd) >= len(t.files) || t.files[fd] == nil {
		return nil, vfs.EBADF
	}
	return t.files[fd], 0
}

// install puts of at the lowest free descriptor >= min.
func (t *fdTable) install(of *openFile, min int32) (int32, vfs.Errno) {
	for fd := int(min); fd < maxFDs; fd++ {
		if fd >= len(t.files) {
			t.files = append(t.files, make([]*openFile, fd-len(t.files)+1)...)
		}
		if t.files[fd] == nil {
			t.files[fd] = of
			of.refs++
			return int32(fd), 0
		}
	}
	return -1, vfs.EMFILE
}

// installAt replaces whatever fd refers to (dup3).
func (t *fdTable) installAt(of *openFile, fd int32) vfs.Errno {
	if fd < 0 || fd >= maxFDs {
		return vfs.EBADF
	}
	if int(fd) >= len(t.files) {
		t.files = append(t.files, make([]*openFile, int(fd)-len(t.files)+1)...)
	}
	if old := t.files[fd]; old != nil {
		t.release(old)
	}
	t.files[fd] = of
	of.refs++
	return 0
}

func (t *fdTable) close(fd int32) vfs.Errno {
	of, errno := t.get(fd)
	if errno != 0 {
		return errno
	}
	t.files[fd] = nil
	return t.release(of)
}

func (t *fdTable) release(of *openFile) vfs.Errno {
	of.refs--
	if of.refs > 0 {
		return 0
	}
	if of.pipe != nil {
		of.pipe.closeEnd(of.flags&vfs.O_ACCMODE != vfs.O_RDONLY)
		return 0
	}
	if of.file != nil {
		return of.file.Close()
	}
	return 0
}

// closeAll closes every descriptor; used when the process is discarded.
func (t *fdTable) closeAll() {
	for fd := range t.files {
		if t.files[fd] != nil {
			_ = t.close(int32(fd))
		}
	}
}

// pathOf gives the directory a dirfd-relative path starts from.
func (t *fdTable) pathOf(fd int32) (string, vfs.Errno) {
	of, errno := t.get(fd)
	if errno != 0 {
		return "", errno
	}
	return of.path, 0
}

// stdinFile is fd 0: it always reads as EOF. PGlite's startup main() relies on reading EOF
// from stdin to reach its exit(99).
type stdinFile struct{ vfs.File }

func (stdinFile) ReadAt(p []byte, off int64) (int, vfs.Errno)  { return 0, 0 }
func (stdinFile) WriteAt(p []byte, off int64) (int, vfs.Errno) { return 0, vfs.EBADF }
func (stdinFile) Stat() (vfs.Stat, vfs.Errno)                  { return vfs.Stat{Mode: vfs.S_IFCHR | 0o666}, 0 }
func (stdinFile) Sync() vfs.Errno                              { return 0 }
func (stdinFile) Close() vfs.Errno                             { return 0 }

// writerFile is fd 1 or 2: bytes go to the configured writer (the logger).
type writerFile struct {
	vfs.File
	w io.Writer
}

func (w writerFile) ReadAt(p []byte, off int64) (int, vfs.Errno) { return 0, vfs.EBADF }
func (w writerFile) WriteAt(p []byte, off int64) (int, vfs.Errno) {
	if w.w != nil {
		_, _ = w.w.Write(p)
	}
	return len(p), 0
}
func (writerFile) Stat() (vfs.Stat, vfs.Errno) { return vfs.Stat{Mode: vfs.S_IFCHR | 0o666}, 0 }
func (writerFile) Sync() vfs.Errno             { return 0 }
func (writerFile) Close() vfs.Errno            { return 0 }

// resolvePath joins a guest path with the cwd or a directory descriptor.
func (p *Process) resolvePath(dirfd int32, name string) (string, vfs.Errno) {
	if name == "" {
		return "", vfs.ENOENT
	}
	if path.IsAbs(name) {
		return path.Clean(name), 0
	}
	base := p.cwd
	if dirfd != atFDCWD {
		b, errno := p.fds.pathOf(dirfd)
		if errno != 0 {
			return "", errno
		}
		base = b
	}
	return path.Join(base, name), 0
}

const atFDCWD = -100

// pipe is an in-process pipe (pipe2). PostgreSQL opens one per backend start for its latch.
type pipe struct {
	buf         []byte
	readClosed  bool
	writeClosed bool
}

func (pp *pipe) closeEnd(write bool) {
	if write {
		pp.writeClosed = true
	} else {
		pp.readClosed = true
	}
}
