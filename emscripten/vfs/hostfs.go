package vfs

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// hostMount maps a virtual directory 1:1 onto a real directory, so that a
// persistent PGDATA gets real durability (fsync) and atomic renames.
type hostMount struct {
	vpath string
	root  string // absolute host path
}

// MountHost maps everything under vpath onto hostDir, which is created
// (0700) if missing; vpath is created in memory if missing and its previous
// in-memory contents are hidden while mounted. Symlinks stored on the host
// hold guest paths and are resolved in the virtual namespace. Mounts cannot
// nest and cannot be cloned.
func (fs *FS) MountHost(vpath, hostDir string) error {
	p, errno := cleanPath(vpath)
	if errno != 0 {
		return errno
	}
	if p == "/" {
		return errors.New("vfs: cannot mount over /")
	}
	root, err := filepath.Abs(hostDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return err
	}
	fi, err := os.Stat(root)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return &os.PathError{Op: "mount", Path: root, Err: ENOTDIR}
	}
	// Walk without following symlinks: mount points are fixed, literal paths.
	n, errno := fs.mkdirAllMem(p, 0o700)
	switch {
	case errno == EXDEV || errno == 0 && n.mount != nil:
		return &os.PathError{Op: "mount", Path: vpath, Err: EBUSY} // no nesting
	case errno != 0:
		return &os.PathError{Op: "mount", Path: vpath, Err: errno}
	}
	n.mount = &hostMount{vpath: p, root: root}
	fs.mounts++
	return nil
}

// osPerm converts permission bits to an os.FileMode (setuid etc. differ).
func osPerm(mode uint32) os.FileMode {
	m := os.FileMode(mode & 0o777)
	if mode&0o4000 != 0 {
		m |= os.ModeSetuid
	}
	if mode&0o2000 != 0 {
		m |= os.ModeSetgid
	}
	if mode&0o1000 != 0 {
		m |= os.ModeSticky
	}
	return m
}

// modeOf converts an os.FileMode to st_mode bits.
func modeOf(m os.FileMode) uint32 {
	t := uint32(S_IFREG)
	switch {
	case m&os.ModeDir != 0:
		t = S_IFDIR
	case m&os.ModeSymlink != 0:
		t = S_IFLNK
	case m&os.ModeNamedPipe != 0:
		t = S_IFIFO
	case m&os.ModeCharDevice != 0:
		t = S_IFCHR
	case m&os.ModeDevice != 0:
		t = S_IFBLK
	case m&os.ModeSocket != 0:
		t = S_IFSOCK
	}
	p := uint32(m.Perm())
	if m&os.ModeSetuid != 0 {
		p |= 0o4000
	}
	if m&os.ModeSetgid != 0 {
		p |= 0o2000
	}
	if m&os.ModeSticky != 0 {
		p |= 0o1000
	}
	return t | p
}

// hostStat converts host metadata, tagging the inode so it cannot collide
// with in-memory inode numbers.
func hostStat(fi os.FileInfo) Stat {
	s := Stat{Dev: hostDev, Mode: modeOf(fi.Mode()), Nlink: 1, Size: fi.Size()}
	s.Mtime = fi.ModTime().UnixNano()
	s.Atime, s.Ctime = s.Mtime, s.Mtime
	sysStat(fi, &s)
	s.Ino |= hostInoBit
	return s
}

// openHost opens or creates a host file after resolve found its place.
func (fs *FS) openHost(e entry, flags, mode uint32) (File, Errno) {
	acc := flags & O_ACCMODE
	of := os.O_RDONLY
	switch acc {
	case O_WRONLY:
		of = os.O_WRONLY
	case O_RDWR:
		of = os.O_RDWR
	}
	if e.hfi == nil {
		if flags&O_CREAT == 0 {
			return nil, ENOENT
		}
		if e.mustDir {
			return nil, EISDIR
		}
		// O_APPEND is never passed down: the caller positions every write,
		// and pwrite on a host O_APPEND file would ignore the offset.
		of |= os.O_CREATE | os.O_EXCL
		if flags&O_TRUNC != 0 {
			of |= os.O_TRUNC
		}
		f, err := os.OpenFile(e.host, of, osPerm(mode))
		if err != nil {
			return nil, ErrnoOf(err)
		}
		return &hostFile{f: f, read: acc != O_WRONLY, write: acc != O_RDONLY}, 0
	}
	if flags&(O_CREAT|O_EXCL) == O_CREAT|O_EXCL {
		return nil, EEXIST
	}
	m := e.hfi.Mode()
	switch {
	case m&os.ModeSymlink != 0:
		return nil, ELOOP
	case flags&O_DIRECTORY != 0 && !m.IsDir():
		return nil, ENOTDIR
	case m.IsDir() && (acc != O_RDONLY || flags&O_TRUNC != 0):
		return nil, EISDIR
	case !permits(modeOf(m), openPerm(flags)):
		return nil, EACCES
	}
	if flags&O_TRUNC != 0 && m.IsRegular() {
		of |= os.O_TRUNC
	}
	f, err := os.OpenFile(e.host, of, 0)
	if err != nil {
		return nil, ErrnoOf(err)
	}
	return &hostFile{f: f, dir: m.IsDir(), read: acc != O_WRONLY, write: acc != O_RDONLY}, 0
}

// hostFile is an open host file or directory.
type hostFile struct {
	f     *os.File
	dir   bool
	read  bool
	write bool
}

func (h *hostFile) Stat() (Stat, Errno) {
	fi, err := h.f.Stat()
	if err != nil {
		return Stat{}, ErrnoOf(err)
	}
	return hostStat(fi), 0
}

func (h *hostFile) ReadAt(p []byte, off int64) (int, Errno) {
	switch {
	case !h.read:
		return 0, EBADF
	case h.dir:
		return 0, EISDIR
	case off < 0:
		return 0, EINVAL
	}
	n, err := h.f.ReadAt(p, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return n, ErrnoOf(err)
	}
	return n, 0
}

func (h *hostFile) WriteAt(p []byte, off int64) (int, Errno) {
	switch {
	case !h.write:
		return 0, EBADF
	case h.dir:
		return 0, EISDIR
	case off < 0:
		return 0, EINVAL
	}
	n, err := h.f.WriteAt(p, off)
	return n, ErrnoOf(err)
}

func (h *hostFile) Truncate(size int64) Errno {
	if !h.write || h.dir {
		return EINVAL
	}
	if size < 0 {
		return EINVAL
	}
	return ErrnoOf(h.f.Truncate(size))
}

// Sync is a real fsync; on a directory it makes renames and creations in it
// durable, which PostgreSQL relies on.
func (h *hostFile) Sync() Errno { return ErrnoOf(h.f.Sync()) }

func (h *hostFile) ReadDir() ([]DirEntry, Errno) {
	if !h.dir {
		return nil, ENOTDIR
	}
	// Seeking to 0 makes os.File restart the listing on every call.
	if _, err := h.f.Seek(0, io.SeekStart); err != nil {
		return nil, ErrnoOf(err)
	}
	des, err := h.f.ReadDir(-1)
	if err != nil {
		return nil, ErrnoOf(err)
	}
	out := make([]DirEntry, 0, len(des))
	for _, d := range des {
		de := DirEntry{Name: d.Name(), Mode: modeOf(d.Type()) & S_IFMT}
		if fi, err := d.Info(); err == nil {
			de.Ino = hostStat(fi).Ino
		} else if errors.Is(err, os.ErrNotExist) {
			continue // removed meanwhile
		}
		out = append(out, de)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, 0
}

func (h *hostFile) Chmod(mode uint32) Errno { return ErrnoOf(h.f.Chmod(osPerm(mode))) }

func (h *hostFile) Close() Errno { return ErrnoOf(h.f.Close()) }
