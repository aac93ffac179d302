package bridge

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pglite-go/pglite/emscripten/vfs"
)

// An extension pack is one extension bundle unpacked once per machine into the cache
// (<cache>/extensions/<sha256 of the .tar.gz>.pack), so that a start maps it (vfs.MapFile)
// instead of decompressing it: gunzipping all 44 bundles took about 40 ms of every start and
// kept their 8 MB in the Go heap twice (the decompressed copy and the in-memory files).
// Instances serve the files straight from the mapping (vfs.FS.AddSharedFile); the kernel
// reads a page when PostgreSQL first reads it (CREATE EXTENSION, dlopen, a scan of
// share/extension) and shares it with every process on the machine.
//
// Layout: packMagic, the index length (8 bytes, little endian), the JSON index, then the
// file bytes, each at its index offset from the end of the index. A pack is written to a
// temporary file and renamed into place, so readers never see a partial one, and it is
// never modified afterwards (a different bundle has a different name).

const packMagic = "pglite-go extension pack 1\n"

// packIndex lists a pack's files.
type packIndex struct {
	Controls []string   `json:"controls"`
	Files    []packFile `json:"files"`
}

type packFile struct {
	Path string `json:"path"`
	Mode uint32 `json:"mode"`
	Off  int64  `json:"off"`
	Len  int64  `json:"len"`
}

// packPath names the pack of a bundle's bytes in dir.
func packPath(dir string, raw []byte) string {
	sum := sha256.Sum256(raw)
	return filepath.Join(dir, hex.EncodeToString(sum[:16])+".pack")
}

// loadPacked returns the files of the bundle raw from its pack in dir, unpacking it into a
// new pack first when there is none. A pack that cannot be written (a read-only cache) or
// read back costs speed only: the files are then served from the decompressed bytes.
func loadPacked(dir string, raw []byte) ([]extFile, []string, error) {
	p := packPath(dir, raw)
	if files, controls, err := mapPack(p); err == nil {
		return files, controls, nil
	}
	files, controls, err := readBundle(raw)
	if err != nil {
		return nil, nil, err // a corrupt bundle: nothing to cache
	}
	if err := writePack(p, files, controls); err != nil {
		return files, controls, nil
	}
	if mf, mc, err := mapPack(p); err == nil {
		return mf, mc, nil
	}
	return files, controls, nil
}

// mapPack reads a pack's index with ordinary reads and maps the rest: touching the mapping
// for the index would make its neighbouring pages resident too, and the file bytes should
// only become resident when PostgreSQL reads them.
func mapPack(p string) ([]extFile, []string, error) {
	idx, dataOff, err := readPackIndex(p)
	if err != nil {
		return nil, nil, fmt.Errorf("bridge: extension pack %s: %w", p, err)
	}
	b, err := vfs.MapFile(p)
	if err != nil {
		return nil, nil, err
	}
	files, err := packFiles(idx, b[min(dataOff, int64(len(b))):])
	if err != nil {
		_ = vfs.UnmapFile(b)
		return nil, nil, fmt.Errorf("bridge: extension pack %s: %w", p, err)
	}
	return files, idx.Controls, nil
}

// readPackIndex reads the header and index of the pack p; dataOff is where its file bytes
// start.
func readPackIndex(p string) (idx packIndex, dataOff int64, err error) {
	f, err := os.Open(p)
	if err != nil {
		return idx, 0, err
	}
	defer f.Close()
	head := make([]byte, len(packMagic)+8)
	if _, err := f.ReadAt(head, 0); err != nil || string(head[:len(packMagic)]) != packMagic {
		return idx, 0, errors.New("not a pack")
	}
	n := binary.LittleEndian.Uint64(head[len(packMagic):])
	if n > 64<<20 {
		return idx, 0, errors.New("bad index length")
	}
	ij := make([]byte, n)
	if _, err := f.ReadAt(ij, int64(len(head))); err != nil {
		return idx, 0, fmt.Errorf("truncated index: %w", err)
	}
	if err := json.Unmarshal(ij, &idx); err != nil {
		return idx, 0, err
	}
	return idx, int64(len(head)) + int64(n), nil
}

// packFiles turns the index into files that refer to data, checking every entry.
func packFiles(idx packIndex, data []byte) ([]extFile, error) {
	files := make([]extFile, 0, len(idx.Files))
	for _, f := range idx.Files {
		if f.Off < 0 || f.Len < 0 || f.Off > int64(len(data)) || f.Len > int64(len(data))-f.Off ||
			!strings.HasPrefix(f.Path, guestRoot+"/") || strings.Contains(f.Path, "/../") {
			return nil, fmt.Errorf("bad entry %q", f.Path)
		}
		files = append(files, extFile{path: f.Path, mode: f.Mode & 0o777, data: data[f.Off : f.Off+f.Len : f.Off+f.Len]})
	}
	if len(files) == 0 {
		return nil, errors.New("no files")
	}
	return files, nil
}

// writePack stores unpacked files as the pack p, atomically.
func writePack(p string, files []extFile, controls []string) error {
	idx := packIndex{Controls: controls}
	var off int64
	for _, f := range files {
		idx.Files = append(idx.Files, packFile{Path: f.path, Mode: f.mode, Off: off, Len: int64(len(f.data))})
		off += int64(len(f.data))
	}
	ij, err := json.Marshal(idx)
	if err != nil {
		return err
	}
	buf := make([]byte, 0, len(packMagic)+8+len(ij)+int(off))
	buf = append(buf, packMagic...)
	buf = binary.LittleEndian.AppendUint64(buf, uint64(len(ij)))
	buf = append(buf, ij...)
	for _, f := range files {
		buf = append(buf, f.data...)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".pack-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(buf)
	if err == nil {
		err = tmp.Sync() // once per machine; a crash must not leave a renamed pack of zeros
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
	}
	return err
}
