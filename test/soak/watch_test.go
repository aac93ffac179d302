package soak

import (
	"context"
	"sync"
	"time"
)

// watch samples the daemon while the soak runs: its RSS, for the peak, and its restart
// counter, which starts from zero in every lifetime and so is summed lifetime by lifetime.
type watch struct {
	d  *daemon
	st *stats

	mu       sync.Mutex
	lifetime int     // the lifetime seen is for
	seen     float64 // the highest restart count scraped in it
	recycled float64 // the same for idle recycles, which are not failures
	recycles float64 // recycles summed over ended lifetimes
}

func (w *watch) monitor(ctx context.Context) {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for i := 0; i < 1_000_000; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		w.sample(ctx)
	}
}

// sample reads RSS and metrics once, crediting them to the lifetime they came from.
func (w *watch) sample(ctx context.Context) {
	w.d.mu.Lock()
	life, cmd := w.d.lifetime, w.d.cmd
	w.d.mu.Unlock()
	if cmd == nil {
		return
	}
	if now, peak, err := rss(cmd.Process.Pid); err == nil {
		w.st.notePeak(max(now, peak))
	}
	m, err := w.d.metrics(ctx)
	if err != nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.lifetime != life {
		if w.lifetime > life {
			return // a scrape of an earlier lifetime finished late
		}
		w.lifetime, w.seen, w.recycled = life, 0, 0
	}
	w.seen = max(w.seen, m["pglite_bridge_restarts_total"])
	w.recycled = max(w.recycled, m["pglite_instance_recycles_total"])
}

// endLifetime takes a last sample and adds the lifetime's restarts to the total: the
// larger of what the counter said and what the log showed.
func (w *watch) endLifetime(ctx context.Context) {
	w.sample(ctx)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.d.mu.Lock()
	life := w.d.lifetime
	w.d.mu.Unlock()
	n := 0.0
	if w.lifetime == life {
		n = w.seen
		w.recycles += w.recycled
	}
	w.st.restarts.Add(int64(max(n, float64(w.d.brokenLines()))))
	w.lifetime, w.seen, w.recycled = life+1, 0, 0
}
