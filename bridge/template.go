package bridge

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/rs/zerolog"
)

// templateMu serialises template creation within the process; a lock file does the same
// across processes.
var templateMu sync.Mutex

// templateCluster returns a pristine cluster directory in the cache, keyed by the assets'
// hash, running initdb to make it the first time. New clusters are copies of it: copying
// 40 MB takes milliseconds, initdb takes seconds.
func templateCluster(ctx context.Context, eng *engine, cacheDir string, log zerolog.Logger) (dir string, fromCache bool, err error) {
	if cacheDir == "" {
		c, err := os.UserCacheDir()
		if err != nil {
			c = os.TempDir()
		}
		cacheDir = filepath.Join(c, "pglite-go")
	}
	dir = filepath.Join(cacheDir, "template-"+eng.assets.Hash)
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

// copyDir copies a directory tree (regular files and directories).
func copyDir(src, dst string) error {
	return filepath.Walk(src, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if fi.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		if !fi.Mode().IsRegular() {
			return nil
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		if err := out.Sync(); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}
