package emscripten

import (
	"github.com/pglite-go/pglite/emscripten/vfs"
)

// memoryFuncs grow the heap and map files into linear memory.
var memoryFuncs = map[string]hostFunc{
	"emscripten_resize_heap":  hf("i", "i", resizeHeap),
	"emscripten_get_heap_max": hf("", "i", func(p *Process, s []uint64) { s[0] = uint64(uint32(p.MemoryLimit())) }),
	"_mmap_js":                hf("iiiijii", "i", mmapJS),
	"_munmap_js":              hf("iiiiij", "i", munmapJS),
}

const (
	heapMax  = 1 << 31
	pageSize = 1 << 16
)

// resizeHeap grows linear memory to at least the requested size. With the reserved mapping
// behind the memory this is a reslice, so no over-allocation is needed. Past the process's
// memory limit it returns 0, which sbrk turns into ENOMEM and malloc into NULL.
func resizeHeap(p *Process, s []uint64) {
	want := uint64(uint32(s[0]))
	mem := p.memory
	cur := mem.size()
	if want > heapMax || (want > cur && p.refuseGrowth(want)) {
		s[0] = 0
		return
	}
	if want <= cur {
		s[0] = 1
		return
	}
	pages := (want - cur + pageSize - 1) / pageSize
	if !mem.grow(uint32(pages)) {
		s[0] = 0
		return
	}
	p.refreshMem()
	s[0] = 1
}

const (
	protWrite  = 2
	mapPrivate = 2
	mmapAlign  = 65536
)

// mmapJS maps a file: allocate inside linear memory with emscripten_builtin_memalign, copy
// the file's bytes in, and report the address. Anonymous maps never reach the host.
func mmapJS(p *Process, s []uint64) {
	length, prot, flags, fd := uint32(s[0]), uint32(s[1]), uint32(s[2]), int32(s[3])
	off, allocated, addr := int64(s[4]), uint32(s[5]), uint32(s[6])
	of, errno := p.fds.get(fd)
	if errno != 0 {
		setErr(s, errno)
		return
	}
	if of.mode != vfs.S_IFREG {
		setErr(s, vfs.ENODEV)
		return
	}
	if prot&protWrite != 0 && flags&mapPrivate == 0 && of.flags&vfs.O_ACCMODE == vfs.O_RDONLY {
		setErr(s, vfs.EACCES)
		return
	}
	size := (length + mmapAlign - 1) &^ (mmapAlign - 1)
	ptr := uint32(p.mustCall("emscripten_builtin_memalign", mmapAlign, uint64(size)))
	if ptr == 0 {
		setErr(s, vfs.ENOMEM)
		return
	}
	buf := p.Bytes(ptr, size)
	clear(buf)
	if _, errno := of.file.ReadAt(buf[:length], off); errno != 0 {
		setErr(s, errno)
		return
	}
	p.PutU32(allocated, 1)
	p.PutU32(addr, ptr)
	s[0] = 0
}

// munmapJS writes a shared writable mapping back to its file; libc frees the memory.
func munmapJS(p *Process, s []uint64) {
	addr, length, prot, flags, fd := uint32(s[0]), uint32(s[1]), uint32(s[2]), uint32(s[3]), int32(s[4])
	off := int64(s[5])
	if prot&protWrite != 0 && flags&mapPrivate == 0 {
		if of, errno := p.fds.get(fd); errno == 0 && of.file != nil {
			if _, errno := of.file.WriteAt(p.Bytes(addr, length), off); errno != 0 {
				setErr(s, errno)
				return
			}
		}
	}
	s[0] = 0
}

// refreshMem re-reads the linear memory after it was created or grown, and advises huge
// pages for the part not advised before. Only that part: a restored snapshot's memfd is
// mapped over the start, and advising it would let the kernel allocate the snapshot's
// shared file in huge pages.
func (p *Process) refreshMem() {
	p.mem = p.memory.bytes()
	if len(p.mem) > p.hugeAdvised {
		adviseHugePages(p.mem[p.hugeAdvised:]) // starts at a wasm page, so page aligned
		p.hugeAdvised = len(p.mem)
	}
}
