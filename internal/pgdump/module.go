// Package pgdump runs PostgreSQL's own pg_dump (pglite-tools' pg_dump.wasm, PostgreSQL
// 18.3) on the package emscripten's host, in process, with its libpq's traffic carried by a
// net.Conn to a pglite-go server: Server.Dial's in-process pipe, or a TCP or Unix socket
// connection to a running pglited.
package pgdump

import (
	"context"
	"fmt"
	"sync"

	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/bridge"
	"github.com/pglite-go/pglite/emscripten"
)

// layout is where pglite-tools 0.4.8's JavaScript glue (dist/pg_dump.cjs) places the
// relocatable pg_dump.wasm: ___memory_base 1024, ___table_base 1, ___stack_pointer and
// ___heap_base 301584, a table of 231 entries (230 elements from index 1). The pin of
// pg_dump.wasm (internal/assetinstall/pins_tools.go) fixes these.
var layout = emscripten.RelocatableLayout{MemoryBase: 1024, TableBase: 1, StackPointer: 301584, HeapBase: 301584, TableSize: 231}

// compiledDump is pg_dump.wasm compiled on one engine.
type compiledDump struct {
	rt  *emscripten.Runtime
	mod *emscripten.Module
}

var compiledMu sync.Mutex

// compiledByKey keeps one runtime and module per engine and assets folder for the process's
// life, as the bridge keeps PostgreSQL's: a dump after the first starts in milliseconds.
var compiledByKey = map[string]*compiledDump{}

// compile returns pg_dump.wasm compiled on the named engine ("" chooses as the bridge
// does), from the assets the bridge uses (assetsDir "" finds them the same way).
func compile(ctx context.Context, engine, assetsDir string, log zerolog.Logger) (*compiledDump, error) {
	name, err := emscripten.ResolveEngine(engine)
	if err != nil {
		return nil, err
	}
	compiledMu.Lock()
	defer compiledMu.Unlock()
	key := name + "\x00" + assetsDir
	if c, ok := compiledByKey[key]; ok {
		return c, nil
	}
	wasm, err := bridge.ToolWasm(ctx, assetsDir, "pg_dump.wasm", log)
	if err != nil {
		return nil, err
	}
	rt, err := emscripten.NewRuntime(ctx, emscripten.RuntimeConfig{CacheDir: emscripten.DefaultCacheDir(), Engine: name})
	if err != nil {
		return nil, err
	}
	mod, err := rt.CompileRelocatable(ctx, "pg_dump.wasm", wasm, layout)
	if err != nil {
		_ = rt.Close(ctx)
		return nil, fmt.Errorf("pgdump: %w", err)
	}
	c := &compiledDump{rt: rt, mod: mod}
	compiledByKey[key] = c
	return c, nil
}
