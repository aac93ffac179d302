package actors

// Recycles reports how often an idle instance was restarted to give its memory back (see
// Config.MemoryHighWater); unlike Restarts, no failure and no client caused these.
func (m *Metrics) Recycles() uint64 { return m.recycles.Load() }

// InstanceMemory reports the instance's linear memory, its high-water mark and its limit, in
// bytes, as of the last time the Bridge was idle or ran a batch.
func (m *Metrics) InstanceMemory() (size, highWater, limit uint64) {
	return m.memoryBytes.Load(), m.memoryHighWater.Load(), m.memoryLimit.Load()
}
