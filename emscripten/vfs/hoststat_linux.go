package vfs

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// sysStat fills the fields os.FileInfo does not carry portably.
func sysStat(fi os.FileInfo, s *Stat) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return
	}
	s.Ino = st.Ino
	s.Nlink = uint32(st.Nlink)
	s.Rdev = uint32(st.Rdev)
	s.Mode = st.Mode
	s.Atime = st.Atim.Nano()
	s.Ctime = st.Ctim.Nano()
}

// hostUtimes sets times without following a final symlink; -1 leaves a time
// unchanged (UTIME_OMIT).
func hostUtimes(path string, atimeNs, mtimeNs int64) error {
	ts := []unix.Timespec{unix.NsecToTimespec(atimeNs), unix.NsecToTimespec(mtimeNs)}
	if atimeNs == -1 {
		ts[0] = unix.Timespec{Nsec: unix.UTIME_OMIT}
	}
	if mtimeNs == -1 {
		ts[1] = unix.Timespec{Nsec: unix.UTIME_OMIT}
	}
	return unix.UtimesNanoAt(unix.AT_FDCWD, path, ts, unix.AT_SYMLINK_NOFOLLOW)
}
