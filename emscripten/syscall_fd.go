package emscripten

import (
	"github.com/pglite-go/pglite/emscripten/vfs"
)

// fileFuncs are the descriptor-based __syscall_* imports.
var fileFuncs = map[string]hostFunc{
	"__syscall_fstat64":     hf("ii", "i", func(p *Process, s []uint64) { fstatFD(p, s, int32(s[0]), uint32(s[1])) }),
	"__syscall_ftruncate64": hf("ij", "i", sysFtruncate),
	"__syscall_fallocate":   hf("iijj", "i", sysFallocate),
	"__syscall_fadvise64":   hf("ijji", "i", func(p *Process, s []uint64) { fdCheck(p, s, true) }),
	"__syscall_fdatasync":   hf("i", "i", func(p *Process, s []uint64) { syncFD(p, s) }),
	"__syscall_dup":         hf("i", "i", sysDup),
	"__syscall_dup3":        hf("iii", "i", sysDup3),
	"__syscall_pipe2":       hf("ii", "i", sysPipe2),
	"__syscall_fcntl64":     hf("iii", "i", sysFcntl),
	"__syscall_ioctl":       hf("iii", "i", sysIoctl),
	"__syscall_getdents64":  hf("iii", "i", sysGetdents),
	"__syscall_fchmod":      hf("ii", "i", sysFchmod),
	"__syscall_poll":        hf("iii", "i", sysPoll),
}

func fstatFD(p *Process, s []uint64, fd int32, buf uint32) {
	of, errno := p.fds.get(fd)
	if errno != 0 {
		setErr(s, errno)
		return
	}
	var st vfs.Stat
	if of.pipe != nil {
		st = vfs.Stat{Mode: vfs.S_IFIFO | 0o600}
	} else if st, errno = of.file.Stat(); errno != 0 {
		setErr(s, errno)
		return
	}
	writeStat(p, buf, st)
	s[0] = 0
}

// fdCheck answers 0 for a valid descriptor, -EBADF otherwise, and -ESPIPE for a pipe when
// seekable is required.
func fdCheck(p *Process, s []uint64, seekable bool) {
	of, errno := p.fds.get(int32(s[0]))
	if errno == 0 && seekable && of.pipe != nil {
		errno = vfs.ESPIPE
	}
	setErr(s, errno)
}

// syncFD makes fsync and fdatasync real for host-backed files.
func syncFD(p *Process, s []uint64) {
	of, errno := p.fds.get(int32(s[0]))
	if errno == 0 && of.file != nil {
		errno = of.file.Sync()
	}
	setErr(s, errno)
}

func sysFtruncate(p *Process, s []uint64) {
	of, errno := p.fds.get(int32(s[0]))
	if errno == 0 {
		switch {
		case int64(s[1]) < 0:
			errno = vfs.EINVAL
		case of.file == nil || of.mode != vfs.S_IFREG:
			errno = vfs.EINVAL
		default:
			errno = of.file.Truncate(int64(s[1]))
		}
	}
	setErr(s, errno)
}

// sysFallocate only extends: mode flags are unsupported, as in Emscripten.
func sysFallocate(p *Process, s []uint64) {
	of, errno := p.fds.get(int32(s[0]))
	mode, off, length := int32(s[1]), int64(s[2]), int64(s[3])
	switch {
	case errno != 0:
	case mode != 0:
		errno = vfs.ENOTSUP
	case off < 0 || length <= 0:
		errno = vfs.EINVAL
	case !of.seekable():
		errno = vfs.ESPIPE
	default:
		st, e := of.file.Stat()
		if errno = e; e == 0 && st.Size < off+length {
			errno = of.file.Truncate(off + length)
		}
	}
	setErr(s, errno)
}

func sysDup(p *Process, s []uint64) {
	of, errno := p.fds.get(int32(s[0]))
	if errno != 0 {
		setErr(s, errno)
		return
	}
	fd, errno := p.fds.install(of, 0)
	if errno != 0 {
		setErr(s, errno)
		return
	}
	setRet(s, fd)
}

const oCloexec = 0x80000

func sysDup3(p *Process, s []uint64) {
	fd, newfd, flags := int32(s[0]), int32(s[1]), uint32(s[2])
	of, errno := p.fds.get(fd)
	switch {
	case errno != 0:
	case fd == newfd || flags&^oCloexec != 0:
		errno = vfs.EINVAL
	default:
		errno = p.fds.installAt(of, newfd)
	}
	if errno != 0 {
		setErr(s, errno)
		return
	}
	setRet(s, newfd)
}

func sysPipe2(p *Process, s []uint64) {
	out, flags := uint32(s[0]), uint32(s[1])
	pp := &pipe{}
	rfd, errno := p.fds.install(&openFile{path: "pipe:[r]", pipe: pp, mode: vfs.S_IFIFO, flags: vfs.O_RDONLY | flags&vfs.O_NONBLOCK}, 0)
	if errno != 0 {
		setErr(s, errno)
		return
	}
	wfd, errno := p.fds.install(&openFile{path: "pipe:[w]", pipe: pp, mode: vfs.S_IFIFO, flags: vfs.O_WRONLY | flags&vfs.O_NONBLOCK}, 0)
	if errno != 0 {
		p.fds.close(rfd)
		setErr(s, errno)
		return
	}
	p.PutU32(out, uint32(rfd))
	p.PutU32(out+4, uint32(wfd))
	s[0] = 0
}

// fcntl commands, musl numbering.
const (
	fDupfd        = 0
	fGetfd        = 1
	fSetfd        = 2
	fGetfl        = 3
	fSetfl        = 4
	fGetlk        = 12
	fSetlk        = 13
	fSetlkw       = 14
	fDupfdCloexec = 1030
)

func sysFcntl(p *Process, s []uint64) {
	fd, cmd, arg := int32(s[0]), int32(s[1]), uint32(s[2])
	of, errno := p.fds.get(fd)
	if errno != 0 {
		setErr(s, errno)
		return
	}
	switch cmd {
	case fDupfd, fDupfdCloexec:
		nfd, errno := p.fds.install(of, int32(p.U32(arg)))
		if errno != 0 {
			setErr(s, errno)
			return
		}
		setRet(s, nfd)
	case fGetfd, fSetfd, fSetlk, fSetlkw:
		s[0] = 0
	case fGetfl:
		setRet(s, int32(of.flags))
	case fSetfl:
		of.flags = of.flags&vfs.O_ACCMODE | p.U32(arg)&(vfs.O_APPEND|vfs.O_NONBLOCK)
		s[0] = 0
	case fGetlk:
		p.PutU16(p.U32(arg), 2) // l_type = F_UNLCK
		s[0] = 0
	default:
		setErr(s, vfs.EINVAL)
	}
}

// sysIoctl: nothing here is a terminal, so tty requests fail with ENOTTY, which makes musl
// block-buffer stdout.
func sysIoctl(p *Process, s []uint64) {
	if _, errno := p.fds.get(int32(s[0])); errno != 0 {
		setErr(s, errno)
		return
	}
	op := uint32(s[1])
	if op >= 0x5401 && op <= 0x5420 { // TCGETS … TIOCGWINSZ and friends
		setErr(s, vfs.ENOTTY)
		return
	}
	setErr(s, vfs.EINVAL)
}

// direntSize is Emscripten's fixed getdents64 record size.
const direntSize = 280

// d_type values.
const (
	dtChr  = 2
	dtDir  = 4
	dtReg  = 8
	dtLnk  = 10
	dtFifo = 1
)

func direntType(mode uint32) byte {
	switch mode & vfs.S_IFMT {
	case vfs.S_IFDIR:
		return dtDir
	case vfs.S_IFCHR:
		return dtChr
	case vfs.S_IFLNK:
		return dtLnk
	case vfs.S_IFIFO:
		return dtFifo
	}
	return dtReg
}

// sysGetdents writes fixed 280-byte records, "." and ".." first; the position is
// index*280, so fd_seek(fd, 0, SEEK_SET) restarts the listing.
func sysGetdents(p *Process, s []uint64) {
	of, errno := p.fds.get(int32(s[0]))
	if errno != 0 {
		setErr(s, errno)
		return
	}
	if of.mode != vfs.S_IFDIR {
		setErr(s, vfs.ENOTDIR)
		return
	}
	dirp, count := uint32(s[1]), uint32(s[2])
	idx := int(of.pos / direntSize)
	if idx == 0 || of.dir == nil {
		ents, errno := of.file.ReadDir()
		if errno != 0 {
			setErr(s, errno)
			return
		}
		st, _ := of.file.Stat()
		of.dir = append([]vfs.DirEntry{{Name: ".", Ino: st.Ino, Mode: vfs.S_IFDIR}, {Name: "..", Ino: 1, Mode: vfs.S_IFDIR}}, ents...)
	}
	var written uint32
	for ; idx < len(of.dir) && written+direntSize <= count; idx++ {
		e := of.dir[idx]
		at := dirp + written
		clear(p.Bytes(at, direntSize))
		p.PutU64(at, e.Ino)
		p.PutU64(at+8, uint64((idx+1)*direntSize))
		p.PutU16(at+16, direntSize)
		p.mem[at+18] = direntType(e.Mode)
		name := e.Name
		if len(name) > 255 {
			name = name[:255]
		}
		p.WriteCString(at+19, name)
		written += direntSize
	}
	if written == 0 && idx < len(of.dir) {
		setErr(s, vfs.EINVAL)
		return
	}
	of.pos = int64(idx) * direntSize
	setRet(s, int32(written))
}

func sysFchmod(p *Process, s []uint64) {
	of, errno := p.fds.get(int32(s[0]))
	if errno == 0 && of.file != nil {
		errno = of.file.Chmod(uint32(s[1]) & 0o7777)
	}
	setErr(s, errno)
}

// sysPoll reports every valid descriptor ready, as Emscripten's FS does; PostgreSQL's own
// polling goes through pgl_poll and never gets here.
func sysPoll(p *Process, s []uint64) {
	fds, nfds := uint32(s[0]), uint32(s[1])
	ready := int32(0)
	for i := uint32(0); i < nfds; i++ {
		at := fds + 8*i
		fd := int32(p.U32(at))
		events := p.U16(at + 4)
		var rev uint16
		if _, errno := p.fds.get(fd); errno != 0 {
			rev = 0x20 // POLLNVAL
		} else {
			rev = (0x1 | 0x4) & (events | 0x38)
		}
		p.PutU16(at+6, rev)
		if rev != 0 {
			ready++
		}
	}
	setRet(s, ready)
}
