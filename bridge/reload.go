package bridge

import (
	"sync/atomic"
)

// ReloadConfig makes the backend re-read postgresql.conf and postgresql.auto.conf before its
// next command, as a SIGHUP does to a PostgreSQL backend: it raises ConfigReloadPending, which
// PostgresMain checks each time it is about to read a command. Like Cancel it is safe from any
// goroutine.
func (inst *Instance) ReloadConfig() {
	if inst.configReload != nil {
		atomic.StoreInt32(inst.configReload, 1)
	}
}
