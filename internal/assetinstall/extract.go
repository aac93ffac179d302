package assetinstall

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// fileSum is the hex sha256 of a file.
func fileSum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// checkSum compares a file with its pin; name is how an error names it.
func checkSum(path, name, want string) error {
	got, err := fileSum(path)
	if err != nil {
		return err
	}
	if got != want {
		return &ChecksumError{File: name, Want: want, Got: got}
	}
	return nil
}

// extract checks a package's tarball against its pin, then writes the files kept from it
// into dest, checking each one.
func extract(tgz string, p Package, dest string) error {
	if err := checkSum(tgz, filepath.Base(tgz)+" ("+p.Spec()+")", p.Sum); err != nil {
		return err
	}
	want := map[string]File{}
	for _, f := range p.Files {
		want[f.From] = f
	}
	r, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer r.Close()
	gz, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("%s: %w", p.Spec(), err)
	}
	tr := tar.NewReader(gz)
	for len(want) > 0 {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", p.Spec(), err)
		}
		f, ok := want[h.Name]
		if !ok || h.Typeflag != tar.TypeReg {
			continue
		}
		delete(want, h.Name)
		if err := writeChecked(filepath.Join(dest, filepath.FromSlash(f.To)), tr, f, p); err != nil {
			return err
		}
	}
	for from := range want {
		return fmt.Errorf("%s: the tarball has no %s", p.Spec(), from)
	}
	return nil
}

// writeChecked writes one kept file, synced, and checks its sha256 on the way.
func writeChecked(path string, r io.Reader, f File, p Package) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(out, h), r)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %s: %w", p.Spec(), f.From, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.Sum {
		return &ChecksumError{File: f.From + " (" + p.Spec() + ")", Want: f.Sum, Got: got}
	}
	return nil
}
