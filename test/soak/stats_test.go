package soak

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// stats are the soak's counters: what was done to the server, and what came of it.
type stats struct {
	disconnects, cancels, timeouts, kills atomic.Int64
	badInputs, memoryQueries, memoryErrs  atomic.Int64
	reconnects, audits                    atomic.Int64
	unasked                               atomic.Int64 // 57014 nobody asked for (see bank.noteUnasked)
	restarts                              atomic.Int64 // instance restarts, summed over lifetimes
	peakRSS                               atomic.Uint64

	mu       sync.Mutex
	errCodes map[string]int // how client statements failed, by SQLSTATE or kind
}

func (s *stats) notePeak(v uint64) {
	for {
		old := s.peakRSS.Load()
		if v <= old || s.peakRSS.CompareAndSwap(old, v) {
			return
		}
	}
}

func (s *stats) noteErr(kind string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.errCodes == nil {
		s.errCodes = map[string]int{}
	}
	s.errCodes[kind]++
}

func (s *stats) errSummary() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var kinds []string
	for k := range s.errCodes {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool { return s.errCodes[kinds[i]] > s.errCodes[kinds[j]] })
	var b strings.Builder
	for _, k := range kinds {
		fmt.Fprintf(&b, "\n    %6d  %s", s.errCodes[k], k)
	}
	return b.String()
}

// figures are the numbers the soak prints at the end.
type figures struct {
	duration                             string
	committed, aborted, unknown          int
	lost, resurrected                    int
	balance, wantBalance                 int64
	idleRSS, baseRSS, highWater, rssMark uint64
	idleLinear, baseLinear, recycles     uint64
	markFrom                             string
}

func (s *stats) print(w io.Writer, f figures) {
	mb := func(v uint64) string { return fmt.Sprintf("%.1f MiB", float64(v)/(1<<20)) }
	fmt.Fprintf(w, "soak results after %s\n", f.duration)
	fmt.Fprintf(w, "  transactions committed (acknowledged)  %d\n", f.committed)
	fmt.Fprintf(w, "  transactions aborted (known)           %d\n", f.aborted)
	fmt.Fprintf(w, "  commits with a lost answer             %d\n", f.unknown)
	fmt.Fprintf(w, "  faults injected                        %d disconnects mid-transaction, %d cancels, %d statement timeouts, %d SIGKILLs\n",
		s.disconnects.Load(), s.cancels.Load(), s.timeouts.Load(), s.kills.Load())
	fmt.Fprintf(w, "  statements interrupted unasked         %d (57014 in a plain transfer, or a statement timeout where only a cancel was sent)\n", s.unasked.Load())
	fmt.Fprintf(w, "  bad inputs sent                        %d\n", s.badInputs.Load())
	fmt.Fprintf(w, "  memory-hungry queries                  %d (%d failed)\n", s.memoryQueries.Load(), s.memoryErrs.Load())
	fmt.Fprintf(w, "  audits (after each restart and at end) %d\n", s.audits.Load())
	fmt.Fprintf(w, "  instance restarts                      %d (idle recycles, not failures: %d)\n", s.restarts.Load(), f.recycles)
	fmt.Fprintf(w, "  rows lost                              %d\n", f.lost)
	fmt.Fprintf(w, "  aborted rows present                   %d\n", f.resurrected)
	fmt.Fprintf(w, "  balance total                          %d (want %d)\n", f.balance, f.wantBalance)
	fmt.Fprintf(w, "  peak RSS                               %s\n", mb(s.peakRSS.Load()))
	fmt.Fprintf(w, "  idle RSS at the end                    %s (fresh daemon %s)\n", mb(f.idleRSS), mb(f.baseRSS))
	fmt.Fprintf(w, "    of which instance linear memory      %s idle, %s fresh (high-water mark %s)\n",
		mb(f.idleLinear), mb(f.baseLinear), mb(f.highWater))
	fmt.Fprintf(w, "    outside linear memory                %s idle, %s fresh\n",
		mb(f.idleRSS-min(f.idleRSS, f.idleLinear)), mb(f.baseRSS-min(f.baseRSS, f.baseLinear)))
	fmt.Fprintf(w, "  idle RSS mark                          %s (%s)\n", mb(f.rssMark), f.markFrom)
	fmt.Fprintf(w, "  client errors by kind:%s\n", s.errSummary())
}
