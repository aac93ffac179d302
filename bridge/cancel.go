package bridge

import "sync/atomic"

// ClearCancel drops a cancel request that arrived after the query it targeted had ended, so
// that it cannot hit the next query, which may belong to someone else.
func (inst *Instance) ClearCancel() {
	if inst.queryCancel != nil {
		atomic.StoreInt32(inst.queryCancel, 0)
	}
}

// InjectFault makes the running (or next) query trap inside the instance, which then
// reports itself broken. It exists for supervision tests. Safe from any goroutine.
func (inst *Instance) InjectFault() {
	if p := inst.proc; p != nil {
		p.InjectFault()
	}
}
