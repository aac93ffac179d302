package emscripten

import (
	"context"
	"fmt"

	"github.com/pglite-go/pglite/emscripten/internal/wasmbin"
	"github.com/pglite-go/pglite/emscripten/vfs"
)

// RelocatableLayout says where the JavaScript loader of a relocatable main module (built
// with -sMAIN_MODULE, as pglite-tools' pg_dump.wasm is) places it: the values its glue
// gives the imported globals, and the table size it creates. Read them from the module's
// glue file; they are fixed at link time.
type RelocatableLayout struct {
	MemoryBase, TableBase int32
	// StackPointer is the initial stack pointer (the top of the stack); HeapBase is where
	// sbrk starts (GOT.mem's __heap_base).
	StackPointer, HeapBase int32
	// TableSize is the table's initial size.
	TableSize uint32
}

// hostSocketName is the import a relocatable module's socket() is bound to (see
// CompileRelocatable).
const hostSocketName = "__pglite_socket_placeholder"

// CompileRelocatable compiles a relocatable main module by linking it statically at l
// (wasmbin.StaticMain) and then as Compile does. Its socket() is bound to a host function
// that opens a placeholder descriptor: such a module (pg_dump.wasm's libpq) sends and
// receives through pgl_send and pgl_recv, the callbacks set with pgl_set_rw_cbs, and only
// needs socket() to give it a descriptor to fcntl and close.
func (rt *Runtime) CompileRelocatable(ctx context.Context, name string, wasm []byte, l RelocatableLayout) (*Module, error) {
	linked, err := wasmbin.StaticMain(wasm, wasmbin.StaticMainSpec{
		Globals: map[string]int32{"__stack_pointer": l.StackPointer, "__memory_base": l.MemoryBase,
			"__table_base": l.TableBase, "__heap_base": l.HeapBase},
		TableMin: l.TableSize,
		Renames:  map[string]string{"__syscall_socket": hostSocketName},
	})
	if err != nil {
		return nil, fmt.Errorf("emscripten: link %s: %w", name, err)
	}
	return rt.Compile(ctx, name, linked)
}

// init runs after hostfuncs.go's, which builds the host module ProvideImport adds to (files
// initialise in name order).
func init() {
	ProvideImport(hostSocketName, "iiiiii", "i", func(p *Process, s []uint64) {
		of := &openFile{path: "socket:[placeholder]", file: placeholderSocket{}, mode: vfs.S_IFSOCK, flags: vfs.O_RDWR, refs: 1}
		fd, errno := p.fds.install(of, 3)
		if errno != 0 {
			setErr(s, errno)
			return
		}
		setRet(s, fd)
	})
	ProvideImport("pg_encoding_to_char", "i", "i", encodingToChar)
}

// placeholderSocket is the descriptor socket() returns: reading and writing it fail, since
// the module's traffic goes through its callbacks instead.
type placeholderSocket struct{ vfs.File }

func (placeholderSocket) ReadAt(p []byte, off int64) (int, vfs.Errno)  { return 0, vfs.EPIPE }
func (placeholderSocket) WriteAt(p []byte, off int64) (int, vfs.Errno) { return 0, vfs.EPIPE }
func (placeholderSocket) Stat() (vfs.Stat, vfs.Errno)                  { return vfs.Stat{Mode: vfs.S_IFSOCK | 0o777}, 0 }
func (placeholderSocket) Sync() vfs.Errno                              { return 0 }
func (placeholderSocket) Close() vfs.Errno                             { return 0 }
