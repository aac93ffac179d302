package vfs

import "unsafe"

// AddSharedFile makes p a regular file with permission bits mode whose content is data,
// served without a copy: data must never change (bytes of the Bundle, a MapFile mapping or
// a decompressed buffer kept for the process). Like a bundle file, the first write copies
// only the 64 KiB chunk it touches. Missing parent directories are created (0755) in memory;
// an existing file at p is replaced. Clones share data too.
func (fs *FS) AddSharedFile(p string, mode uint32, data []byte) Errno {
	p, errno := cleanPath(p)
	if errno != 0 {
		return errno
	}
	if p == "/" {
		return EISDIR
	}
	dir, errno := fs.mkdirAllMem(parentDir(p), 0o755)
	if errno != 0 {
		return errno
	}
	name := p[lastSlash(p)+1:]
	if old := dir.children[name]; old != nil {
		if old.isDir() {
			return EISDIR
		}
		dir.unlink(name)
	}
	n := fs.newNode(S_IFREG | mode&0o7777)
	n.bundle, n.inBundle = data[:len(data):len(data)], true
	dir.link(name, n)
	return 0
}

// HasSharedFile reports whether p is a regular file still served from exactly these bytes
// (the same memory, not merely equal content), as AddSharedFile left it: a caller
// installing the same shared files again can skip them without reading anything.
func (fs *FS) HasSharedFile(p string, data []byte) bool {
	e, errno := fs.resolve(p, false)
	if errno != 0 || !e.exists() || e.n == nil || !e.n.isReg() || !e.n.inBundle {
		return false
	}
	b := e.n.bundle
	return len(b) == len(data) && (len(b) == 0 || unsafe.SliceData(b) == unsafe.SliceData(data))
}
