package vfs

import (
	"errors"
	"io/fs"
	"strconv"
	"syscall"
)

// Errno is an Emscripten/WASI errno. The guest's libc decodes these numbers,
// so they must never be Linux values; 0 means success.
type Errno uint16

// Errno values used by the guest (Emscripten's ERRNO_CODES table).
const (
	ESUCCESS     Errno = 0
	EACCES       Errno = 2
	EAGAIN       Errno = 6
	EBADF        Errno = 8
	EBUSY        Errno = 10
	EEXIST       Errno = 20
	EFAULT       Errno = 21
	EFBIG        Errno = 22
	EINTR        Errno = 27
	EINVAL       Errno = 28
	EIO          Errno = 29
	EISDIR       Errno = 31
	ELOOP        Errno = 32
	EMFILE       Errno = 33
	EMLINK       Errno = 34
	ENAMETOOLONG Errno = 37
	ENFILE       Errno = 41
	ENODEV       Errno = 43
	ENOENT       Errno = 44
	ENOMEM       Errno = 48
	ENOSPC       Errno = 51
	ENOSYS       Errno = 52
	ENOTDIR      Errno = 54
	ENOTEMPTY    Errno = 55
	ENOTSOCK     Errno = 57
	ENOTTY       Errno = 59
	ENXIO        Errno = 60
	EOVERFLOW    Errno = 61
	EPERM        Errno = 63
	EPIPE        Errno = 64
	ERANGE       Errno = 68
	EROFS        Errno = 69
	ESPIPE       Errno = 70
	ESRCH        Errno = 71
	EXDEV        Errno = 75
	ENOTSUP      Errno = 138
)

var errnoNames = map[Errno]string{
	ESUCCESS: "success", EACCES: "EACCES", EAGAIN: "EAGAIN", EBADF: "EBADF",
	EBUSY: "EBUSY", EEXIST: "EEXIST", EFAULT: "EFAULT", EFBIG: "EFBIG",
	EINTR: "EINTR", EINVAL: "EINVAL", EIO: "EIO", EISDIR: "EISDIR",
	ELOOP: "ELOOP", EMFILE: "EMFILE", EMLINK: "EMLINK",
	ENAMETOOLONG: "ENAMETOOLONG", ENFILE: "ENFILE", ENODEV: "ENODEV",
	ENOENT: "ENOENT", ENOMEM: "ENOMEM", ENOSPC: "ENOSPC", ENOSYS: "ENOSYS",
	ENOTDIR: "ENOTDIR", ENOTEMPTY: "ENOTEMPTY", ENOTSOCK: "ENOTSOCK",
	ENOTTY: "ENOTTY", ENXIO: "ENXIO", EOVERFLOW: "EOVERFLOW", EPERM: "EPERM",
	EPIPE: "EPIPE", ERANGE: "ERANGE", EROFS: "EROFS", ESPIPE: "ESPIPE",
	ESRCH: "ESRCH", EXDEV: "EXDEV", ENOTSUP: "ENOTSUP",
}

// Error names the errno symbolically, so that logs are readable without the
// (non-Linux) number table at hand.
func (e Errno) Error() string {
	if s, ok := errnoNames[e]; ok {
		return s
	}
	return "errno " + strconv.Itoa(int(e))
}

// ErrnoOf translates a Go or host error into the guest's numbering, because
// host syscalls fail with Linux/Darwin numbers the guest cannot decode.
// nil maps to ESUCCESS and anything unrecognised to EIO.
func ErrnoOf(err error) Errno {
	if err == nil {
		return ESUCCESS
	}
	var e Errno
	if errors.As(err, &e) {
		return e
	}
	var se syscall.Errno
	if errors.As(err, &se) {
		return fromSyscall(se)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return ENOENT
	case errors.Is(err, fs.ErrExist):
		return EEXIST
	case errors.Is(err, fs.ErrPermission):
		return EACCES
	case errors.Is(err, fs.ErrClosed):
		return EBADF
	case errors.Is(err, fs.ErrInvalid):
		return EINVAL
	}
	return EIO
}

func fromSyscall(se syscall.Errno) Errno {
	// ENOTSUP and EOPNOTSUPP share a value on Linux, so they cannot both be
	// switch cases.
	if se == syscall.ENOTSUP || se == syscall.EOPNOTSUPP {
		return ENOTSUP
	}
	switch se {
	case 0:
		return ESUCCESS
	case syscall.EPERM:
		return EPERM
	case syscall.ENOENT:
		return ENOENT
	case syscall.ESRCH:
		return ESRCH
	case syscall.EINTR:
		return EINTR
	case syscall.EIO:
		return EIO
	case syscall.ENXIO:
		return ENXIO
	case syscall.EBADF:
		return EBADF
	case syscall.EAGAIN:
		return EAGAIN
	case syscall.ENOMEM:
		return ENOMEM
	case syscall.EACCES:
		return EACCES
	case syscall.EFAULT:
		return EFAULT
	case syscall.EBUSY:
		return EBUSY
	case syscall.EEXIST:
		return EEXIST
	case syscall.EXDEV:
		return EXDEV
	case syscall.ENODEV:
		return ENODEV
	case syscall.ENOTDIR:
		return ENOTDIR
	case syscall.EISDIR:
		return EISDIR
	case syscall.EINVAL:
		return EINVAL
	case syscall.ENFILE:
		return ENFILE
	case syscall.EMFILE:
		return EMFILE
	case syscall.ENOTTY:
		return ENOTTY
	case syscall.EFBIG:
		return EFBIG
	case syscall.ENOSPC:
		return ENOSPC
	case syscall.ESPIPE:
		return ESPIPE
	case syscall.EROFS:
		return EROFS
	case syscall.EMLINK:
		return EMLINK
	case syscall.EPIPE:
		return EPIPE
	case syscall.ERANGE:
		return ERANGE
	case syscall.ENOSYS:
		return ENOSYS
	case syscall.ENOTEMPTY:
		return ENOTEMPTY
	case syscall.ENAMETOOLONG:
		return ENAMETOOLONG
	case syscall.ELOOP:
		return ELOOP
	case syscall.EOVERFLOW:
		return EOVERFLOW
	case syscall.ENOTSOCK:
		return ENOTSOCK
	case syscall.EDQUOT:
		return ENOSPC
	}
	return EIO
}
