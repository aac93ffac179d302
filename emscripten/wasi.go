package emscripten

import (
	"crypto/rand"

	"github.com/pglite-go/pglite/emscripten/vfs"
)

// wasiFuncs are the wasi_snapshot_preview1 imports. They return 0 or a positive errno and
// deliver results through out-pointers.
var wasiFuncs = map[string]hostFunc{
	"fd_read":           hf("iiii", "i", fdRead),
	"fd_write":          hf("iiii", "i", fdWrite),
	"fd_pread":          hf("iiiji", "i", fdPread),
	"fd_pwrite":         hf("iiiji", "i", fdPwrite),
	"fd_seek":           hf("ijii", "i", fdSeek),
	"fd_close":          hf("i", "i", func(p *Process, s []uint64) { s[0] = uint64(p.fds.close(int32(s[0]))) }),
	"fd_sync":           hf("i", "i", func(p *Process, s []uint64) { syncFD(p, s); s[0] = uint64(uint32(-int32(s[0]))) }),
	"fd_fdstat_get":     hf("ii", "i", fdFdstatGet),
	"environ_sizes_get": hf("ii", "i", environSizesGet),
	"environ_get":       hf("ii", "i", environGet),
	"random_get":        hf("ii", "i", randomGet),
}

// iovecs walks {ptr u32, len u32} entries.
func (p *Process) iovecs(iovs, n uint32, each func(buf []byte) (int, vfs.Errno, bool)) (uint32, vfs.Errno) {
	var total uint32
	for i := uint32(0); i < n; i++ {
		ptr, l := p.U32(iovs+8*i), p.U32(iovs+8*i+4)
		got, errno, more := each(p.Bytes(ptr, l))
		total += uint32(got)
		if errno != 0 {
			if total > 0 {
				return total, 0
			}
			return 0, errno
		}
		if !more || uint32(got) < l {
			break
		}
	}
	return total, 0
}

func (p *Process) readInto(of *openFile, buf []byte, off int64, positional bool) (int, vfs.Errno) {
	if of.flags&vfs.O_ACCMODE == vfs.O_WRONLY {
		return 0, vfs.EBADF
	}
	if of.pipe != nil {
		if len(of.pipe.buf) == 0 {
			if of.pipe.writeClosed {
				return 0, 0
			}
			return 0, vfs.EAGAIN
		}
		n := copy(buf, of.pipe.buf)
		of.pipe.buf = of.pipe.buf[n:]
		return n, 0
	}
	if of.mode == vfs.S_IFDIR {
		return 0, vfs.EISDIR
	}
	if !positional {
		off = of.pos
	}
	n, errno := of.file.ReadAt(buf, off)
	if !positional && of.seekable() {
		of.pos += int64(n)
	}
	return n, errno
}

func (p *Process) writeFrom(of *openFile, buf []byte, off int64, positional bool) (int, vfs.Errno) {
	if of.flags&vfs.O_ACCMODE == vfs.O_RDONLY && of.pipe == nil && of.mode != vfs.S_IFCHR {
		return 0, vfs.EBADF
	}
	if of.pipe != nil {
		if of.pipe.readClosed {
			return 0, vfs.EPIPE
		}
		of.pipe.buf = append(of.pipe.buf, buf...)
		return len(buf), 0
	}
	if !positional {
		off = of.pos
		if of.flags&vfs.O_APPEND != 0 && of.seekable() {
			st, errno := of.file.Stat()
			if errno != 0 {
				return 0, errno
			}
			off = st.Size
		}
	}
	n, errno := of.file.WriteAt(buf, off)
	if !positional && of.seekable() {
		of.pos = off + int64(n)
	}
	return n, errno
}

func fdIO(p *Process, s []uint64, write, positional bool) {
	of, errno := p.fds.get(int32(s[0]))
	if errno != 0 {
		s[0] = uint64(errno)
		return
	}
	iovs, n := uint32(s[1]), uint32(s[2])
	var off int64
	out := uint32(s[3])
	if positional {
		off, out = int64(s[3]), uint32(s[4])
		if !of.seekable() {
			s[0] = uint64(vfs.ESPIPE)
			return
		}
	}
	total, errno := p.iovecs(iovs, n, func(buf []byte) (int, vfs.Errno, bool) {
		var got int
		var e vfs.Errno
		if write {
			got, e = p.writeFrom(of, buf, off, positional)
		} else {
			got, e = p.readInto(of, buf, off, positional)
		}
		off += int64(got)
		return got, e, true
	})
	if errno != 0 {
		s[0] = uint64(errno)
		return
	}
	p.PutU32(out, total)
	s[0] = 0
}

func fdRead(p *Process, s []uint64)   { fdIO(p, s, false, false) }
func fdWrite(p *Process, s []uint64)  { fdIO(p, s, true, false) }
func fdPread(p *Process, s []uint64)  { fdIO(p, s, false, true) }
func fdPwrite(p *Process, s []uint64) { fdIO(p, s, true, true) }

// fdSeek moves the description's position; on a directory it restarts getdents.
func fdSeek(p *Process, s []uint64) {
	of, errno := p.fds.get(int32(s[0]))
	if errno != 0 {
		s[0] = uint64(errno)
		return
	}
	if !of.seekable() {
		s[0] = uint64(vfs.ESPIPE)
		return
	}
	off, whence, out := int64(s[1]), uint32(s[2]), uint32(s[3])
	var base int64
	switch whence {
	case 0:
	case 1:
		base = of.pos
	case 2:
		st, errno := of.file.Stat()
		if errno != 0 {
			s[0] = uint64(errno)
			return
		}
		base = st.Size
	default:
		s[0] = uint64(vfs.EINVAL)
		return
	}
	if base+off < 0 {
		s[0] = uint64(vfs.EINVAL)
		return
	}
	of.pos = base + off
	if of.mode == vfs.S_IFDIR && of.pos == 0 {
		of.dir = nil
	}
	p.PutU64(out, uint64(of.pos))
	s[0] = 0
}

// fdFdstatGet reports the WASI file type: 2 char device, 3 directory, 4 regular, 7 symlink.
func fdFdstatGet(p *Process, s []uint64) {
	of, errno := p.fds.get(int32(s[0]))
	if errno != 0 {
		s[0] = uint64(errno)
		return
	}
	buf := uint32(s[1])
	clear(p.Bytes(buf, 24))
	var ft byte = 4
	switch of.mode {
	case vfs.S_IFCHR:
		ft = 2
	case vfs.S_IFDIR:
		ft = 3
	case vfs.S_IFLNK:
		ft = 7
	}
	p.mem[buf] = ft
	s[0] = 0
}

func environSizesGet(p *Process, s []uint64) {
	size := 0
	for _, e := range p.cfg.Env {
		size += len(e) + 1
	}
	p.PutU32(uint32(s[0]), uint32(len(p.cfg.Env)))
	p.PutU32(uint32(s[1]), uint32(size))
	s[0] = 0
}

func environGet(p *Process, s []uint64) {
	ptrs, buf := uint32(s[0]), uint32(s[1])
	for i, e := range p.cfg.Env {
		p.PutU32(ptrs+uint32(4*i), buf)
		p.WriteCString(buf, e)
		buf += uint32(len(e) + 1)
	}
	s[0] = 0
}

func randomGet(p *Process, s []uint64) {
	_, _ = rand.Read(p.Bytes(uint32(s[0]), uint32(s[1])))
	s[0] = 0
}
