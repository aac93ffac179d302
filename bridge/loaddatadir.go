package bridge

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// ErrDataDirNotEmpty means LoadDataDir was given a target that already holds files.
var ErrDataDirNotEmpty = errors.New("data directory is not empty")

// LoadDataDir unpacks a data directory archive, as PGlite's dumpDataDir() writes it, into
// dir, which must be empty or not exist yet. The archive is a tar file, gzip-compressed
// ('gzip', 'auto' in Node) or not ('none'); PGlite 0.5.17 names its entries from the root
// of the data directory with a leading slash ("/PG_VERSION", "/base/1/1259"), and "./"
// or no prefix is taken too. An entry whose name leaves the directory ("..") or that is
// not a file or a directory (a link, a device) is refused. postmaster.pid is skipped: the
// dump is taken from a live cluster, and the pid it names belongs to that process.
//
// Everything is synced before PG_VERSION, written last, marks the directory as a cluster.
// If unpacking fails, what was written is removed again, leaving dir empty.
func LoadDataDir(archive, dir string) (err error) {
	f, err := os.Open(archive)
	if err != nil {
		return fmt.Errorf("bridge: load data dir: %w", err)
	}
	defer f.Close()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("bridge: load data dir: %w", err)
	}
	lock, err := lockDataDir(dir)
	if err != nil {
		return err
	}
	defer lock.unlock()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("bridge: load data dir: %w", err)
	}
	for _, e := range entries {
		if e.Name() != dataDirLockName {
			return fmt.Errorf("bridge: load data dir %s into %q: %w (it holds %q); give an empty or new directory",
				archive, dir, ErrDataDirNotEmpty, e.Name())
		}
	}
	defer func() {
		if err != nil {
			emptyDir(dir)
			err = fmt.Errorf("bridge: load data dir %s: %w", archive, err)
		}
	}()
	return unpackDataDir(f, dir)
}

// unpackDataDir writes the archive's entries under dir (an empty directory).
func unpackDataDir(r io.Reader, dir string) error {
	br := bufio.NewReader(r)
	var in io.Reader = br
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return err
		}
		defer zr.Close()
		in = zr
	}
	tr := tar.NewReader(in)
	var version []byte // PG_VERSION, written last
	files := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("not a tar archive of a data directory: %w", err)
		}
		rel, err := entryPath(h.Name)
		if err != nil {
			return err
		}
		if rel == "" || rel == dataDirLockName || rel == "postmaster.pid" {
			continue
		}
		target := filepath.Join(dir, filepath.FromSlash(rel))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o700); err != nil {
				return err
			}
		case tar.TypeReg:
			if rel == "PG_VERSION" {
				if version, err = io.ReadAll(io.LimitReader(tr, 64)); err != nil {
					return err
				}
				continue
			}
			if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
				return err
			}
			if err := writeEntry(target, tr); err != nil {
				return err
			}
			files++
		default:
			return fmt.Errorf("tar entry %q: type %q is not a file or a directory", h.Name, h.Typeflag)
		}
	}
	if version == nil {
		return errors.New("the archive holds no PG_VERSION: not a data directory (PGlite's dumpDataDir() writes one)")
	}
	if v := strings.TrimSpace(string(version)); v != pgMajor {
		return fmt.Errorf("the archive holds a PostgreSQL %s data directory; this server runs PostgreSQL %s (PGlite 0.5)", v, pgMajor)
	}
	if err := syncTree(dir); err != nil {
		return err
	}
	if err := writeEntry(filepath.Join(dir, "PG_VERSION"), bytes.NewReader(version)); err != nil {
		return err
	}
	if f, err := os.Open(filepath.Join(dir, "PG_VERSION")); err == nil {
		err = f.Sync()
		f.Close()
		if err != nil {
			return err
		}
	}
	return syncDir(dir)
}

// pgMajor is the PG_VERSION of the clusters this build runs.
const pgMajor = "18"

// entryPath turns a tar entry name into a slash-separated path relative to the data
// directory, refusing one that would leave it.
func entryPath(name string) (string, error) {
	p := strings.TrimLeft(name, "/")
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return "", fmt.Errorf("tar entry %q leaves the data directory", name)
		}
	}
	p = path.Clean(p)
	if p == "." {
		return "", nil
	}
	return p, nil
}

func writeEntry(target string, r io.Reader) error {
	out, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// emptyDir removes everything in dir but the lock file.
func emptyDir(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != dataDirLockName {
			_ = os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}

// ForgetCluster drops the process's in-memory copy of a cluster directory that was given as
// Config.Cluster, once no new instance will start from it (such as a temporary directory a
// dump was unpacked into). Running instances keep their files.
func ForgetCluster(dir string) {
	templateFSs.Lock()
	delete(templateFSs.m, dir)
	templateFSs.Unlock()
}
