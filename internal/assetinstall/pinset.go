// Package assetinstall installs the PGlite runtime assets into a folder: it fetches the
// pinned npm packages with the user's own npm client (so a configured registry, mirror or
// proxy is used), checks every sha256, keeps the files the library needs, and renames the
// finished folder into place under a file lock, so that concurrent installers (the test
// processes of one `go test ./...`) end with one install.
package assetinstall

import "path"

// Pins is a set of npm packages and the files an assets folder keeps from them.
type Pins struct {
	// Version is the PGlite release, for messages.
	Version string
	// Marker is written into .complete (see marker).
	Marker   string
	Packages []Package
}

// Package is one npm package, pinned by the sha256 of its tarball.
type Package struct {
	Name, Version string
	Sum           string
	Files         []File
}

// File is a file kept from a package's tarball.
type File struct {
	From string // path inside the tarball: package/dist/pglite.wasm
	To   string // path in the assets folder: pglite.wasm, contrib/hstore.tar.gz
	Sum  string
}

// Spec is the package as npm names it: name@version.
func (p Package) Spec() string { return p.Name + "@" + p.Version }

// files lists every kept file of the set.
func (ps *Pins) files() []File {
	var out []File
	for _, p := range ps.Packages {
		out = append(out, p.Files...)
	}
	return out
}

// has reports whether the set keeps a file at to.
func (ps *Pins) has(to string) bool {
	for _, f := range ps.files() {
		if f.To == to {
			return true
		}
	}
	return false
}

// Sum is the pinned sha256 of the kept file at to (pglite.wasm), or "" when none is kept
// there; tools that check another copy of the same build (test/diff's Node package) ask it.
func (ps *Pins) Sum(to string) string {
	for _, f := range ps.files() {
		if f.To == to {
			return f.Sum
		}
	}
	return ""
}

// inDir lists the kept files directly inside dir ("contrib"), sorted as pinned.
func (ps *Pins) inDir(dir string) []File {
	var out []File
	for _, f := range ps.files() {
		if path.Dir(f.To) == dir {
			out = append(out, f)
		}
	}
	return out
}
