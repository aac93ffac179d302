package vfs

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// BundleEntry is one file of pglite.data: bytes [Start, End) of the data file.
type BundleEntry struct {
	Filename string `json:"filename"`
	Start    int64  `json:"start"`
	End      int64  `json:"end"`
}

// Bundle is pglite.data plus its file table. It is immutable after
// construction, so every FS in a process can serve bundle files straight
// from the same bytes without copying them.
type Bundle struct {
	data    []byte
	entries []BundleEntry
	index   map[string]int
}

type bundleTable struct {
	Files             []BundleEntry `json:"files"`
	RemotePackageSize *int64        `json:"remote_package_size"`
}

// LoadBundle maps the data file (MapFile) and reads its JSON file table
// ({"files":[...],"remote_package_size":N}). Like the TypeScript client it
// refuses a data file whose size differs from remote_package_size, because a
// mismatched pair would hand PostgreSQL garbage catalogs.
func LoadBundle(dataPath, tablePath string) (*Bundle, error) {
	raw, err := os.ReadFile(tablePath)
	if err != nil {
		return nil, err
	}
	var t bundleTable
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, fmt.Errorf("vfs: bundle table %s: %w", tablePath, err)
	}
	data, err := MapFile(dataPath) // served in place: its 6 MB stay out of the Go heap
	if err != nil {
		return nil, err
	}
	if t.RemotePackageSize == nil {
		return nil, fmt.Errorf("vfs: bundle table %s: missing remote_package_size", tablePath)
	}
	if *t.RemotePackageSize != int64(len(data)) {
		return nil, fmt.Errorf("vfs: %s is %d bytes, table says remote_package_size %d",
			dataPath, len(data), *t.RemotePackageSize)
	}
	return NewBundle(data, t.Files)
}

// NewBundle wraps data already in memory (e.g. go:embed). data is retained,
// not copied, and must not be modified afterwards. Entries must be
// contiguous, start at 0 and cover data exactly.
func NewBundle(data []byte, entries []BundleEntry) (*Bundle, error) {
	b := &Bundle{
		data:    data,
		entries: append([]BundleEntry(nil), entries...),
		index:   make(map[string]int, len(entries)),
	}
	var next int64
	for i, e := range b.entries {
		if e.Start != next || e.End < e.Start {
			return nil, fmt.Errorf("vfs: bundle entry %d (%s) spans [%d,%d), want start %d",
				i, e.Filename, e.Start, e.End, next)
		}
		next = e.End
		p, errno := cleanPath(e.Filename)
		if errno != 0 || p == "/" || p != e.Filename {
			return nil, fmt.Errorf("vfs: bundle entry %d: bad path %q", i, e.Filename)
		}
		if _, dup := b.index[p]; dup {
			return nil, fmt.Errorf("vfs: bundle entry %d: duplicate path %q", i, p)
		}
		b.index[p] = i
	}
	if next != int64(len(data)) {
		return nil, fmt.Errorf("vfs: bundle entries cover %d bytes, data has %d", next, len(data))
	}
	for p := range b.index {
		for d := parentDir(p); d != "/"; d = parentDir(d) {
			if _, clash := b.index[d]; clash {
				return nil, fmt.Errorf("vfs: bundle path %q is both a file and a directory", d)
			}
		}
	}
	return b, nil
}

// File returns the whole content of one bundle file as a subslice of the
// bundle (no copy); callers must not modify it.
func (b *Bundle) File(path string) ([]byte, bool) {
	if b == nil {
		return nil, false
	}
	i, ok := b.index[path]
	if !ok {
		return nil, false
	}
	e := b.entries[i]
	return b.data[e.Start:e.End:e.End], true
}

// Paths lists the bundle's file paths, sorted.
func (b *Bundle) Paths() []string {
	if b == nil {
		return nil
	}
	ps := make([]string, 0, len(b.entries))
	for _, e := range b.entries {
		ps = append(ps, e.Filename)
	}
	sort.Strings(ps)
	return ps
}

// Size is the total number of bundle bytes.
func (b *Bundle) Size() int64 {
	if b == nil {
		return 0
	}
	return int64(len(b.data))
}

func parentDir(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}
