package assetinstall

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pglite-go/pglite/internal/bundletable"
)

// Files an install derives from the kept ones.
const (
	// tableFile is the bundle's file table, which the library needs to read pglite.data;
	// it exists only inside pglite.js, so it is extracted from there.
	tableFile = "files.json"
	// sumsFile lists the contrib bundles' sha256 in sha256sum's format, for people.
	sumsFile = "contrib/SHA256SUMS"
)

// derive writes the derived files into an install.
func derive(dir string, pins *Pins) error {
	if pins.has("pglite.js") && pins.has("pglite.data") {
		table, err := fileTable(dir)
		if err != nil {
			return err
		}
		if err := writeSynced(filepath.Join(dir, tableFile), table); err != nil {
			return err
		}
	}
	if c := pins.inDir(path.Dir(sumsFile)); len(c) > 0 {
		return writeSynced(filepath.Join(dir, filepath.FromSlash(sumsFile)), sums(c))
	}
	return nil
}

// fileTable extracts files.json from an install's pglite.js.
func fileTable(dir string) ([]byte, error) {
	js, err := os.ReadFile(filepath.Join(dir, "pglite.js"))
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(filepath.Join(dir, "pglite.data"))
	if err != nil {
		return nil, err
	}
	table, err := bundletable.Extract(js, st.Size())
	if err != nil {
		return nil, fmt.Errorf("file table of pglite.js: %w", err)
	}
	return table, nil
}

func sums(files []File) []byte {
	lines := make([]string, 0, len(files))
	for _, f := range files {
		lines = append(lines, f.Sum+"  "+path.Base(f.To)+"\n")
	}
	slices.SortFunc(lines, func(a, b string) int { return strings.Compare(a[66:], b[66:]) })
	return []byte(strings.Join(lines, ""))
}

// Check verifies an install: its marker, the sha256 of every kept file, and the derived
// file table. It reports every problem, not just the first.
func Check(dir string, pins *Pins) error {
	if pins == nil {
		pins = Pinned
	}
	if !IsComplete(dir, pins) {
		return fmt.Errorf("%s is not a complete install of PGlite %s (no %s holding %q)", dir, pins.Version, completeFile, pins.Marker)
	}
	return verifyFiles(dir, pins)
}

func verifyFiles(dir string, pins *Pins) error {
	var errs []error
	for _, f := range pins.files() {
		if err := checkSum(filepath.Join(dir, filepath.FromSlash(f.To)), filepath.Join(dir, filepath.FromSlash(f.To)), f.Sum); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 && pins.has("pglite.js") && pins.has("pglite.data") {
		want, err := fileTable(dir)
		if err != nil {
			return err
		}
		got, err := os.ReadFile(filepath.Join(dir, tableFile))
		if err != nil {
			return err
		}
		if !bytes.Equal(got, want) {
			errs = append(errs, fmt.Errorf("%s does not match the file table in pglite.js", filepath.Join(dir, tableFile)))
		}
	}
	return errors.Join(errs...)
}
