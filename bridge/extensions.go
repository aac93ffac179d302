package bridge

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/pglite-go/pglite/emscripten"
	"github.com/pglite-go/pglite/emscripten/vfs"
)

// Extension bundles are gzip'd tars whose paths are relative to /pglite (contract §7.1):
// share/postgresql/extension/<x>.control and scripts, lib/postgresql/<x>.so. The contrib
// bundles come from the main npm package (assets/.../contrib), the others from the
// extension packages (assets/.../extensions). Each bundle is unpacked once per machine into
// the cache (see extpack.go) and mapped once per process; every instance then links the
// mapped files into its own in-memory tree at open, without copying them (or finds them
// already there, shared copy-on-write from a template tree made by installAllBundles), so
// CREATE EXTENSION needs no extra step and a restarted instance finds the side modules its
// catalogs reference.

const (
	guestRoot = "/pglite"
	// maxBundleBytes bounds what one bundle may decompress to, against a corrupt or hostile
	// archive; the largest real one (pgcrypto) is about 3 MiB.
	maxBundleBytes = 64 << 20
)

// bundleDirs are the asset subfolders holding extension bundles, in lookup order.
var bundleDirs = []string{"extensions", "contrib"}

// skippedPrefixes are bundle paths the server never reads (documentation, C headers for
// building other extensions); leaving them out keeps every instance smaller.
var skippedPrefixes = []string{"share/doc/", "include/"}

// extFile is one file of a bundle, with its guest path.
type extFile struct {
	path string
	mode uint32
	data []byte
}

// extBundle is one bundle file, unpacked (or mapped from its pack) on first use and then
// shared read-only by all instances of the process.
type extBundle struct {
	name string // file name without .tar.gz: "vector", "hstore", "uuid-ossp"
	path string // for messages
	fsys fs.FS  // holds the bundle at rel
	rel  string
	cat  *extCatalog

	once     sync.Once
	files    []extFile
	controls []string // extension names (control files) it provides
	err      error
}

// extCatalog lists the bundles of one asset folder.
type extCatalog struct {
	bundles map[string]*extBundle
	names   []string

	packMu  sync.Mutex
	packDir string // where bundles are unpacked (extpack.go); empty: in memory only
}

// usePackDir sets where the catalog's bundles are unpacked, once: the first instance's
// cache directory serves the process.
func (c *extCatalog) usePackDir(cacheDir string) {
	c.packMu.Lock()
	defer c.packMu.Unlock()
	if c.packDir == "" {
		c.packDir = filepath.Join(cacheRoot(cacheDir), "extensions")
	}
}

func (c *extCatalog) packDirectory() string {
	c.packMu.Lock()
	defer c.packMu.Unlock()
	return c.packDir
}

var (
	extCatalogsMu sync.Mutex
	extCatalogs   = map[string]*extCatalog{}
)

// extensionCatalog scans the asset folder's bundle directories once per process.
func (a *Assets) extensionCatalog() *extCatalog {
	extCatalogsMu.Lock()
	defer extCatalogsMu.Unlock()
	if c, ok := extCatalogs[a.Dir]; ok {
		return c
	}
	c := &extCatalog{bundles: map[string]*extBundle{}}
	fsys := a.files
	if fsys == nil && a.Dir != "" {
		fsys = os.DirFS(a.Dir)
	}
	if fsys != nil {
		for _, sub := range bundleDirs {
			matches, _ := fs.Glob(fsys, sub+"/*.tar.gz")
			for _, m := range matches {
				name := strings.TrimSuffix(path.Base(m), ".tar.gz")
				if _, dup := c.bundles[name]; !dup && validExtName(name) {
					c.bundles[name] = &extBundle{name: name, path: filepath.Join(a.Dir, filepath.FromSlash(m)), fsys: fsys, rel: m, cat: c}
					c.names = append(c.names, name)
				}
			}
		}
	}
	slices.Sort(c.names)
	extCatalogs[a.Dir] = c
	return c
}

// Extensions lists the extension bundles these assets provide (contrib modules and
// extension packages), sorted. A bundle may hold several extensions: "spi" provides
// autoinc, insert_username, moddatetime and refint; "intarray" and "vector" are bundle names
// too. Config.Extensions accepts bundle and extension names.
func (a *Assets) Extensions() []string {
	return slices.Clone(a.extensionCatalog().names)
}

// validExtName accepts names that are safe as one file name component.
func validExtName(n string) bool {
	if n == "" || n == "." || n == ".." || len(n) > 63 {
		return false
	}
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// load unpacks the bundle once: from its pack in the catalog's pack directory (made the
// first time), or in memory when the catalog has none.
func (b *extBundle) load() error {
	b.once.Do(func() {
		raw, err := fs.ReadFile(b.fsys, b.rel)
		if err != nil {
			b.err = err
			return
		}
		if dir := b.cat.packDirectory(); dir != "" {
			b.files, b.controls, b.err = loadPacked(dir, raw)
			return
		}
		b.files, b.controls, b.err = readBundle(raw)
	})
	return b.err
}

// readBundle unpacks a gzip'd tar into memory, checking every path. Directories are implied
// by file paths; links and devices are refused.
func readBundle(raw []byte) ([]extFile, []string, error) {
	gz, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, nil, fmt.Errorf("gzip: %w", err)
	}
	tr := tar.NewReader(gz)
	var files []extFile
	var controls []string
	total := int64(0)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("tar: %w", err)
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "./"))
		if name == "." {
			continue
		}
		if path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			return nil, nil, fmt.Errorf("tar: entry %q escapes the install root", h.Name)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			continue
		case tar.TypeReg:
		default:
			return nil, nil, fmt.Errorf("tar: entry %q has unsupported type %q", h.Name, h.Typeflag)
		}
		total += h.Size
		if h.Size < 0 || total > maxBundleBytes {
			return nil, nil, fmt.Errorf("tar: more than %d bytes", maxBundleBytes)
		}
		data := make([]byte, h.Size)
		if _, err := io.ReadFull(tr, data); err != nil {
			return nil, nil, fmt.Errorf("tar: %s: %w", h.Name, err)
		}
		if skipped(name) {
			continue
		}
		if dir, file := path.Split(name); dir == "share/postgresql/extension/" && strings.HasSuffix(file, ".control") {
			controls = append(controls, strings.TrimSuffix(file, ".control"))
		}
		files = append(files, extFile{path: guestRoot + "/" + name, mode: uint32(h.Mode) & 0o777, data: data})
	}
	// Read to the end so a truncated stream fails the gzip checksum here, not silently.
	if _, err := io.Copy(io.Discard, gz); err != nil {
		return nil, nil, fmt.Errorf("gzip: %w", err)
	}
	if len(files) == 0 {
		return nil, nil, errors.New("bundle holds no files")
	}
	slices.SortFunc(files, func(x, y extFile) int { return strings.Compare(x.path, y.path) })
	return files, controls, nil
}

func skipped(name string) bool {
	for _, p := range skippedPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// selectBundles resolves the configured names (nil: all) to bundles. A name is a bundle name
// or the name of an extension inside one; Preload libraries are added when a bundle has
// their name. Unknown names come back separately: they get a stub that fails CREATE
// EXTENSION with a clear message.
func (c *extCatalog) selectBundles(names, preload []string) (sel []*extBundle, missing []string, err error) {
	seen := map[*extBundle]bool{}
	add := func(b *extBundle) {
		if !seen[b] {
			seen[b] = true
			sel = append(sel, b)
		}
	}
	if names == nil {
		for _, n := range c.names {
			add(c.bundles[n])
		}
		return sel, nil, nil
	}
	for _, n := range preload {
		if b := c.bundles[n]; b != nil {
			add(b)
		}
	}
	for _, n := range names {
		if !validExtName(n) {
			return nil, nil, fmt.Errorf("bridge: invalid extension name %q", n)
		}
		if b := c.bundles[n]; b != nil {
			add(b)
			continue
		}
		if b := c.byControl(n); b != nil {
			add(b)
			continue
		}
		missing = append(missing, n)
	}
	return sel, missing, nil
}

// impliedPreload maps bundles to the libraries they need in shared_preload_libraries, as
// their PGlite packages declare (sharedPreloadLibraries).
var impliedPreload = map[string]string{"pg_textsearch": "pg_textsearch"}

// preloadLibraries is Preload plus the libraries of bundles named in Extensions that need
// preloading. With Extensions nil (everything) nothing is implied, so plain instances do not
// pay for loading them at every boot.
func (c *Config) preloadLibraries() []string {
	libs := slices.Clone(c.Preload)
	for _, n := range c.Extensions {
		if lib, ok := impliedPreload[n]; ok && !slices.Contains(libs, lib) {
			libs = append(libs, lib)
		}
	}
	return libs
}

// byControl finds the bundle providing extension name (decompressing bundles as needed).
func (c *extCatalog) byControl(name string) *extBundle {
	for _, n := range c.names {
		b := c.bundles[n]
		if b.load() == nil && slices.Contains(b.controls, name) {
			return b
		}
	}
	return nil
}

// installExtensions writes the configured extension bundles into fs under /pglite. It runs
// at every open, before the backend starts, for in-memory and host data directories alike.
// Bundles that cannot be read do not fail the open: their extension gets a stub whose
// CREATE EXTENSION raises an error saying why, and a warning is logged.
//
// fs may already hold every bundle, inherited copy-on-write from a template file system
// prepared with installAllBundles: identical files are then left alone (no per-instance
// copy) and the control files of bundles not selected are removed.
func (inst *Instance) installExtensions(fs *vfs.FS) error {
	// The engine is shared by asset folders with the same binaries; the bundles come from
	// this instance's own folder.
	a, err := loadAssets(context.Background(), inst.cfg.AssetsDir, inst.log)
	if err != nil {
		return err
	}
	cat := a.extensionCatalog()
	cat.usePackDir(inst.cfg.CacheDir)
	sel, missing, err := cat.selectBundles(inst.cfg.Extensions, inst.cfg.preloadLibraries())
	if err != nil {
		return err
	}
	w := &guestWriter{fs: fs, dirs: map[string]bool{}}
	for _, b := range sel {
		if err := w.bundle(b); err != nil {
			return err
		}
		if b.err != nil {
			inst.log.Warn().Str("bundle", b.path).Err(b.err).Msg("extension bundle unusable")
		}
	}
	if _, errno := fs.Stat(allBundlesMarker, false); errno == 0 && len(sel) < len(cat.names) {
		for _, n := range cat.names {
			if b := cat.bundles[n]; !slices.Contains(sel, b) && b.load() == nil {
				for _, c := range b.controls {
					_ = fs.Unlink(extensionDir + c + ".control")
				}
			}
		}
	}
	for _, n := range missing {
		inst.log.Warn().Str("extension", n).Msg("no bundle for configured extension")
		if err := w.stub(n, "no bundle for it in the assets (run `make assets`)"); err != nil {
			return err
		}
	}
	return nil
}

const (
	extensionDir = guestRoot + "/share/postgresql/extension/"
	// allBundlesMarker says the tree holds every bundle of its assets (installAllBundles).
	allBundlesMarker = extensionDir + ".pglite-go-all-bundles"
)

// installAllBundles writes every bundle of a's assets into fs, for a template file system
// whose copy-on-write clones then share the bytes; installExtensions trims each clone to
// its configuration.
func installAllBundles(fs *vfs.FS, a *Assets, cacheDir string) error {
	cat := a.extensionCatalog()
	cat.usePackDir(cacheDir)
	w := &guestWriter{fs: fs, dirs: map[string]bool{}}
	for _, n := range cat.names {
		if err := w.bundle(cat.bundles[n]); err != nil {
			return err
		}
	}
	return w.file(allBundlesMarker, 0o644, nil)
}

// guestWriter writes files into a guest tree, creating directories once and leaving files
// that already hold the same bytes untouched.
type guestWriter struct {
	fs   *vfs.FS
	dirs map[string]bool
	buf  []byte
}

// bundle installs one bundle, or the stub of an unusable one.
func (w *guestWriter) bundle(b *extBundle) error {
	if err := b.load(); err != nil {
		return w.stub(b.name, fmt.Sprintf("bundle %s is corrupt: %v", filepath.Base(b.path), err))
	}
	for _, f := range b.files {
		if err := w.shared(f); err != nil {
			return fmt.Errorf("bridge: install extension %s: %w", b.name, err)
		}
	}
	return nil
}

// shared links a bundle file into the tree without copying it; a file already served from
// the same bytes (inherited from a template tree, or left by an earlier open of this tree)
// is left alone.
func (w *guestWriter) shared(f extFile) error {
	if w.fs.HasSharedFile(f.path, f.data) {
		return nil
	}
	if errno := w.fs.AddSharedFile(f.path, f.mode, f.data); errno != 0 {
		return fmt.Errorf("%s: %w", f.path, errno)
	}
	return nil
}

// same reports whether p is a regular file holding exactly data.
func (w *guestWriter) same(p string, data []byte) bool {
	st, errno := w.fs.Stat(p, false)
	if errno != 0 || st.Size != int64(len(data)) || st.Mode&vfs.S_IFMT != vfs.S_IFREG {
		return false
	}
	f, errno := w.fs.Open(p, vfs.O_RDONLY, 0)
	if errno != 0 {
		return false
	}
	defer f.Close()
	if cap(w.buf) < len(data) {
		w.buf = make([]byte, len(data))
	}
	buf := w.buf[:len(data)]
	n, errno := f.ReadAt(buf, 0)
	return errno == 0 && n == len(data) && bytes.Equal(buf, data)
}

// stub installs a control file and script for an extension whose bundle is missing or
// corrupt: pg_available_extensions shows why in its comment and CREATE EXTENSION fails with
// that reason, instead of the instance failing to open.
func (w *guestWriter) stub(name, reason string) error {
	if _, errno := w.fs.Stat(extensionDir+name+".control", true); errno == 0 {
		return nil // a real control file of that name exists (e.g. a core extension)
	}
	msg := fmt.Sprintf("extension %q is unavailable: %s", name, reason)
	control := fmt.Sprintf("# written by pglite-go: %s\ncomment = %s\ndefault_version = 'unavailable'\nrelocatable = true\n",
		strings.ReplaceAll(msg, "\n", " "), sqlQuote("unavailable: "+reason))
	script := fmt.Sprintf("DO $pglite$ BEGIN RAISE EXCEPTION USING ERRCODE = '58P01', MESSAGE = %s; END $pglite$;\n", sqlQuote(msg))
	if err := w.file(extensionDir+name+".control", 0o644, []byte(control)); err != nil {
		return err
	}
	return w.file(extensionDir+name+"--unavailable.sql", 0o644, []byte(script))
}

// sqlQuote quotes s as a standard SQL string literal (also valid in control files).
func sqlQuote(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, "\n", " "), "'", "''") + "'"
}

// file creates (or replaces) a file, making its parent directories; a file that already
// holds data is kept as it is.
func (w *guestWriter) file(p string, mode uint32, data []byte) error {
	if w.same(p, data) {
		return nil
	}
	if err := w.mkdirAll(path.Dir(p)); err != nil {
		return err
	}
	f, errno := w.fs.Open(p, vfs.O_CREAT|vfs.O_WRONLY|vfs.O_TRUNC, mode)
	if errno != 0 {
		return fmt.Errorf("%s: %w", p, errno)
	}
	defer f.Close()
	if len(data) > 0 {
		if _, errno := f.WriteAt(data, 0); errno != 0 {
			return fmt.Errorf("%s: %w", p, errno)
		}
	}
	return nil
}

func (w *guestWriter) mkdirAll(d string) error {
	if d == "/" || w.dirs[d] {
		return nil
	}
	if err := w.mkdirAll(path.Dir(d)); err != nil {
		return err
	}
	if errno := w.fs.Mkdir(d, 0o755); errno != 0 && errno != vfs.EEXIST {
		return fmt.Errorf("mkdir %s: %w", d, errno)
	}
	w.dirs[d] = true
	return nil
}

// raiseUnresolved is emscripten.ProcessConfig.OnUnresolved for backend processes: a side
// module called a symbol pglite.wasm does not export (contract §9 pitfall 15, e.g. the
// encoding conversion modules). Instead of trapping, which would end the instance, it
// raises ereport(ERROR) inside the guest; PostgreSQL unwinds to its error handler and the
// session goes on.
func raiseUnresolved(p *emscripten.Process, lib, symbol string) {
	raiseError(p, "0A000", fmt.Sprintf("%s needs symbol %q, which this build of PostgreSQL (pglite.wasm) does not export",
		path.Base(lib), symbol), "")
}
