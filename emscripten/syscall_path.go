package emscripten

import (
	"github.com/pglite-go/pglite/emscripten/vfs"
)

// pathFuncs are the path-based __syscall_* imports. They return -errno (WASI numbering).
var pathFuncs = map[string]hostFunc{
	"__syscall_openat":     hf("iiii", "i", sysOpenat),
	"__syscall_stat64":     hf("ii", "i", func(p *Process, s []uint64) { statPath(p, s, atFDCWD, s[0], s[1], true) }),
	"__syscall_lstat64":    hf("ii", "i", func(p *Process, s []uint64) { statPath(p, s, atFDCWD, s[0], s[1], false) }),
	"__syscall_newfstatat": hf("iiii", "i", sysNewfstatat),
	"__syscall_faccessat":  hf("iiii", "i", sysFaccessat),
	"__syscall_chdir":      hf("i", "i", sysChdir),
	"__syscall_getcwd":     hf("ii", "i", sysGetcwd),
	"__syscall_mkdirat":    hf("iii", "i", sysMkdirat),
	"__syscall_unlinkat":   hf("iii", "i", sysUnlinkat),
	"__syscall_rmdir":      hf("i", "i", func(p *Process, s []uint64) { pathOp(p, s, atFDCWD, s[0], p.fs.Rmdir) }),
	"__syscall_renameat":   hf("iiii", "i", sysRenameat),
	"__syscall_readlinkat": hf("iiii", "i", sysReadlinkat),
	"__syscall_symlinkat":  hf("iii", "i", sysSymlinkat),
	"__syscall_linkat":     hf("iiiii", "i", sysLinkat),
	"__syscall_chmod":      hf("ii", "i", func(p *Process, s []uint64) { chmodPath(p, s, atFDCWD, s[0], s[1]) }),
	"__syscall_fchmodat2":  hf("iiii", "i", func(p *Process, s []uint64) { chmodPath(p, s, int32(s[0]), s[1], s[2]) }),
	"__syscall_truncate64": hf("ij", "i", sysTruncate),
	"__syscall_utimensat":  hf("iiii", "i", sysUtimensat),
	"__syscall_fchownat":   hf("iiiii", "i", ret0),
	"__syscall_statfs64":   hf("iii", "i", func(p *Process, s []uint64) { writeStatfs(p, uint32(s[2])); s[0] = 0 }),
	"__syscall_fstatfs64":  hf("iii", "i", func(p *Process, s []uint64) { writeStatfs(p, uint32(s[2])); s[0] = 0 }),
	"__syscall_umask":      hf("i", "i", func(p *Process, s []uint64) { old := p.umask; p.umask = uint32(s[0]) & 0o777; s[0] = uint64(old) }),
	"__syscall_getuid32":   hf("", "i", ret0),
	"__syscall_geteuid32":  hf("", "i", ret0),
	"__syscall_getgid32":   hf("", "i", ret0),
	"__syscall_getegid32":  hf("", "i", ret0),
	"__syscall_fchown32":   hf("iii", "i", ret0),
}

func ret0(p *Process, s []uint64) { s[0] = 0 }

// setErr stores a syscall result: the value, or -errno.
func setErr(s []uint64, errno vfs.Errno) { s[0] = uint64(uint32(-int32(errno))) }

func setRet(s []uint64, v int32) { s[0] = uint64(uint32(v)) }

// pathArg reads and resolves a guest path argument.
func (p *Process) pathArg(dirfd int32, ptr uint64) (string, vfs.Errno) {
	return p.resolvePath(dirfd, p.CString(uint32(ptr)))
}

func pathOp(p *Process, s []uint64, dirfd int32, ptr uint64, op func(string) vfs.Errno) {
	name, errno := p.pathArg(dirfd, ptr)
	if errno == 0 {
		errno = op(name)
	}
	setErr(s, errno)
}

// sysOpenat is __syscall_openat(dirfd, path, flags, varargs): the mode is read from varargs
// only when it is non-zero, and masked by the umask when creating.
func sysOpenat(p *Process, s []uint64) {
	dirfd, flags, varargs := int32(s[0]), uint32(s[2]), uint32(s[3])
	name, errno := p.pathArg(dirfd, s[1])
	if errno != 0 {
		setErr(s, errno)
		return
	}
	var mode uint32 = 0o666
	if varargs != 0 {
		mode = p.U32(varargs)
	}
	if flags&vfs.O_CREAT != 0 {
		mode &^= p.umask
	}
	fd, errno := p.openFD(name, flags, mode)
	if errno != 0 {
		setErr(s, errno)
		return
	}
	setRet(s, fd)
}

// openFD opens a path and installs it at the lowest free descriptor.
func (p *Process) openFD(name string, flags, mode uint32) (int32, vfs.Errno) {
	f, errno := p.fs.Open(name, flags, mode)
	if errno != 0 {
		return -1, errno
	}
	st, errno := f.Stat()
	if errno != 0 {
		f.Close()
		return -1, errno
	}
	of := &openFile{path: name, file: f, flags: flags, mode: st.Mode & vfs.S_IFMT}
	fd, errno := p.fds.install(of, 0)
	if errno != 0 {
		f.Close()
	}
	return fd, errno
}

func statPath(p *Process, s []uint64, dirfd int32, pathPtr, buf uint64, follow bool) {
	name, errno := p.pathArg(dirfd, pathPtr)
	if errno != 0 {
		setErr(s, errno)
		return
	}
	st, errno := p.fs.Stat(name, follow)
	if errno == 0 {
		writeStat(p, uint32(buf), st)
	}
	setErr(s, errno)
}

const (
	atSymlinkNofollow = 0x100
	atRemovedir       = 0x200
	atEmptyPath       = 0x1000
)

func sysNewfstatat(p *Process, s []uint64) {
	dirfd, flags := int32(s[0]), uint32(s[3])
	if flags&atEmptyPath != 0 && p.CString(uint32(s[1])) == "" {
		fstatFD(p, s, dirfd, uint32(s[2]))
		return
	}
	statPath(p, s, dirfd, s[1], s[2], flags&atSymlinkNofollow == 0)
}

// writeStat encodes Emscripten's 96-byte struct stat.
func writeStat(p *Process, buf uint32, st vfs.Stat) {
	b := p.Bytes(buf, 96)
	clear(b)
	p.PutU32(buf+0, uint32(st.Dev))
	p.PutU32(buf+4, st.Mode)
	nlink := st.Nlink
	if nlink == 0 {
		nlink = 1
	}
	p.PutU32(buf+8, nlink)
	p.PutU32(buf+20, st.Rdev)
	p.PutU64(buf+24, uint64(st.Size))
	p.PutU32(buf+32, 4096)
	p.PutU32(buf+36, uint32((st.Size+511)/512))
	putTime := func(at uint32, ns int64) {
		p.PutU64(at, uint64(ns/1e9))
		p.PutU32(at+8, uint32(ns%1e9))
	}
	putTime(buf+40, st.Atime)
	putTime(buf+56, st.Mtime)
	putTime(buf+72, st.Ctime)
	p.PutU64(buf+88, st.Ino)
}

func writeStatfs(p *Process, buf uint32) {
	clear(p.Bytes(buf, 72))
	p.PutU32(buf+4, 4096)
	p.PutU64(buf+8, 1e6)
	p.PutU64(buf+16, 5e5)
	p.PutU64(buf+24, 5e5)
	p.PutU64(buf+32, 1e6)
	p.PutU64(buf+40, 1e6)
	p.PutU32(buf+48, 42)
	p.PutU32(buf+56, 255)
	p.PutU32(buf+60, 4096)
	p.PutU32(buf+64, 2)
}

// sysFaccessat checks existence and permission bits the Emscripten way.
func sysFaccessat(p *Process, s []uint64) {
	name, errno := p.pathArg(int32(s[0]), s[1])
	if errno == 0 {
		errno = p.fs.Access(name, uint32(s[2]))
	}
	setErr(s, errno)
}

func sysChdir(p *Process, s []uint64) {
	name, errno := p.pathArg(atFDCWD, s[0])
	if errno != 0 {
		setErr(s, errno)
		return
	}
	st, errno := p.fs.Stat(name, true)
	if errno == 0 && st.Mode&vfs.S_IFMT != vfs.S_IFDIR {
		errno = vfs.ENOTDIR
	}
	if errno == 0 {
		p.cwd = name
	}
	setErr(s, errno)
}

// sysGetcwd returns the length including the NUL, not a pointer.
func sysGetcwd(p *Process, s []uint64) {
	buf, size := uint32(s[0]), uint32(s[1])
	if size == 0 {
		setErr(s, vfs.EINVAL)
		return
	}
	if uint32(len(p.cwd))+1 > size {
		setErr(s, vfs.ERANGE)
		return
	}
	p.WriteCString(buf, p.cwd)
	setRet(s, int32(len(p.cwd)+1))
}

func sysMkdirat(p *Process, s []uint64) {
	name, errno := p.pathArg(int32(s[0]), s[1])
	if errno == 0 {
		errno = p.fs.Mkdir(name, uint32(s[2])&^p.umask&0o7777)
	}
	setErr(s, errno)
}

func sysUnlinkat(p *Process, s []uint64) {
	name, errno := p.pathArg(int32(s[0]), s[1])
	if errno == 0 {
		switch uint32(s[2]) {
		case 0:
			errno = p.fs.Unlink(name)
		case atRemovedir:
			errno = p.fs.Rmdir(name)
		default:
			errno = vfs.EINVAL
		}
	}
	setErr(s, errno)
}

func sysRenameat(p *Process, s []uint64) { twoPathOp(p, s, p.fs.Rename) }

// twoPathOp runs op on (olddirfd, oldpath, newdirfd, newpath) arguments.
func twoPathOp(p *Process, s []uint64, op func(from, to string) vfs.Errno) {
	from, errno := p.pathArg(int32(s[0]), s[1])
	if errno != 0 {
		setErr(s, errno)
		return
	}
	to, errno := p.pathArg(int32(s[2]), s[3])
	if errno == 0 {
		errno = op(from, to)
	}
	setErr(s, errno)
}

// sysReadlinkat copies the target without a NUL and returns its length.
func sysReadlinkat(p *Process, s []uint64) {
	buf, size := uint32(s[2]), int32(s[3])
	if size <= 0 {
		setErr(s, vfs.EINVAL)
		return
	}
	name, errno := p.pathArg(int32(s[0]), s[1])
	if errno != 0 {
		setErr(s, errno)
		return
	}
	target, errno := p.fs.Readlink(name)
	if errno != 0 {
		setErr(s, errno)
		return
	}
	n := copy(p.Bytes(buf, uint32(size)), target)
	setRet(s, int32(n))
}

func sysSymlinkat(p *Process, s []uint64) {
	target := p.CString(uint32(s[0]))
	name, errno := p.pathArg(int32(s[1]), s[2])
	if errno == 0 {
		errno = p.fs.Symlink(target, name)
	}
	setErr(s, errno)
}

func sysLinkat(p *Process, s []uint64) { twoPathOp(p, s, p.fs.Link) }

func chmodPath(p *Process, s []uint64, dirfd int32, ptr, mode uint64) {
	name, errno := p.pathArg(dirfd, ptr)
	if errno == 0 {
		errno = p.fs.Chmod(name, uint32(mode)&0o7777)
	}
	setErr(s, errno)
}

func sysTruncate(p *Process, s []uint64) {
	name, errno := p.pathArg(atFDCWD, s[0])
	if errno == 0 {
		if int64(s[1]) < 0 {
			errno = vfs.EINVAL
		} else {
			errno = p.fs.Truncate(name, int64(s[1]))
		}
	}
	setErr(s, errno)
}

// sysUtimensat reads two struct timespec {i64 sec, i32 nsec}; UTIME_NOW and UTIME_OMIT are
// honoured, and a null pointer means now.
func sysUtimensat(p *Process, s []uint64) {
	name, errno := p.pathArg(int32(s[0]), s[1])
	if errno != 0 {
		setErr(s, errno)
		return
	}
	now := nowNs()
	at, mt := now, now
	if times := uint32(s[2]); times != 0 {
		read := func(off uint32) int64 {
			sec, nsec := int64(p.U64(off)), int64(p.U32(off+8))
			switch nsec {
			case 0x3fffffff:
				return now
			case 0x3ffffffe:
				return -1
			}
			return sec*1e9 + nsec
		}
		at, mt = read(times), read(times+16)
	}
	setErr(s, p.fs.Utimes(name, at, mt))
}
