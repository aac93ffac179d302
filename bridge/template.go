package bridge

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/emscripten/vfs"
)

// templateMu serialises template creation within the process; a lock file does the same
// across processes.
var templateMu sync.Mutex

// templateCluster returns a pristine cluster directory in the cache, keyed by the assets'
// hash, running initdb to make it the first time. New clusters are copies of it: copying
// 40 MB takes milliseconds, initdb takes seconds.
func templateCluster(ctx context.Context, eng *engine, cacheDir string, log zerolog.Logger) (dir string, fromCache bool, err error) {
	cacheDir = cacheRoot(cacheDir)
	key, err := eng.assets.ClusterKey()
	if err != nil {
		return "", false, err
	}
	dir = filepath.Join(cacheDir, "template-"+key)
	templateMu.Lock()
	defer templateMu.Unlock()
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err == nil {
		return dir, true, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", false, fmt.Errorf("bridge: template cache: %w", err)
	}
	unlock, err := lockFile(filepath.Join(cacheDir, "template.lock"))
	if err != nil {
		return "", false, err
	}
	defer unlock()
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err == nil {
		return dir, true, nil
	}
	tmp, err := os.MkdirTemp(cacheDir, "template-tmp-")
	if err != nil {
		return "", false, err
	}
	defer os.RemoveAll(tmp)
	log.Info().Str("dir", dir).Msg("creating template cluster with initdb")
	fs := newFS(eng.assets)
	if err := fs.Mkdir(guestPGDATA, 0o700); err != 0 {
		return "", false, fmt.Errorf("bridge: template: mkdir: %w", err)
	}
	if err := runInitdb(ctx, eng, fs, log); err != nil {
		return "", false, err
	}
	if err := fs.ExportTree(guestPGDATA, tmp); err != nil {
		return "", false, fmt.Errorf("bridge: template: export: %w", err)
	}
	_ = os.RemoveAll(dir)
	if err := os.Rename(tmp, dir); err != nil {
		return "", false, fmt.Errorf("bridge: template: %w", err)
	}
	return dir, false, nil
}

// cacheRoot is the configured cache directory (Config.CacheDir) or, when that is empty, the
// user's: it holds the template cluster and the unpacked extension bundles.
func cacheRoot(cacheDir string) string {
	if cacheDir != "" {
		return cacheDir
	}
	c, err := os.UserCacheDir()
	if err != nil {
		c = os.TempDir()
	}
	return filepath.Join(c, "pglite-go")
}

// copyDir copies a cluster directory tree (regular files and directories) into dst.
// Nothing is synced file by file: one syncTree at the end makes the copy durable (an fsync
// per file costs a journal commit each, seconds for a cluster's thousand files). PG_VERSION,
// which marks a directory as holding a cluster, is written last, once everything else is on
// disk, so that an interrupted copy is redone on the next Open instead of being taken for a
// cluster.
func copyDir(src, dst string) error {
	const marker = "PG_VERSION"
	err := filepath.Walk(src, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		switch {
		case fi.IsDir():
			return os.MkdirAll(target, 0o700)
		case !fi.Mode().IsRegular() || rel == marker:
			return nil
		}
		return copyFile(path, target, false)
	})
	if err != nil {
		return err
	}
	if err := syncTree(dst); err != nil {
		return err
	}
	if err := copyFile(filepath.Join(src, marker), filepath.Join(dst, marker), true); err != nil {
		return err
	}
	return syncDir(dst)
}

// copyFile copies one regular file, fsyncing it when sync is set.
func copyFile(src, dst string, sync bool) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if sync {
		if err := out.Sync(); err != nil {
			out.Close()
			return err
		}
	}
	return out.Close()
}

// syncDir fsyncs a directory, making the entries created in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// templateFSs caches, per cluster directory, a file system with the cluster at PGDATA.
// In-memory instances get copy-on-write clones of it: opening one copies no file data, and
// instances share the template's pages until they write them. The cached template cluster,
// which nothing rewrites once it is in place, is mapped rather than copied (vfs.MapTree):
// importing its 40 MB put about 25 MB into the Go heap and took tens of milliseconds; the
// mapping costs neither, and only the pages PostgreSQL reads become resident.
var templateFSs struct {
	sync.Mutex
	m map[string]*vfs.FS
}

// templateFS returns a new in-memory file system holding a pristine cluster, as a clone of
// the cached template; fromCache is false when initdb had to run.
func templateFS(ctx context.Context, eng *engine, cacheDir string, log zerolog.Logger) (fs *vfs.FS, fromCache bool, err error) {
	dir, fromCache, err := templateCluster(ctx, eng, cacheDir, log)
	if err != nil {
		return nil, false, err
	}
	fs, err = clusterFS(eng, dir, cacheDir, true)
	return fs, fromCache, err
}

// clusterFS returns a copy-on-write clone of a file system holding the cluster in dir at
// PGDATA, importing dir the first time the process asks for it: mapped when mapped is set
// (dir is the cache's template, which never changes), copied otherwise (a directory the
// caller may remove or change, Config.Cluster).
func clusterFS(eng *engine, dir, cacheDir string, mapped bool) (*vfs.FS, error) {
	templateFSs.Lock()
	base := templateFSs.m[dir]
	if base == nil {
		base = newFS(eng.assets)
		load := base.ImportTree
		if mapped {
			load = base.MapTree
		}
		if err := load(dir, guestPGDATA); err != nil {
			templateFSs.Unlock()
			return nil, fmt.Errorf("bridge: load template: %w", err)
		}
		// Every bundle's files live in the base once; each clone only trims what its
		// configuration leaves out.
		if err := installAllBundles(base, eng.assets, cacheDir); err != nil {
			templateFSs.Unlock()
			return nil, fmt.Errorf("bridge: template extensions: %w", err)
		}
		if templateFSs.m == nil {
			templateFSs.m = map[string]*vfs.FS{}
		}
		templateFSs.m[dir] = base
	}
	templateFSs.Unlock()
	// The base is never modified after the import, so clones may run concurrently.
	return base.Clone(), nil
}
