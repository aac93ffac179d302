package vfs

// File type bits of st_mode, with musl/Linux values because the guest's libc
// tests them with S_ISDIR and friends. Untyped, like the flag constants, so
// the syscall layer can use them with its own integer types.
const (
	S_IFMT   = 0o170000
	S_IFIFO  = 0o010000
	S_IFCHR  = 0o020000
	S_IFDIR  = 0o040000
	S_IFREG  = 0o100000
	S_IFLNK  = 0o120000
	S_IFBLK  = 0o060000
	S_IFSOCK = 0o140000
)

// Open flags with musl's generic values, as the guest passes them to openat.
// Flags not listed here (O_LARGEFILE, O_CLOEXEC, ...) are accepted and ignored.
const (
	O_ACCMODE   = 3
	O_RDONLY    = 0
	O_WRONLY    = 1
	O_RDWR      = 2
	O_CREAT     = 0x40
	O_EXCL      = 0x80
	O_TRUNC     = 0x200
	O_APPEND    = 0x400
	O_NONBLOCK  = 0x800
	O_DIRECTORY = 0x10000
	O_NOFOLLOW  = 0x20000
)

// Access mode bits of faccessat.
const (
	R_OK = 4
	W_OK = 2
	X_OK = 1
)

// Stat is the file metadata the syscall layer encodes into the guest's
// struct stat. Times are Unix nanoseconds.
type Stat struct {
	Dev   uint64
	Ino   uint64
	Mode  uint32 // type | permission bits
	Nlink uint32
	Rdev  uint32
	Size  int64
	Atime int64
	Mtime int64
	Ctime int64
}

// IsDir reports whether the stat describes a directory.
func (s Stat) IsDir() bool { return s.Mode&S_IFMT == S_IFDIR }

// DirEntry is one directory entry; Mode holds only the file type bits.
type DirEntry struct {
	Name string
	Ino  uint64
	Mode uint32
}

// File is an open file description's backing object. Offsets, append mode
// and access-mode bookkeeping beyond read/write permission belong to the
// caller's fd table, which is why every I/O call is positional.
type File interface {
	Stat() (Stat, Errno)
	// ReadAt returns a short count at end of file; devices ignore off.
	ReadAt(p []byte, off int64) (int, Errno)
	// WriteAt extends the file as needed; a gap reads as zeros.
	WriteAt(p []byte, off int64) (int, Errno)
	Truncate(size int64) Errno
	// Sync is a real fsync for host files and a no-op in memory.
	Sync() Errno
	// ReadDir lists a directory sorted by name, without "." and "..".
	ReadDir() ([]DirEntry, Errno)
	Chmod(mode uint32) Errno
	Close() Errno
}

// Device numbers reported in Stat.Dev: the in-memory tree and host mounts
// are different "devices" so that (Dev, Ino) pairs stay unique.
const (
	memDev  = 1
	hostDev = 2
)

// hostInoBit marks host inode numbers so they never collide with the small
// counters handed out to in-memory nodes.
const hostInoBit = 1 << 63
