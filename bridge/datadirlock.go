package bridge

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// ErrDataDirInUse means another instance, in this process or another, has the data directory
// open. PGlite writes pid -42 into postmaster.pid, so PostgreSQL's own interlock cannot tell
// two servers apart; an OS lock held for the instance's whole life does.
var ErrDataDirInUse = errors.New("data directory is in use")

// DataDirInUseError names the directory and the process that holds it.
type DataDirInUseError struct {
	Dir string
	PID int // 0 when the holder did not record itself
}

func (e *DataDirInUseError) Error() string {
	if e.PID == 0 {
		return fmt.Sprintf("data directory %q is in use by another process", e.Dir)
	}
	return fmt.Sprintf("data directory %q is in use by process %d", e.Dir, e.PID)
}

func (e *DataDirInUseError) Is(target error) bool { return target == ErrDataDirInUse }

// dataDirLockName is the lock file inside the data directory. It is never removed: removing
// it would let a third taker lock a new file while the second still holds the old one.
const dataDirLockName = "pglite.lock"

// dataDirLock is an exclusive flock on the data directory's lock file. flock locks belong to
// the open file, so a second instance in the same process is refused just like one in
// another process.
type dataDirLock struct{ f *os.File }

func lockDataDir(dir string) (*dataDirLock, error) {
	f, err := os.OpenFile(filepath.Join(dir, dataDirLockName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("bridge: data dir lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			b, _ := os.ReadFile(f.Name())
			pid, _ := strconv.Atoi(string(bytes.TrimSpace(b)))
			return nil, &DataDirInUseError{Dir: dir, PID: pid}
		}
		return nil, fmt.Errorf("bridge: data dir lock: %w", err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &dataDirLock{f: f}, nil
}

func (l *dataDirLock) unlock() {
	if l == nil {
		return
	}
	_ = unix.Flock(int(l.f.Fd()), unix.LOCK_UN)
	l.f.Close()
}
