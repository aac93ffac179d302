package vfs

import "crypto/rand"

// Device is the behaviour behind a character device node such as /dev/null
// or /dev/urandom. Devices have no file position, so offsets are not passed.
type Device interface {
	Read(p []byte) (int, Errno)
	Write(p []byte) (int, Errno)
}

// AddDevice creates (or replaces) a character device node at path, creating
// missing parent directories. rdev is reported as st_rdev (major<<8|minor).
// It is setup code with fixed paths, so an impossible path (a parent that is
// a file, a directory at path) panics. Clones share the Device value; give a
// clone its own devices where they hold per-instance state.
func (fs *FS) AddDevice(path string, dev Device, rdev uint32) {
	p, errno := cleanPath(path)
	if errno == 0 && p == "/" {
		errno = EISDIR
	}
	var d *node
	if errno == 0 {
		d, errno = fs.mkdirAllMem(parentDir(p), 0o755)
	}
	name := p[lastSlash(p)+1:]
	if errno == 0 {
		if old := d.children[name]; old != nil {
			if old.isDir() {
				errno = EISDIR
			} else {
				d.unlink(name)
			}
		}
	}
	if errno != 0 {
		panic("vfs: AddDevice " + path + ": " + errno.Error())
	}
	n := fs.newNode(S_IFCHR | 0o666)
	n.dev, n.rdev = dev, rdev
	d.link(name, n)
}

func lastSlash(p string) int {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return i
		}
	}
	return -1
}

// devFile is an open character device.
type devFile struct {
	n      *node
	read   bool
	write  bool
	closed bool
}

func (f *devFile) Stat() (Stat, Errno) {
	if f.closed {
		return Stat{}, EBADF
	}
	return f.n.stat(), 0
}

func (f *devFile) ReadAt(p []byte, _ int64) (int, Errno) {
	if f.closed || !f.read {
		return 0, EBADF
	}
	if f.n.dev == nil {
		return 0, ENXIO
	}
	return f.n.dev.Read(p)
}

func (f *devFile) WriteAt(p []byte, _ int64) (int, Errno) {
	if f.closed || !f.write {
		return 0, EBADF
	}
	if f.n.dev == nil {
		return 0, ENXIO
	}
	return f.n.dev.Write(p)
}

func (f *devFile) Truncate(int64) Errno {
	if f.closed {
		return EBADF
	}
	return 0 // truncating a device (O_TRUNC on /dev/null) is a no-op on Linux
}

func (f *devFile) Sync() Errno {
	if f.closed {
		return EBADF
	}
	return 0
}

func (f *devFile) ReadDir() ([]DirEntry, Errno) {
	if f.closed {
		return nil, EBADF
	}
	return nil, ENOTDIR
}

func (f *devFile) Chmod(mode uint32) Errno {
	if f.closed {
		return EBADF
	}
	f.n.chmod(mode)
	return 0
}

func (f *devFile) Close() Errno {
	if f.closed {
		return EBADF
	}
	f.closed = true
	return 0
}

// Null is /dev/null: reads hit EOF, writes vanish.
type Null struct{}

func (Null) Read([]byte) (int, Errno)    { return 0, 0 }
func (Null) Write(p []byte) (int, Errno) { return len(p), 0 }

// Random is /dev/random and /dev/urandom, backed by crypto/rand because
// PostgreSQL uses it for pg_strong_random.
type Random struct{}

func (Random) Read(p []byte) (int, Errno) {
	if _, err := rand.Read(p); err != nil {
		return 0, EIO
	}
	return len(p), 0
}
func (Random) Write(p []byte) (int, Errno) { return len(p), 0 }
