package pglite

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/bridge"
	"github.com/pglite-go/pglite/emscripten"
	"github.com/pglite-go/pglite/internal/version"
)

// TemplateCacheEnv names the directory CachedTemplate keeps templates in (default
// pglite-go/templates in the user cache directory); "off" turns the cache off.
const TemplateCacheEnv = "PGLITE_TEMPLATE_CACHE"

// CachedTemplate is NewTemplate for a setup whose result depends on nothing but key (a
// hash of the migrations, say): the first process to need it runs setup and keeps the
// data directory it produced in the user cache; later processes, the next `go test` run
// included, boot that directory instead (a few hundred milliseconds) and skip setup. The
// entry is keyed by key, the PGlite assets, this module's and the engine's version,
// opts.Settings, opts.Extensions and opts.Engine; only those and opts.Logger are used. A file lock
// makes concurrent processes build an entry once, and the entry appears by an atomic
// rename, so a reader never sees half of one.
//
// What a cached template restores is the data setup committed, and the libraries it
// loaded (loaded again before the snapshot); session state it left behind is not
// kept (nor is it by NewTemplate). Change key whenever setup changes. Entries are never
// removed: delete the directory (see TemplateCacheEnv) to reclaim the space.
func CachedTemplate(ctx context.Context, key string, opts Options, setup SetupFunc) (*Template, error) {
	if opts.Template != nil || opts.DataDir != "" {
		return nil, errors.New("pglite: CachedTemplate takes neither Template nor DataDir")
	}
	root, err := templateCacheRoot()
	if err != nil || root == "" {
		return NewTemplate(ctx, opts, setup)
	}
	assets, err := bridge.LoadAssets("")
	if err != nil {
		return nil, err
	}
	engine, err := emscripten.ResolveEngine(opts.Engine)
	if err != nil {
		return nil, err
	}
	assetsKey, err := assets.ClusterKey()
	if err != nil {
		return nil, err
	}
	entry := filepath.Join(root, cacheID(key, assetsKey, engine, opts))
	if t := bootCached(ctx, entry, opts); t != nil {
		return t, nil
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("pglite: template cache: %w", err)
	}
	unlock, err := bridge.LockFile(entry + ".lock")
	if err != nil {
		return nil, err
	}
	defer unlock()
	if t := bootCached(ctx, entry, opts); t != nil {
		return t, nil // another process built it while this one waited
	}
	t, err := newTemplate(ctx, opts, setup, true)
	if err != nil {
		return nil, err
	}
	if err := storeCached(entry, t); err != nil {
		logger(opts).Warn().Err(err).Str("dir", entry).Msg("could not cache the template; the next process runs its setup again")
	}
	return t, nil
}

// cacheID names a cache entry.
func cacheID(key, assetsHash, engine string, opts Options) string {
	settings := append([]string(nil), opts.Settings...)
	sort.Strings(settings)
	ext := "all"
	if opts.Extensions != nil {
		e := append([]string(nil), opts.Extensions...)
		sort.Strings(e)
		ext = strings.Join(e, ",")
	}
	h := sha256.New()
	for _, part := range []string{key, assetsHash, version.Version, engine, emscripten.EngineVersion(engine),
		strings.Join(settings, "\x00"), ext} {
		fmt.Fprintf(h, "%d:%s;", len(part), part)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// templateCacheRoot is where entries live, or "" when the cache is off.
func templateCacheRoot() (string, error) {
	switch v := os.Getenv(TemplateCacheEnv); v {
	case "off":
		return "", nil
	case "":
		dir, err := os.UserCacheDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(dir, "pglite-go", "templates"), nil
	default:
		return v, nil
	}
}

// bootCached boots a cached entry's data directory and freezes it, loading the libraries
// the original template had loaded. It returns nil when there is no entry, or one that
// does not boot (logged; the caller builds it again).
func bootCached(ctx context.Context, entry string, opts Options) *Template {
	if _, err := os.Stat(filepath.Join(entry, "PG_VERSION")); err != nil {
		return nil
	}
	var libs []string
	if b, err := os.ReadFile(entry + ".libs"); err == nil {
		libs = strings.Fields(string(b))
	}
	load := func(ctx context.Context, conn *pgx.Conn) error {
		for _, lib := range libs {
			if _, err := conn.Exec(ctx, "LOAD '"+strings.ReplaceAll(lib, "'", "''")+"'"); err != nil {
				logger(opts).Debug().Err(err).Str("library", lib).Msg("cached template: library not preloaded")
			}
		}
		return nil
	}
	o := opts
	o.cluster = entry
	t, err := newTemplate(ctx, o, load, false)
	if err != nil {
		logger(opts).Warn().Err(err).Str("dir", entry).Msg("cached template does not boot; building it again")
		return nil
	}
	return t
}

// storeCached writes the entry: the libraries first, then the data directory, whose
// rename into place makes the entry visible.
func storeCached(entry string, t *Template) error {
	libs := strings.Join(t.t.Libraries(), "\n")
	tmp := fmt.Sprintf("%s.libs.%d", entry, os.Getpid())
	if err := os.WriteFile(tmp, []byte(libs), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, entry+".libs"); err != nil {
		return err
	}
	if err := os.RemoveAll(entry); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return t.t.ExportCluster(entry)
}

func logger(opts Options) *zerolog.Logger {
	if opts.Logger != nil {
		return opts.Logger
	}
	l := zerolog.Nop()
	return &l
}
