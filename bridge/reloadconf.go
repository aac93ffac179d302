package bridge

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/pglite-go/pglite/emscripten"
)

// pg_reload_conf() signals the postmaster, which a single-user backend does not have: in
// PGlite kill() fails, so it warns and returns false. The host replaces the function's entry
// in PostgreSQL's table of built-in functions (fmgr_builtins, plain data in linear memory) with
// a host callback that does what the postmaster's SIGHUP would lead to: this backend re-reads
// its configuration before its next command, and Config.OnReload tells the server, which
// re-reads pg_hba.conf and reloads its other databases.

// pgReloadConfOID is pg_reload_conf's pg_proc OID.
const pgReloadConfOID = 2621

// fmgrBuiltinSize is sizeof(FmgrBuiltin) in wasm32: Oid foid, short nargs, bool strict,
// bool retset, const char *funcName, PGFunction func.
const fmgrBuiltinSize = 16

// replaceBuiltin points the fmgr_builtins entry of (oid, name) at table index fn. It finds the
// entry by its contents, since the table is not exported: the name string, then the entry
// whose OID and name pointer match.
func replaceBuiltin(p *emscripten.Process, oid uint32, name string, fn uint32) error {
	mem := p.Memory()
	limit := min(len(mem), int(heapBase(p)))
	want := append([]byte(name), 0)
	for off := 0; off < limit; {
		i := bytes.Index(mem[off:limit], want)
		if i < 0 {
			break
		}
		addr := off + i
		off = addr + 1
		if addr > 0 && mem[addr-1] != 0 {
			continue // the tail of a longer string
		}
		var entry [8]byte
		binary.LittleEndian.PutUint32(entry[0:], oid)
		for e := 0; e+fmgrBuiltinSize <= limit; {
			j := bytes.Index(mem[e:limit], entry[:4])
			if j < 0 {
				break
			}
			at := e + j
			e = at + 4
			if at%4 != 0 || binary.LittleEndian.Uint32(mem[at+8:]) != uint32(addr) {
				continue
			}
			binary.LittleEndian.PutUint32(mem[at+12:], fn)
			return nil
		}
	}
	return fmt.Errorf("bridge: no fmgr_builtins entry for %s (oid %d)", name, oid)
}

// heapBase is where static data ends; fmgr_builtins lies below it.
func heapBase(p *emscripten.Process) uint32 {
	if b, ok := p.GlobalAddress("__heap_base"); ok {
		return b
	}
	return uint32(len(p.Memory()))
}

// reloadConfCallback is the host's pg_reload_conf: Datum fn(FunctionCallInfo).
func reloadConfCallback(onReload func()) emscripten.CallbackFunc {
	return func(p *emscripten.Process, s []uint64) {
		if addr, ok := p.GlobalAddress("ConfigReloadPending"); ok {
			p.PutU32(addr, 1)
		}
		if onReload != nil {
			onReload()
		}
		s[0] = 1 // BoolGetDatum(true)
	}
}
