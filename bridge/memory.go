package bridge

import (
	"errors"
	"fmt"
)

// ErrMemoryLimit means Config.MaxMemory is too small for the instance to boot.
var ErrMemoryLimit = errors.New("bridge: memory limit too small to boot")

// initialMemory is the linear memory pglite.wasm starts with (2,048 pages). WebAssembly
// memory cannot shrink, so no limit can be below it.
const initialMemory = 128 << 20

// MinMemory is the least Config.MaxMemory with which cfg's instance boots: the memory the
// module starts with, or, with large shared_buffers, those buffers plus the rest of
// PostgreSQL's shared memory and the backend's own. Measured after boot: shared_buffers
// 112MB needs 141 MiB, 256MB 295 MiB, 1GB 1,093 MiB; the estimate stays above those.
// Extra Settings that enlarge shared memory are not counted; a boot that still runs out
// fails with ErrMemoryLimit.
func MinMemory(cfg Config) uint64 {
	sb, err := parseSize(cfg.sharedBuffers(), 8<<10) // a bare number counts 8 kB buffers
	if err != nil {
		return initialMemory
	}
	return max(initialMemory, sb+sb/16+32<<20)
}

// checkMemory rejects a limit below what the boot needs, before anything is started.
func (c *Config) checkMemory() error {
	if c.MaxMemory == 0 {
		return nil
	}
	if need := MinMemory(*c); c.MaxMemory < need {
		return fmt.Errorf("%w: MaxMemory %s is below the %s this instance needs to boot",
			ErrMemoryLimit, FormatSize(c.MaxMemory), FormatSize(need))
	}
	return nil
}

// explainBoot marks a failed boot as the memory limit's doing when the limit turned down a
// growth meanwhile: PostgreSQL only says that it exited.
func (inst *Instance) explainBoot(err error) error {
	if err == nil || inst.proc == nil || inst.proc.MemoryRefusals() == 0 {
		return err
	}
	return fmt.Errorf("%w: MaxMemory %s: %w", ErrMemoryLimit, FormatSize(inst.cfg.MaxMemory), err)
}

// MemorySize is the instance's linear memory now, in bytes. It only grows: the memory
// comes back when the instance is closed.
func (inst *Instance) MemorySize() uint64 {
	if inst.proc == nil {
		return 0
	}
	return uint64(len(inst.proc.Memory()))
}

// MemoryLimit is the most linear memory the instance may use, in bytes.
func (inst *Instance) MemoryLimit() uint64 {
	if inst.proc == nil {
		return inst.cfg.MaxMemory
	}
	return inst.proc.MemoryLimit()
}
