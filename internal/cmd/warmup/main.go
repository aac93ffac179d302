// Command warmup fills the caches a first Open needs: wazero's compilation cache for
// pglite.wasm and initdb.wasm, and the template cluster made by initdb. `make test` runs it
// once, so that test packages running in parallel do not each wait for the same work.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/pglite-go/pglite/bridge"
)

func main() {
	inst, err := bridge.Open(context.Background(), bridge.Config{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "warmup:", err)
		os.Exit(1)
	}
	t := inst.Timings
	if err := inst.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "warmup:", err)
		os.Exit(1)
	}
	fmt.Printf("warmup: compile %v, cluster %v (initdb: %v), boot %v\n", t.Compile, t.Cluster, t.Initdb, t.Boot)
}
