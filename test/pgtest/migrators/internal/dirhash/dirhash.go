// Package dirhash keys a migration directory by what it holds.
package dirhash

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
)

// Of hashes the names and contents of the regular files in fsys's top directory, in name
// order: the migration tools read that directory, so any change there changes the hash.
func Of(fsys fs.FS) (string, error) {
	ents, err := fs.ReadDir(fsys, ".") // sorted by name
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%d:%s%d:", len(e.Name()), e.Name(), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
