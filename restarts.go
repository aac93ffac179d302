package pglite

import (
	"bufio"
	"strconv"
	"strings"
)

// restartsMetric is the counter the actor tree keeps for instance restarts.
const restartsMetric = "pglite_bridge_restarts_total"

// Restarts reports how often the database instance has been restarted after a failure
// since Start. Every session ends at a restart, so tests use it to prove that no client
// brought the shared instance down. It reads the tree's own counter (through its
// Prometheus text, the counter's only public view), so it costs a few microseconds.
func (s *Server) Restarts() int {
	var b strings.Builder
	s.h.Metrics().WritePrometheus(&b)
	sc := bufio.NewScanner(strings.NewReader(b.String()))
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if ok && name == restartsMetric {
			n, _ := strconv.Atoi(value)
			return n
		}
	}
	return 0
}
