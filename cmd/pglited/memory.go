package main

import (
	"fmt"

	"github.com/pglite-go/pglite/actors"
	"github.com/pglite-go/pglite/bridge"
)

// sizeFlag is a memory size in PostgreSQL's notation (512MB, 2GB); "off" is accepted where
// off means something.
type sizeFlag struct {
	n        uint64
	set      bool
	off      bool
	canBeOff bool
}

func (f *sizeFlag) String() string {
	switch {
	case f.off:
		return "off"
	case f.set:
		return bridge.FormatSize(f.n)
	}
	return ""
}

func (f *sizeFlag) Set(s string) error {
	if f.canBeOff && s == "off" {
		f.off, f.set = true, true
		return nil
	}
	n, err := bridge.ParseSize(s)
	if err != nil {
		return err
	}
	f.n, f.set, f.off = n, true, false
	return nil
}

// applyMemoryFlags sets --max-memory and --memory-high-water in cfg. A limit the instance
// cannot boot with is a startup error, reported before anything listens.
func applyMemoryFlags(cfg *actors.Config, maxMemory, highWater *sizeFlag) error {
	cfg.Bridge.MaxMemory = maxMemory.n
	if need := bridge.MinMemory(cfg.Bridge); maxMemory.n != 0 && maxMemory.n < need {
		return fmt.Errorf("--max-memory=%s is below the %s the database needs to boot (with --shared-buffers=%s)",
			bridge.FormatSize(maxMemory.n), bridge.FormatSize(need), cfg.Bridge.SharedBuffers)
	}
	if highWater.off {
		cfg.RecycleDelay = -1
	} else {
		cfg.MemoryHighWater = highWater.n
	}
	return nil
}
