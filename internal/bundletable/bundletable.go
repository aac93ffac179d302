// Package bundletable extracts the file table of pglite.data from the Emscripten glue
// pglite.js. The table exists only as a JavaScript object literal in pglite.js; the asset
// installer and internal/cmd/bundletable turn it into the JSON the library loads
// ({"files":[{"filename","start","end"}...],"remote_package_size":N}).
package bundletable

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
)

var (
	entryRE = regexp.MustCompile(`\{filename:"([^"]*)",start:(\d+),end:(\d+)\}`)
	sizeRE  = regexp.MustCompile(`remote_package_size:(\d+)`)
)

// Entry is one file of the bundle: its guest path and byte range in pglite.data.
type Entry struct {
	Filename string `json:"filename"`
	Start    int64  `json:"start"`
	End      int64  `json:"end"`
}

// Table is the whole file table.
type Table struct {
	Files []Entry `json:"files"`
	Size  int64   `json:"remote_package_size"`
}

// Parse reads the table out of pglite.js and checks that its entries are contiguous and
// cover the declared package size exactly.
func Parse(js []byte) (*Table, error) {
	var t Table
	for _, m := range entryRE.FindAllSubmatch(js, -1) {
		start, _ := strconv.ParseInt(string(m[2]), 10, 64)
		end, _ := strconv.ParseInt(string(m[3]), 10, 64)
		t.Files = append(t.Files, Entry{Filename: string(m[1]), Start: start, End: end})
	}
	sm := sizeRE.FindSubmatch(js)
	if sm == nil || len(t.Files) == 0 {
		return nil, fmt.Errorf("no file table found")
	}
	t.Size, _ = strconv.ParseInt(string(sm[1]), 10, 64)
	var at int64
	for _, e := range t.Files {
		if e.Start != at || e.End < e.Start {
			return nil, fmt.Errorf("entry %s is not contiguous (start %d, expected %d)", e.Filename, e.Start, at)
		}
		at = e.End
	}
	if at != t.Size {
		return nil, fmt.Errorf("entries cover %d bytes, package size is %d", at, t.Size)
	}
	return &t, nil
}

// Extract parses the table of js, checks it against the size of pglite.data, and returns
// it as JSON (one line, newline-terminated: the files.json of an assets folder).
func Extract(js []byte, dataSize int64) ([]byte, error) {
	t, err := Parse(js)
	if err != nil {
		return nil, err
	}
	if dataSize != t.Size {
		return nil, fmt.Errorf("pglite.data has %d bytes, the table expects %d", dataSize, t.Size)
	}
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(t); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
