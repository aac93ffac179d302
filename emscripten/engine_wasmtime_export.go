//go:build cgo && (linux || darwin) && (amd64 || arm64)

package emscripten

/*
#include "wasmtime_capi.h"
*/
import "C"

import "runtime/cgo"

// pgliteWasmtimeHost is the trampoline every wasmtime host function calls: h names the
// store's wtHost, raw holds the parameters on entry and receives the results.
//
//export pgliteWasmtimeHost
func pgliteWasmtimeHost(h C.uintptr_t, raw *C.wasmtime_val_raw_t, n C.size_t) *C.wasm_trap_t {
	return hostCall(cgo.Handle(h).Value().(*wtHost), raw, int(n))
}
