package vfs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// copyBuf is the unit of tree copies; one in-memory chunk per write.
const copyBuf = chunkSize

// ImportTree copies the host directory tree hostDir into the file system at
// vpath (created if missing), e.g. to load a template cluster into an
// in-memory PGDATA. Existing files are overwritten; permission bits and
// modification times are kept; sockets and devices are skipped.
func (fs *FS) ImportTree(hostDir, vpath string) error {
	buf := make([]byte, copyBuf)
	return fs.walkHostTree(hostDir, vpath, func(hp, vp string, mode uint32) error {
		return fs.importFile(hp, vp, mode, buf)
	})
}

// MapTree is ImportTree without the copy, for a host tree that never changes while the
// process runs (the cached template cluster): each regular file is mapped (MapFile) and
// served as a shared file (AddSharedFile), so its pages stay out of the Go heap, are read
// from the page cache on demand, and a write copies one chunk. vpath must be in memory,
// not inside a host mount.
func (fs *FS) MapTree(hostDir, vpath string) error {
	return fs.walkHostTree(hostDir, vpath, func(hp, vp string, mode uint32) error {
		data, err := MapFile(hp)
		if err != nil {
			return err
		}
		if errno := fs.AddSharedFile(vp, mode, data); errno != 0 {
			_ = UnmapFile(data)
			return fmt.Errorf("vfs: map %s: %w", vp, errno)
		}
		return nil
	})
}

// walkHostTree creates hostDir's directories and symlinks at vpath, hands each regular
// file to file, and copies modes and modification times.
func (fs *FS) walkHostTree(hostDir, vpath string, file func(hp, vp string, mode uint32) error) error {
	root, err := filepath.Abs(hostDir)
	if err != nil {
		return err
	}
	base, errno := cleanPath(vpath)
	if errno != 0 {
		return errno
	}
	if errno := fs.mkdirAll(base); errno != 0 {
		return fmt.Errorf("vfs: import into %s: %w", base, errno)
	}
	type dirTime struct {
		vp   string
		mode uint32
		mt   int64
	}
	var dirs []dirTime // applied last: creating children changes them
	err = filepath.WalkDir(root, func(hp string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, hp)
		if err != nil {
			return err
		}
		vp := base
		if rel != "." {
			vp = joinV(base, filepath.ToSlash(rel))
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		mode := modeOf(fi.Mode())
		switch t := mode & S_IFMT; t {
		case S_IFDIR:
			if errno := fs.Mkdir(vp, 0o700); errno != 0 && errno != EEXIST {
				return fmt.Errorf("vfs: import %s: %w", vp, errno)
			}
			dirs = append(dirs, dirTime{vp, mode, fi.ModTime().UnixNano()})
			return nil
		case S_IFLNK:
			target, err := os.Readlink(hp)
			if err != nil {
				return err
			}
			fs.Unlink(vp)
			if errno := fs.Symlink(target, vp); errno != 0 {
				return fmt.Errorf("vfs: import %s: %w", vp, errno)
			}
			return nil
		case S_IFREG:
			if err := file(hp, vp, mode); err != nil {
				return err
			}
			fs.Utimes(vp, -1, fi.ModTime().UnixNano())
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		d := dirs[i]
		if errno := fs.Chmod(d.vp, d.mode); errno != 0 {
			return fmt.Errorf("vfs: import %s: %w", d.vp, errno)
		}
		fs.Utimes(d.vp, -1, d.mt)
	}
	return nil
}

func (fs *FS) importFile(hp, vp string, mode uint32, buf []byte) error {
	src, err := os.Open(hp)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, errno := fs.Open(vp, O_WRONLY|O_CREAT|O_TRUNC, 0o600)
	if errno == EACCES { // read-only leftover from an earlier import
		if errno = fs.Chmod(vp, 0o600); errno == 0 {
			dst, errno = fs.Open(vp, O_WRONLY|O_CREAT|O_TRUNC, 0o600)
		}
	}
	if errno != 0 {
		return fmt.Errorf("vfs: import %s: %w", vp, errno)
	}
	defer dst.Close()
	var off int64
	for {
		n, err := io.ReadFull(src, buf)
		// All-zero chunks stay holes: a fresh cluster's 16 MiB WAL segment is mostly zeros.
		if n > 0 && !bytes.Equal(buf[:n], zeroChunk[:n]) {
			if _, errno := dst.WriteAt(buf[:n], off); errno != 0 {
				return fmt.Errorf("vfs: import %s: %w", vp, errno)
			}
		}
		off += int64(n)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if errno := dst.Truncate(off); errno != 0 {
		return fmt.Errorf("vfs: import %s: %w", vp, errno)
	}
	if errno := dst.Chmod(mode); errno != 0 {
		return fmt.Errorf("vfs: import %s: %w", vp, errno)
	}
	return nil
}

// zeroChunk is compared against to find all-zero chunks.
var zeroChunk [copyBuf]byte

// ExportTree copies the subtree at vpath into hostDir (created if missing),
// e.g. to save a template cluster. Every file and directory is fsynced so
// the copy is durable when ExportTree returns. Devices are skipped.
func (fs *FS) ExportTree(vpath, hostDir string) error {
	st, errno := fs.Stat(vpath, true)
	if errno != 0 {
		return fmt.Errorf("vfs: export %s: %w", vpath, errno)
	}
	if !st.IsDir() {
		return fmt.Errorf("vfs: export %s: %w", vpath, ENOTDIR)
	}
	if err := os.MkdirAll(hostDir, 0o700); err != nil {
		return err
	}
	buf := make([]byte, copyBuf)
	if err := fs.exportDir(vpath, hostDir, buf); err != nil {
		return err
	}
	if err := os.Chmod(hostDir, osPerm(st.Mode)); err != nil {
		return err
	}
	return syncHostPath(filepath.Dir(hostDir))
}

func (fs *FS) exportDir(vp, hp string, buf []byte) error {
	d, errno := fs.Open(vp, O_RDONLY|O_DIRECTORY, 0)
	if errno != 0 {
		return fmt.Errorf("vfs: export %s: %w", vp, errno)
	}
	ents, errno := d.ReadDir()
	d.Close()
	if errno != 0 {
		return fmt.Errorf("vfs: export %s: %w", vp, errno)
	}
	for _, e := range ents {
		cvp, chp := joinV(vp, e.Name), filepath.Join(hp, e.Name)
		st, errno := fs.Stat(cvp, false)
		if errno != 0 {
			return fmt.Errorf("vfs: export %s: %w", cvp, errno)
		}
		switch st.Mode & S_IFMT {
		case S_IFDIR:
			if err := os.Mkdir(chp, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
				return err
			}
			if err := fs.exportDir(cvp, chp, buf); err != nil {
				return err
			}
			if err := os.Chmod(chp, osPerm(st.Mode)); err != nil {
				return err
			}
		case S_IFLNK:
			target, errno := fs.Readlink(cvp)
			if errno != 0 {
				return fmt.Errorf("vfs: export %s: %w", cvp, errno)
			}
			if err := os.Remove(chp); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			if err := os.Symlink(target, chp); err != nil {
				return err
			}
		case S_IFREG:
			if err := fs.exportFile(cvp, chp, st, buf); err != nil {
				return err
			}
		}
	}
	return syncHostPath(hp)
}

func (fs *FS) exportFile(vp, hp string, st Stat, buf []byte) error {
	src, errno := fs.Open(vp, O_RDONLY, 0)
	if errno == EACCES { // write-only file: lift the mode briefly
		if errno = fs.Chmod(vp, st.Mode|0o400); errno == 0 {
			src, errno = fs.Open(vp, O_RDONLY, 0)
			fs.Chmod(vp, st.Mode)
		}
	}
	if errno != 0 {
		return fmt.Errorf("vfs: export %s: %w", vp, errno)
	}
	defer src.Close()
	if err := os.Remove(hp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	dst, err := os.OpenFile(hp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	for off := int64(0); ; {
		n, errno := src.ReadAt(buf, off)
		if errno != 0 {
			dst.Close()
			return fmt.Errorf("vfs: export %s: %w", vp, errno)
		}
		if n == 0 {
			break
		}
		if _, err := dst.WriteAt(buf[:n], off); err != nil {
			dst.Close()
			return err
		}
		off += int64(n)
	}
	err = dst.Chmod(osPerm(st.Mode))
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		mt := time.Unix(0, st.Mtime)
		err = os.Chtimes(hp, mt, mt)
	}
	return err
}

// syncHostPath fsyncs a host directory so entries created in it are durable.
func syncHostPath(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// mkdirAll creates missing directories along an absolute virtual path,
// inside host mounts too.
func (fs *FS) mkdirAll(p string) Errno {
	comps, _, errno := splitPath(nil, p)
	if errno != 0 {
		return errno
	}
	cur := ""
	for _, c := range comps {
		cur += "/" + c
		if errno := fs.Mkdir(cur, 0o755); errno != 0 && errno != EEXIST {
			return errno
		}
	}
	if st, errno := fs.Stat(p, true); errno != 0 {
		return errno
	} else if !st.IsDir() {
		return ENOTDIR
	}
	return 0
}

func joinV(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}
