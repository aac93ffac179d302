package vfs

// memFile is an open in-memory regular file or directory. It refers to the
// node, not the name, so it keeps working after unlink or rename.
type memFile struct {
	n      *node
	read   bool
	write  bool
	closed bool
}

func newMemFile(n *node, flags uint32) *memFile {
	acc := flags & O_ACCMODE
	return &memFile{n: n, read: acc != O_WRONLY, write: acc != O_RDONLY}
}

func (f *memFile) Stat() (Stat, Errno) {
	if f.closed {
		return Stat{}, EBADF
	}
	return f.n.stat(), 0
}

func (f *memFile) ReadAt(p []byte, off int64) (int, Errno) {
	switch {
	case f.closed || !f.read:
		return 0, EBADF
	case f.n.isDir():
		return 0, EISDIR
	case off < 0:
		return 0, EINVAL
	}
	return f.n.readAt(p, off), 0
}

func (f *memFile) WriteAt(p []byte, off int64) (int, Errno) {
	switch {
	case f.closed || !f.write:
		return 0, EBADF
	case f.n.isDir():
		return 0, EISDIR
	}
	if errno := f.n.writeAt(p, off); errno != 0 {
		return 0, errno
	}
	return len(p), 0
}

func (f *memFile) Truncate(size int64) Errno {
	switch {
	case f.closed:
		return EBADF
	case !f.write || !f.n.isReg():
		return EINVAL
	}
	return f.n.truncate(size)
}

func (f *memFile) Sync() Errno {
	if f.closed {
		return EBADF
	}
	return 0
}

func (f *memFile) ReadDir() ([]DirEntry, Errno) {
	switch {
	case f.closed:
		return nil, EBADF
	case !f.n.isDir():
		return nil, ENOTDIR
	}
	return f.n.readDir(), 0
}

func (f *memFile) Chmod(mode uint32) Errno {
	if f.closed {
		return EBADF
	}
	f.n.chmod(mode)
	return 0
}

func (f *memFile) Close() Errno {
	if f.closed {
		return EBADF
	}
	f.closed = true
	return 0
}
