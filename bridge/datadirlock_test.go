package bridge

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDataDirLock: while an instance has a data directory open, every other Open of it is
// refused, naming this process, and the lock goes with the instance.
func TestDataDirLock(t *testing.T) {
	dir := t.TempDir()
	first := openTest(t, Config{DataDir: dir})
	for i := range 100 {
		inst, err := Open(context.Background(), Config{DataDir: dir})
		var inUse *DataDirInUseError
		if !errors.Is(err, ErrDataDirInUse) || !errors.As(err, &inUse) || inUse.PID != os.Getpid() {
			if inst != nil {
				inst.Close()
			}
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if rows := query(t, first, "select 1"); rows[0][0] != "1" {
		t.Fatalf("the first instance after the refusals: %v", rows)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	second := openTest(t, Config{DataDir: dir})
	if rows := query(t, second, "select 2"); rows[0][0] != "2" {
		t.Fatalf("after the first closed: %v", rows)
	}
}

// TestDataDirLock_otherProcess: a lock held by another process (flock(1) from util-linux)
// refuses the directory too, 100 times of 100, and the error names that process.
func TestDataDirLock_otherProcess(t *testing.T) {
	if _, err := exec.LookPath("flock"); err != nil {
		t.Skip("no flock(1)")
	}
	dir := t.TempDir()
	lock := filepath.Join(dir, dataDirLockName)
	holder := exec.Command("flock", "-x", lock, "sh", "-c", "echo $$ > "+lock+"; echo locked; sleep 30")
	out, err := holder.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { holder.Process.Kill(); holder.Wait() }()
	buf := make([]byte, 7)
	if _, err := out.Read(buf); err != nil || string(buf) != "locked\n" {
		t.Fatalf("holder: %q %v", buf, err)
	}
	for i := range 100 {
		_, err = Open(context.Background(), Config{DataDir: dir})
		if !errors.Is(err, ErrDataDirInUse) || !strings.Contains(err.Error(), "in use by process") {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
}
