package assetinstall

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// lockPoll is how often a waiting installer tries the lock again.
const lockPoll = 100 * time.Millisecond

// lock takes an exclusive flock on path, waiting while another installer, in this process
// or another, holds it. Polling instead of a blocking flock lets ctx end the wait. flock
// locks belong to the open file, so two goroutines of one process exclude each other too,
// and the kernel drops the lock of a process that dies mid-install.
func lock(ctx context.Context, path string, progress func(string)) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	told := false
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { _ = unix.Flock(int(f.Fd()), unix.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !told {
			progress("waiting for another process that is installing the PGlite assets")
			told = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(lockPoll):
		}
	}
}
