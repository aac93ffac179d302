package vfs

import (
	"sort"
	"time"
)

// node is an in-memory inode. Directory entries point at nodes, open Files
// hold them too, so an unlinked node lives on while it is open (PostgreSQL
// unlinks files it still has open).
type node struct {
	fs    *FS // owning FS, for the copy-on-write generation
	ino   uint64
	mode  uint32 // type | permission bits
	nlink uint32
	rdev  uint32
	atime int64
	mtime int64
	ctime int64

	// Directories.
	parent   *node
	children map[string]*node
	mount    *hostMount // non-nil when a host directory is mounted here

	// Regular files: content is bundle while inBundle (read-only bytes shared
	// with the Bundle, a mapped host file or another immutable source; see
	// AddSharedFile), data otherwise.
	data     fileData
	bundle   []byte
	inBundle bool

	target string // symlinks
	dev    Device // character devices
}

func (n *node) ftype() uint32   { return n.mode & S_IFMT }
func (n *node) isDir() bool     { return n.ftype() == S_IFDIR }
func (n *node) isReg() bool     { return n.ftype() == S_IFREG }
func (n *node) isSymlink() bool { return n.ftype() == S_IFLNK }
func (n *node) size() int64 {
	switch {
	case n.isReg() && n.inBundle:
		return int64(len(n.bundle))
	case n.isReg():
		return n.data.size
	case n.isDir():
		return 4096
	case n.isSymlink():
		return int64(len(n.target))
	}
	return 0
}

func (n *node) stat() Stat {
	nl := n.nlink
	if n.isDir() {
		nl = 2
		for _, c := range n.children {
			if c.isDir() {
				nl++
			}
		}
	}
	return Stat{
		Dev: memDev, Ino: n.ino, Mode: n.mode, Nlink: nl, Rdev: n.rdev,
		Size: n.size(), Atime: n.atime, Mtime: n.mtime, Ctime: n.ctime,
	}
}

// newNode allocates a node with a fresh inode number.
func (fs *FS) newNode(mode uint32) *node {
	fs.nextIno++
	now := time.Now().UnixNano()
	n := &node{fs: fs, ino: fs.nextIno, mode: mode, nlink: 1, atime: now, mtime: now, ctime: now}
	if n.isDir() {
		n.children = make(map[string]*node)
	}
	return n
}

// link enters child under name in directory d.
func (d *node) link(name string, child *node) {
	d.children[name] = child
	if child.isDir() {
		child.parent = d
	}
	d.touch()
}

// unlink removes name from d; the node survives while referenced elsewhere.
func (d *node) unlink(name string) {
	if c := d.children[name]; c != nil {
		delete(d.children, name)
		if c.nlink > 0 {
			c.nlink--
		}
		c.ctime = time.Now().UnixNano()
		if c.isDir() {
			c.parent = nil
		}
	}
	d.touch()
}

// touch records a modification.
func (n *node) touch() {
	now := time.Now().UnixNano()
	n.mtime, n.ctime = now, now
}

func (n *node) readDir() []DirEntry {
	out := make([]DirEntry, 0, len(n.children))
	for name, c := range n.children {
		out = append(out, DirEntry{Name: name, Ino: c.ino, Mode: c.ftype()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// owner is the COW generation allowed to modify chunks in place.
func (n *node) owner() *cowOwner { return n.fs.owner.Load() }

// materialize turns a bundle-backed file into chunked data before its first
// modification. The chunks still refer to the shared bytes, owned by no
// generation, so a write copies only the 64 KiB chunk it touches: the first
// WAL record written into a mapped 16 MiB segment costs one chunk, not 16 MiB.
func (n *node) materialize() {
	if n.inBundle {
		n.data.fromShared(n.bundle)
		n.bundle, n.inBundle = nil, false
	}
}

func (n *node) readAt(p []byte, off int64) int {
	if off < 0 {
		return 0
	}
	if n.inBundle {
		if off >= int64(len(n.bundle)) {
			return 0
		}
		return copy(p, n.bundle[off:])
	}
	return n.data.readAt(p, off)
}

func (n *node) writeAt(p []byte, off int64) Errno {
	n.materialize()
	if errno := n.data.writeAt(p, off, n.owner()); errno != 0 {
		return errno
	}
	n.touch()
	return 0
}

func (n *node) truncate(size int64) Errno {
	if size < 0 {
		return EINVAL
	}
	if n.inBundle && size != int64(len(n.bundle)) {
		n.materialize()
	}
	if !n.inBundle {
		if errno := n.data.truncate(size); errno != 0 {
			return errno
		}
	}
	n.touch()
	return 0
}

func (n *node) chmod(mode uint32) {
	n.mode = n.ftype() | mode&0o7777
	n.ctime = time.Now().UnixNano()
}

// permits applies Emscripten's permission check: each requested permission
// (R=4, W=2, X=1) must be granted by at least one of user, group or other.
// The guest runs as a single user, so ownership is not modelled.
func permits(mode, amode uint32) bool {
	if amode&R_OK != 0 && mode&0o444 == 0 {
		return false
	}
	if amode&W_OK != 0 && mode&0o222 == 0 {
		return false
	}
	if amode&X_OK != 0 && mode&0o111 == 0 {
		return false
	}
	return true
}

// openPerm is the permission an open with these flags needs.
func openPerm(flags uint32) uint32 {
	var a uint32
	switch flags & O_ACCMODE {
	case O_RDONLY:
		a = R_OK
	case O_WRONLY:
		a = W_OK
	default:
		a = R_OK | W_OK
	}
	if flags&O_TRUNC != 0 {
		a |= W_OK
	}
	return a
}
