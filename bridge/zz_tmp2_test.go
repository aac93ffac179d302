package bridge

import (
	"context"
	"runtime"
	"testing"

	"github.com/rs/zerolog"
)

func heapMB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapInuse) / (1 << 20)
}

func TestZZHeap(t *testing.T) {
	h0 := heapMB()
	a, _ := LoadAssets("")
	h1 := heapMB()
	eng, err := getEngine(context.Background(), a, "", "", zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	h2 := heapMB()
	fs, _, err := templateFS(context.Background(), eng, "", zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	h3 := heapMB()
	inst, err := Open(context.Background(), Config{Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	h4 := heapMB()
	t.Logf("assets %.1f engine %.1f templateFS %.1f open %.1f  vmrss %.1f", h1-h0, h2-h1, h3-h2, h4-h3, vmRSSMB())
	_ = fs
	_ = inst
}
