package vfs

import (
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// FS is the virtual file system of one PostgreSQL instance: an in-memory
// tree whose bundle files are served copy-on-write from a shared Bundle,
// optionally with host directories mounted into it.
//
// An FS is not safe for concurrent use: the guest is single-threaded and the
// syscall layer calls in from one goroutine at a time. The one exception is
// Clone, which may run concurrently with other Clones and with read-only use
// as long as nobody modifies the FS meanwhile.
type FS struct {
	root    *node
	nextIno uint64
	owner   atomic.Pointer[cowOwner]
	mounts  int
}

// Directories Emscripten's runtime creates before any user code (besides
// those implied by the bundle).
var baseDirs = []struct {
	path string
	mode uint32
}{
	{"/tmp", 0o777},
	{"/home", 0o755},
	{"/home/web_user", 0o755},
	{"/dev", 0o755},
	{"/dev/shm", 0o777},
	{"/dev/shm/tmp", 0o777},
	{"/proc", 0o755},
	{"/proc/self", 0o755},
	{"/proc/self/fd", 0o755},
}

// New builds the initial tree: the bundle's files (mode 0777, like
// Emscripten's createDataFile) under 0755 directories, the runtime
// directories, and the chmods PGlite applies after loading (contract §5.1
// step 7). Bundle bytes are referenced, not copied; b may be nil.
func New(b *Bundle) *FS {
	fs := &FS{}
	fs.owner.Store(new(cowOwner))
	fs.root = fs.newNode(S_IFDIR | 0o755)
	for _, d := range baseDirs {
		if _, errno := fs.mkdirAllMem(d.path, d.mode); errno != 0 {
			panic("vfs: " + d.path + ": " + errno.Error())
		}
	}
	if b != nil {
		for _, e := range b.entries {
			dir, errno := fs.mkdirAllMem(parentDir(e.Filename), 0o755)
			if errno != 0 {
				panic("vfs: bundle " + e.Filename + ": " + errno.Error()) // NewBundle validated paths
			}
			n := fs.newNode(S_IFREG | 0o777)
			n.bundle, n.inBundle = b.data[e.Start:e.End:e.End], true
			dir.link(e.Filename[lastSlash(e.Filename)+1:], n)
		}
	}
	for p, mode := range map[string]uint32{
		"/home/postgres/.pgpass": 0o600,
		"/pglite/bin/initdb":     0o555,
		"/pglite/bin/postgres":   0o555,
	} {
		if errno := fs.Chmod(p, mode); errno != 0 && errno != ENOENT {
			panic("vfs: chmod " + p + ": " + errno.Error())
		}
	}
	return fs
}

// mkdirAllMem creates missing in-memory directories along p (mkdir -p) and
// returns the last one. It does not enter host mounts.
func (fs *FS) mkdirAllMem(p string, mode uint32) (*node, Errno) {
	var buf [16]string
	comps, _, errno := splitPath(buf[:0], p)
	if errno != 0 {
		return nil, errno
	}
	cur := fs.root
	for _, c := range comps {
		child := cur.children[c]
		switch {
		case child == nil:
			child = fs.newNode(S_IFDIR | mode&0o7777)
			cur.link(c, child)
		case child.mount != nil:
			return nil, EXDEV
		case !child.isDir():
			return nil, ENOTDIR
		}
		cur = child
	}
	return cur, 0
}

// Stat returns metadata, following a final symlink when follow is set.
func (fs *FS) Stat(path string, follow bool) (Stat, Errno) {
	e, errno := fs.resolve(path, follow)
	switch {
	case errno != 0:
		return Stat{}, errno
	case !e.exists():
		return Stat{}, ENOENT
	case e.mnt != nil:
		return hostStat(e.hfi), 0
	}
	return e.n.stat(), 0
}

// Access implements faccessat with Emscripten's permission model (see
// permits): amode other than R/W/X bits is EINVAL, F_OK only checks
// existence.
func (fs *FS) Access(path string, amode uint32) Errno {
	if amode&^7 != 0 {
		return EINVAL
	}
	st, errno := fs.Stat(path, true)
	if errno != 0 {
		return errno
	}
	if !permits(st.Mode, amode) {
		return EACCES
	}
	return 0
}

// Open opens or creates path. flags are musl open flags; mode is the
// creation mode, already masked by the caller's umask. O_APPEND and
// O_NONBLOCK are the caller's business and ignored here.
func (fs *FS) Open(path string, flags uint32, mode uint32) (File, Errno) {
	if flags&O_ACCMODE == 3 {
		return nil, EINVAL
	}
	creat := flags&O_CREAT != 0
	excl := creat && flags&O_EXCL != 0
	// O_CREAT|O_EXCL must not follow a final symlink: the name itself must
	// be new.
	e, errno := fs.resolve(path, flags&O_NOFOLLOW == 0 && !excl)
	if errno != 0 {
		return nil, errno
	}
	if e.mnt != nil {
		return fs.openHost(e, flags, mode)
	}
	n := e.n
	if n == nil {
		if !creat {
			return nil, ENOENT
		}
		if e.mustDir || flags&O_DIRECTORY != 0 {
			return nil, EISDIR
		}
		n = fs.newNode(S_IFREG | mode&0o7777)
		e.parent.link(e.name, n)
		return newMemFile(n, flags), 0
	}
	acc := flags & O_ACCMODE
	switch {
	case excl:
		return nil, EEXIST
	case n.isSymlink():
		return nil, ELOOP
	case flags&O_DIRECTORY != 0 && !n.isDir():
		return nil, ENOTDIR
	case n.isDir() && (acc != O_RDONLY || flags&O_TRUNC != 0):
		return nil, EISDIR
	case !permits(n.mode, openPerm(flags)):
		return nil, EACCES
	}
	switch n.ftype() {
	case S_IFCHR:
		return &devFile{n: n, read: acc != O_WRONLY, write: acc != O_RDONLY}, 0
	case S_IFREG:
		if flags&O_TRUNC != 0 {
			if errno := n.truncate(0); errno != 0 {
				return nil, errno
			}
		}
	case S_IFDIR:
	default:
		return nil, ENXIO
	}
	return newMemFile(n, flags), 0
}

// Mkdir creates a directory; mode is already umask'd.
func (fs *FS) Mkdir(path string, mode uint32) Errno {
	e, errno := fs.resolve(path, false)
	switch {
	case errno != 0:
		return errno
	case e.exists() || e.n != nil:
		return EEXIST
	case e.mnt != nil:
		return ErrnoOf(os.Mkdir(e.host, osPerm(mode)))
	}
	e.parent.link(e.name, fs.newNode(S_IFDIR|mode&0o7777))
	return 0
}

// Unlink removes a non-directory name. The node lives on while open.
func (fs *FS) Unlink(path string) Errno {
	e, errno := fs.resolve(path, false)
	switch {
	case errno != 0:
		return errno
	case !e.exists():
		return ENOENT
	case e.isDir():
		return EISDIR
	case e.mnt != nil:
		return ErrnoOf(os.Remove(e.host))
	}
	e.parent.unlink(e.name)
	return 0
}

// Rmdir removes an empty directory.
func (fs *FS) Rmdir(path string) Errno {
	e, errno := fs.resolve(path, false)
	switch {
	case errno != 0:
		return errno
	case !e.exists():
		return ENOENT
	case !e.isDir():
		return ENOTDIR
	case e.isMountPoint() || e.n == fs.root:
		return EBUSY
	case e.mnt != nil:
		return ErrnoOf(os.Remove(e.host))
	case len(e.n.children) > 0:
		return ENOTEMPTY
	}
	e.parent.unlink(e.name)
	return 0
}

// Rename moves oldPath to newPath, atomically replacing a non-directory
// target or an empty directory target. Renames between the in-memory tree
// and a host mount (or between mounts) fail with EXDEV, as across devices.
func (fs *FS) Rename(oldPath, newPath string) Errno {
	src, errno := fs.resolve(oldPath, false)
	if errno != 0 {
		return errno
	}
	dst, errno := fs.resolve(newPath, false)
	switch {
	case errno != 0:
		return errno
	case !src.exists():
		return ENOENT
	case src.isMountPoint() || dst.isMountPoint() || src.n == fs.root || dst.n == fs.root:
		return EBUSY
	case src.mnt != dst.mnt:
		return EXDEV
	case src.mnt != nil:
		return ErrnoOf(os.Rename(src.host, dst.host))
	case dst.mustDir && !src.isDir():
		return ENOTDIR
	case src.n == dst.n:
		return 0 // same file: POSIX says do nothing
	}
	n := src.n
	if t := dst.n; t != nil {
		switch {
		case n.isDir() && !t.isDir():
			return ENOTDIR
		case !n.isDir() && t.isDir():
			return EISDIR
		case t.isDir() && len(t.children) > 0:
			return ENOTEMPTY
		}
	}
	if n.isDir() {
		for d := dst.parent; d != nil; d = d.parent {
			if d == n {
				return EINVAL // into its own subtree
			}
		}
	}
	if dst.n != nil {
		dst.parent.unlink(dst.name)
	}
	delete(src.parent.children, src.name)
	src.parent.touch()
	dst.parent.link(dst.name, n)
	n.ctime = time.Now().UnixNano()
	return 0
}

// Symlink creates linkPath pointing at target (stored verbatim, resolved at
// lookup time in the virtual namespace). A link on a host mount may not point
// at an absolute guest path outside every host mount: the files behind it
// would live in memory while the link survives on disk, so a tablespace made
// that way would lose its committed data at the next start. PostgreSQL reports
// the EPERM as "could not create symbolic link".
func (fs *FS) Symlink(target, linkPath string) Errno {
	if target == "" {
		return ENOENT
	}
	e, errno := fs.resolve(linkPath, false)
	switch {
	case errno != 0:
		return errno
	case e.exists() || e.n != nil:
		return EEXIST
	case e.mustDir:
		return ENOENT
	case e.mnt != nil:
		if strings.HasPrefix(target, "/") {
			if t, errno := fs.resolve(target, true); errno != 0 || t.mnt == nil {
				return EPERM
			}
		}
		return ErrnoOf(os.Symlink(target, e.host))
	}
	n := fs.newNode(S_IFLNK | 0o777)
	n.target = target
	e.parent.link(e.name, n)
	return 0
}

// Readlink returns a symlink's target; EINVAL for anything else.
func (fs *FS) Readlink(path string) (string, Errno) {
	e, errno := fs.resolve(path, false)
	switch {
	case errno != 0:
		return "", errno
	case !e.exists():
		return "", ENOENT
	case e.mnt != nil:
		if e.hfi.Mode()&os.ModeSymlink == 0 {
			return "", EINVAL
		}
		t, err := os.Readlink(e.host)
		return t, ErrnoOf(err)
	case !e.n.isSymlink():
		return "", EINVAL
	}
	return e.n.target, 0
}

// Link creates a hard link (not following a final symlink of oldPath).
// Directories cannot be hard-linked (EPERM).
func (fs *FS) Link(oldPath, newPath string) Errno {
	src, errno := fs.resolve(oldPath, false)
	if errno != 0 {
		return errno
	}
	dst, errno := fs.resolve(newPath, false)
	switch {
	case errno != 0:
		return errno
	case !src.exists():
		return ENOENT
	case src.isDir():
		return EPERM
	case dst.exists() || dst.n != nil:
		return EEXIST
	case src.mnt != dst.mnt:
		return EXDEV
	case src.mnt != nil:
		return ErrnoOf(os.Link(src.host, dst.host))
	}
	src.n.nlink++
	src.n.ctime = time.Now().UnixNano()
	dst.parent.link(dst.name, src.n)
	return 0
}

// Chmod sets permission bits (following symlinks).
func (fs *FS) Chmod(path string, mode uint32) Errno {
	e, errno := fs.resolve(path, true)
	switch {
	case errno != 0:
		return errno
	case !e.exists():
		return ENOENT
	case e.mnt != nil:
		return ErrnoOf(os.Chmod(e.host, osPerm(mode)))
	}
	e.n.chmod(mode)
	return 0
}

// Truncate resizes a regular file by path.
func (fs *FS) Truncate(path string, size int64) Errno {
	if size < 0 {
		return EINVAL
	}
	e, errno := fs.resolve(path, true)
	switch {
	case errno != 0:
		return errno
	case !e.exists():
		return ENOENT
	case e.isDir():
		return EISDIR
	case e.mnt != nil:
		return ErrnoOf(os.Truncate(e.host, size))
	case !e.n.isReg():
		return EINVAL
	}
	return e.n.truncate(size)
}

// Utimes sets access and modification times in Unix nanoseconds; -1 leaves
// that time unchanged (UTIME_OMIT). The caller resolves UTIME_NOW.
func (fs *FS) Utimes(path string, atimeNs, mtimeNs int64) Errno {
	e, errno := fs.resolve(path, true)
	switch {
	case errno != 0:
		return errno
	case !e.exists():
		return ENOENT
	case e.mnt != nil:
		return ErrnoOf(hostUtimes(e.host, atimeNs, mtimeNs))
	}
	if atimeNs != -1 {
		e.n.atime = atimeNs
	}
	if mtimeNs != -1 {
		e.n.mtime = mtimeNs
	}
	e.n.ctime = time.Now().UnixNano()
	return 0
}
