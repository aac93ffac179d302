package regress

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Counters the runner follows from the daemon's --metrics-addr.
const (
	restartsMetric = "pglite_bridge_restarts_total"   // the instance failed and was restarted
	recyclesMetric = "pglite_instance_recycles_total" // an idle instance was rebooted to free memory
)

var metricsClient = &http.Client{Timeout: 5 * time.Second}

// readMetrics fetches the daemon's Prometheus text and returns its samples by name. A server
// without metrics (addr "", PGlite on Node) has no samples.
func readMetrics(addr string) (map[string]float64, error) {
	if addr == "" {
		return map[string]float64{}, nil
	}
	resp, err := metricsClient.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("metrics: %s", resp.Status)
	}
	m := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if v, err := strconv.ParseFloat(value, 64); err == nil {
			m[name] = v
		}
	}
	return m, sc.Err()
}
