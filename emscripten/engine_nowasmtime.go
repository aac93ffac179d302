//go:build !(cgo && (linux || darwin) && (amd64 || arm64))

package emscripten

import "errors"

// WasmtimeAvailable reports whether this build has the wasmtime engine (cgo, on linux or
// macOS, amd64 or arm64).
const WasmtimeAvailable = false

// wasmtimeVersion is empty: no wasmtime in this build.
const wasmtimeVersion = ""

func newWasmtimeEngine(RuntimeConfig) (engine, error) {
	return nil, errors.New("emscripten: wasmtime is not in this build")
}
