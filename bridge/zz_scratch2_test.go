package bridge

import (
	"os"
	"runtime/pprof"
	"testing"
	"time"
)

func TestScratchProf(t *testing.T) {
	inst := openTest(t, Config{})
	query(t, inst, "select 1")
	f, _ := os.Create("/tmp/cpu2.prof")
	pprof.StartCPUProfile(f)
	t0 := time.Now()
	query(t, inst, "create extension vector")
	d := time.Since(t0)
	pprof.StopCPUProfile()
	t.Logf("create extension vector: %v", d)
}
