package emscripten

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"

	"github.com/pglite-go/pglite/emscripten/internal/wasmbin"
)

// rewriteVersion names the output of rewriteGuest in the disk cache; change it whenever a
// rewrite changes what it produces.
const rewriteVersion = "r5"

// rewriteGuest returns the bytes the runtime compiles for a main module, which are faster
// than the module as built:
//   - the memory is defined instead of imported: wazero's generated code reaches a defined
//     memory with half the loads (see wasmbin.DefineImportedMemory);
//   - one bounds check covers a run of accesses through the same pointer, and all accesses
//     to static data (wasmbin.HoistBoundsChecks; about 5% per query on PostgreSQL). On an
//     instruction that pass does not know it fails, and hoistErr says why; the module then
//     runs without it;
//   - direct calls to small functions run a copy of the callee's body instead, since
//     neither engine inlines across wasm functions (wasmbin.InlineSmallFunctions; about 3%
//     per query on wasmtime, for 19% more code to compile once; wasmtime only);
//   - memset and memcpy of up to bulkInlineLimit bytes store words in a loop instead of
//     running memory.fill and memory.copy, which both engines run as a call out of the
//     compiled code (wasmbin.InlineSmallBulkMemory; about 5% per query on both).
//
// An engine with guard pages (wasmtime) gets no hoisting. Every rewrite is deterministic. With a cache directory the result is kept on disk under
// the hash of the input, so a process start reads it instead of rewriting 9 MB (~90 ms).
// key names the result for the compiled-code cache: derived from sum and the rewrite's
// version, so that nobody hashes the 9 MB output again.
func (rt *Runtime) rewriteGuest(wasm []byte, sum [sha256.Size]byte) (out []byte, key string, hoistErr, err error) {
	hoist := rt.eng.hoistsBounds()
	version := rewriteVersion
	if !hoist {
		version += "-nohoist"
	}
	exc := rt.eng.exceptions()
	if exc {
		version += fmt.Sprintf("-stackcheck2-%d", stackCheckEvery)
	}
	ks := sha256.Sum256(append(sum[:], version...))
	key = hex.EncodeToString(ks[:16])
	path := ""
	if rt.rewriteDir != "" {
		path = filepath.Join(rt.rewriteDir, hex.EncodeToString(sum[:16])+"-"+version+".wasm")
		if b, ok := readChecked(path); ok {
			return b, key, nil, nil
		}
	}
	out, err = wasmbin.DefineImportedMemory(wasm, guestMemoryExport)
	switch {
	case errors.Is(err, wasmbin.ErrNoMemoryImport):
		out = wasm
	case err != nil:
		return nil, "", nil, fmt.Errorf("define memory: %w", err)
	}
	if exc {
		// PostgreSQL's check_stack_depth also asks about the engine's native stack (see
		// stackcheck.go), so that deep recursion ends in its own ERROR where it recurses.
		checked, err := wasmbin.AddStackCheck(out, wasmbin.StackCheckSpec{Func: "check_stack_depth",
			SlotExport: stackSlotExport, RaiseExport: stackRaiseExport, Throw: throwLongjmpName,
			Every: stackCheckEvery})
		if err == nil {
			out = checked
		}
	}
	if !hoist {
		// On wazero the copies' extra locals make the hoist pass skip more bodies, and a
		// TPC-B transaction got 5% slower; so only the engine without hoisting inlines.
		if inlined, _, err := wasmbin.InlineSmallFunctions(out, inlineLimits); err == nil {
			out = inlined // a module the pass cannot read runs as it is
		}
	} else {
		// Before the helper calls below: a call ends the runs of accesses it hoists over.
		hoisted, err := wasmbin.HoistBoundsChecks(out)
		if err != nil {
			hoistErr, key = err, key+"-nohoisted"
		} else {
			out = hoisted
		}
	}
	if inlined, _, _, err := wasmbin.InlineSmallBulkMemory(out, bulkInlineLimit); err == nil {
		out = inlined // a module the pass cannot read runs as it is
	}
	if path != "" && hoistErr == nil {
		writeChecked(path, out) // a cache that cannot be written costs time, nothing else
	}
	return out, key, hoistErr, nil
}

// stackCheckEvery: check_stack_depth asks about the native stack on one call in this many
// (wasmbin.StackCheckSpec.Every). Asking on every call cost 8% of a TPC-B transaction through
// Exec; the calls skipped between two asks recurse a few KiB of native stack each, against
// the 1 MiB kept free below the limit (wasmtimeStackBudget).
const stackCheckEvery = 8

// inlineLimits says which functions are copied into their callers (wasmbin.InlineSmallFunctions).
var inlineLimits = wasmbin.InlineLimits{MaxInstrs: 30, MaxLeafInstrs: 60, MaxCallerLocals: 2000}

// bulkInlineLimit is the longest memset or memcpy done in wasm code: about where the call
// out of the compiled code stops costing more than the loop (64, 128 and 256 measured within
// noise of each other on PostgreSQL's queries).
const bulkInlineLimit = 128

// readChecked reads a file written by writeChecked: a CRC-32C of the content (4 bytes, big
// endian), then the content. A torn or damaged file reads as absent. The checksum only
// guards against damage (the name already says what the content is), so it is the one the
// CPU computes in hardware: a fraction of a millisecond for 9 MB, where SHA-256 took 6 ms of
// every start.
func readChecked(path string) ([]byte, bool) {
	b, err := os.ReadFile(path)
	if err != nil || len(b) < 4 {
		return nil, false
	}
	if crc32.Checksum(b[4:], castagnoli) != binary.BigEndian.Uint32(b) {
		return nil, false
	}
	return b[4:], true
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

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
	sum := binary.BigEndian.AppendUint32(nil, crc32.Checksum(content, castagnoli))
	_, err1 := f.Write(sum)
	_, err2 := f.Write(content)
	err3 := f.Close()
	if err1 != nil || err2 != nil || err3 != nil || os.Rename(f.Name(), path) != nil {
		_ = os.Remove(f.Name())
	}
}
