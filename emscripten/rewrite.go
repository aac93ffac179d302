package emscripten

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pglite-go/pglite/emscripten/internal/wasmbin"
)

// rewriteVersion names the output of rewriteGuest in the disk cache; change it whenever a
// rewrite changes what it produces.
const rewriteVersion = "r1"

// rewriteGuest returns the bytes the runtime compiles for a main module, which are faster
// on wazero than the module as built:
//   - the memory is defined instead of imported: wazero's generated code reaches a defined
//     memory with half the loads (see wasmbin.DefineImportedMemory);
//   - one bounds check covers a run of accesses through the same pointer, and all accesses
//     to static data (wasmbin.HoistBoundsChecks; about 5% per query on PostgreSQL). On an
//     instruction that pass does not know it fails, and hoistErr says why; the module then
//     runs without it.
//
// An engine with guard pages (wasmtime) gets the first rewrite only. Both rewrites are
// deterministic. With a cache directory the result is kept on disk under
// the hash of the input, so a process start reads it instead of rewriting 9 MB (~90 ms).
func (rt *Runtime) rewriteGuest(wasm []byte) (out []byte, hoistErr, err error) {
	sum := sha256.Sum256(wasm)
	hoist := rt.eng.hoistsBounds()
	version := rewriteVersion
	if !hoist {
		version += "-nohoist"
	}
	exc := rt.eng.exceptions()
	if exc {
		version += "-stackcheck1"
	}
	path := ""
	if rt.rewriteDir != "" {
		path = filepath.Join(rt.rewriteDir, hex.EncodeToString(sum[:16])+"-"+version+".wasm")
		if b, ok := readChecked(path); ok {
			return b, nil, nil
		}
	}
	out, err = wasmbin.DefineImportedMemory(wasm, guestMemoryExport)
	switch {
	case errors.Is(err, wasmbin.ErrNoMemoryImport):
		out = wasm
	case err != nil:
		return nil, nil, fmt.Errorf("define memory: %w", err)
	}
	if exc {
		// PostgreSQL's check_stack_depth also asks about the engine's native stack (see
		// stackcheck.go), so that deep recursion ends in its own ERROR where it recurses.
		checked, err := wasmbin.AddStackCheck(out, wasmbin.StackCheckSpec{Func: "check_stack_depth",
			SlotExport: stackSlotExport, RaiseExport: stackRaiseExport, Throw: throwLongjmpName})
		if err == nil {
			out = checked
		}
	}
	if !hoist {
		if path != "" {
			writeChecked(path, out)
		}
		return out, nil, nil
	}
	hoisted, hoistErr := wasmbin.HoistBoundsChecks(out)
	if hoistErr != nil {
		return out, hoistErr, nil
	}
	if path != "" {
		writeChecked(path, hoisted) // a cache that cannot be written costs time, nothing else
	}
	return hoisted, nil, nil
}

// readChecked reads a file written by writeChecked: a SHA-256 of the content, then the
// content. A torn or damaged file reads as absent.
func readChecked(path string) ([]byte, bool) {
	b, err := os.ReadFile(path)
	if err != nil || len(b) < sha256.Size {
		return nil, false
	}
	sum := sha256.Sum256(b[sha256.Size:])
	if !bytes.Equal(sum[:], b[:sha256.Size]) {
		return nil, false
	}
	return b[sha256.Size:], true
}

// writeChecked writes content with its checksum, through a temporary file and a rename so
// that concurrent processes never read a partial file.
func writeChecked(path string, content []byte) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".rewrite-*")
	if err != nil {
		return
	}
	sum := sha256.Sum256(content)
	_, err1 := f.Write(sum[:])
	_, err2 := f.Write(content)
	err3 := f.Close()
	if err1 != nil || err2 != nil || err3 != nil || os.Rename(f.Name(), path) != nil {
		_ = os.Remove(f.Name())
	}
}
