package actors

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/pglite-go/pglite/bridge"
)

// Metrics are the tree's counters, updated by the actors and read from any goroutine.
type Metrics struct {
	connections     atomic.Int64 // live client connections
	connectionsSeen atomic.Uint64
	queries         atomic.Uint64 // client batches executed
	leaseWaitNs     atomic.Uint64 // total time batches waited for the backend
	leaseWaits      atomic.Uint64
	restarts        atomic.Uint64
	memoryBytes     atomic.Uint64 // the instance's linear memory
	memoryHighWater atomic.Uint64 // above it an idle instance is recycled
	memoryLimit     atomic.Uint64 // the most linear memory the instance may have
	recycles        atomic.Uint64 // idle instances restarted to give memory back
}

// WritePrometheus writes the metrics in the Prometheus text exposition format.
func (m *Metrics) WritePrometheus(w io.Writer) {
	metric := func(name, kind, help string, v any) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %v\n", name, help, name, kind, name, v)
	}
	metric("pglite_connections", "gauge", "Client connections open now.", m.connections.Load())
	metric("pglite_connections_total", "counter", "Client connections accepted.", m.connectionsSeen.Load())
	metric("pglite_queries_total", "counter", "Client message batches executed by the backend.", m.queries.Load())
	metric("pglite_lease_wait_seconds_sum", "counter", "Time client batches waited for the backend.", float64(m.leaseWaitNs.Load())/1e9)
	metric("pglite_lease_wait_seconds_count", "counter", "Client batches that waited for the backend.", m.leaseWaits.Load())
	metric("pglite_bridge_restarts_total", "counter", "Restarts of the database instance after a failure.", m.restarts.Load())
	metric("pglite_instance_memory_bytes", "gauge", "Linear memory of the database instance.", m.memoryBytes.Load())
	metric("pglite_instance_memory_high_water_bytes", "gauge", "Linear memory above which an idle instance is recycled (0: never).", m.memoryHighWater.Load())
	metric("pglite_instance_memory_limit_bytes", "gauge", "Most linear memory the instance may have.", m.memoryLimit.Load())
	metric("pglite_instance_recycles_total", "counter", "Idle instances shut down and booted again to give their memory back.", m.recycles.Load())
	if engines := bridge.EnginesInUse(); len(engines) > 0 {
		fmt.Fprint(w, "# HELP pglite_engine_info The WebAssembly engine running PostgreSQL in this process.\n# TYPE pglite_engine_info gauge\n")
		for _, e := range engines {
			fmt.Fprintf(w, "pglite_engine_info{engine=%q,version=%q} 1\n", e.Name, e.Version)
		}
	}
}

func (m *Metrics) leaseWaited(d time.Duration) {
	m.leaseWaitNs.Add(uint64(max(d, 0)))
	m.leaseWaits.Add(1)
}
