package bridge

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"
	"unsafe"
)

// TestLinearMemoryHugePages checks that the instance's linear memory, including what
// PostgreSQL grew it by, carries the huge-page advice, and that a clone's does where it is
// not the snapshot's mapping.
func TestLinearMemoryHugePages(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil {
		t.Skip("no transparent huge pages in this kernel")
	}
	inst := openTest(t, Config{})
	query(t, inst, "select repeat('x', 64 << 20)") // grows the heap past its start
	mem := inst.proc.Memory()
	wantHugeAdvice(t, mem, 0, true)
	wantHugeAdvice(t, mem, len(mem)-1, true)

	// A clone maps the snapshot's memfd over the start of its memory: that part keeps small
	// pages (advising it would let the kernel put the shared file in huge pages), and what
	// the clone grows by is advised again.
	tmpl := snapshotOf(t)
	clone := cloneTest(t, tmpl)
	snapSize := tmpl.MemorySize()
	query(t, clone, "select repeat('y', 128 << 20)")
	mem = clone.proc.Memory()
	if len(mem) <= snapSize {
		t.Fatalf("the clone's memory did not grow past the snapshot's %d bytes", snapSize)
	}
	wantHugeAdvice(t, mem, 0, false)
	wantHugeAdvice(t, mem, len(mem)-1, true)
}

// wantHugeAdvice checks whether the byte at off in mem lies in a mapping advised for huge
// pages (VmFlags "hg" in smaps).
func wantHugeAdvice(t *testing.T, mem []byte, off int, want bool) {
	t.Helper()
	flags, err := vmFlags(uintptr(unsafe.Pointer(&mem[off])))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Contains(" "+flags+" ", " hg "); got != want {
		t.Errorf("linear memory at offset %#x has VmFlags %q; huge-page advice %v, want %v", off, flags, got, want)
	}
}

// vmFlags returns the VmFlags line of the mapping of this process that contains addr.
func vmFlags(addr uintptr) (string, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return "", err
	}
	defer f.Close()
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		var lo, hi uintptr
		if n, _ := fmt.Sscanf(line, "%x-%x ", &lo, &hi); n == 2 {
			in = lo <= addr && addr < hi
			continue
		}
		if in && strings.HasPrefix(line, "VmFlags:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmFlags:")), nil
		}
	}
	return "", fmt.Errorf("no mapping holds %#x", addr)
}
