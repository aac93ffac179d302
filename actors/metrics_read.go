package actors

// Restarts reports how often the database instance was restarted after a failure, so that
// tests and embedders can assert that no client caused one.
func (m *Metrics) Restarts() uint64 { return m.restarts.Load() }
