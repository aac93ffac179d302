// Command bundletable extracts the file table of pglite.data from the Emscripten glue pglite.js.
//
// The table exists only as a JavaScript object literal in pglite.js; this tool turns it into JSON
// ({"files":[{"filename","start","end"}...],"remote_package_size":N}) and checks that the entries are
// contiguous and cover the data file exactly.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
)

var (
	entryRE = regexp.MustCompile(`\{filename:"([^"]*)",start:(\d+),end:(\d+)\}`)
	sizeRE  = regexp.MustCompile(`remote_package_size:(\d+)`)
)

type entry struct {
	Filename string `json:"filename"`
	Start    int64  `json:"start"`
	End      int64  `json:"end"`
}

type table struct {
	Files []entry `json:"files"`
	Size  int64   `json:"remote_package_size"`
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: bundletable pglite.js pglite.data")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "bundletable:", err)
		os.Exit(1)
	}
}

func run(jsPath, dataPath string) error {
	js, err := os.ReadFile(jsPath)
	if err != nil {
		return err
	}
	var t table
	for _, m := range entryRE.FindAllSubmatch(js, -1) {
		start, _ := strconv.ParseInt(string(m[2]), 10, 64)
		end, _ := strconv.ParseInt(string(m[3]), 10, 64)
		t.Files = append(t.Files, entry{Filename: string(m[1]), Start: start, End: end})
	}
	sm := sizeRE.FindSubmatch(js)
	if sm == nil || len(t.Files) == 0 {
		return fmt.Errorf("no file table found in %s", jsPath)
	}
	t.Size, _ = strconv.ParseInt(string(sm[1]), 10, 64)
	var at int64
	for _, e := range t.Files {
		if e.Start != at || e.End < e.Start {
			return fmt.Errorf("entry %s is not contiguous (start %d, expected %d)", e.Filename, e.Start, at)
		}
		at = e.End
	}
	if at != t.Size {
		return fmt.Errorf("entries cover %d bytes, package size is %d", at, t.Size)
	}
	st, err := os.Stat(dataPath)
	if err != nil {
		return err
	}
	if st.Size() != t.Size {
		return fmt.Errorf("%s has %d bytes, the table expects %d", dataPath, st.Size(), t.Size)
	}
	return json.NewEncoder(os.Stdout).Encode(t)
}
