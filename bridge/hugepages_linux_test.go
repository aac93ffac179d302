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
// PostgreSQL grew it by, carries the huge-page advice (VmFlags "hg" in smaps).
func TestLinearMemoryHugePages(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil {
		t.Skip("no transparent huge pages in this kernel")
	}
	inst := openTest(t, Config{})
	query(t, inst, "select repeat('x', 64 << 20)") // grows the heap past its start
	mem := inst.proc.Memory()
	base := uintptr(unsafe.Pointer(&mem[0]))
	for _, addr := range []uintptr{base, base + uintptr(len(mem)) - 1} {
		flags, err := vmFlags(addr)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(" "+flags+" ", " hg ") {
			t.Errorf("linear memory at offset %#x has VmFlags %q, want hg", addr-base, flags)
		}
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
