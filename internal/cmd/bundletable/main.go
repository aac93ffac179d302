// Command bundletable prints the file table of pglite.data, read from the Emscripten glue
// pglite.js, as JSON (see package internal/bundletable, which the asset installer uses).
package main

import (
	"fmt"
	"os"

	"github.com/pglite-go/pglite/internal/bundletable"
)

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
	st, err := os.Stat(dataPath)
	if err != nil {
		return err
	}
	out, err := bundletable.Extract(js, st.Size())
	if err != nil {
		return fmt.Errorf("%s: %w", jsPath, err)
	}
	_, err = os.Stdout.Write(out)
	return err
}
