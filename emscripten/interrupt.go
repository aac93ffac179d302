package emscripten

import (
	"math"
	"sync/atomic"
	"unsafe"
)

// Signals cannot interrupt wasm code, and PGlite waits (pg_sleep, latches) by spinning on
// the clock. Two host-side mechanisms stand in for signal delivery:
//
//   - Expired setitimer timers are delivered when the guest next reads a clock, by calling
//     its _emscripten_timeout from inside that host call, like a signal arriving at a
//     system call. This is how statement_timeout fires during a running query.
//   - While the owner reports an interrupt pending (SetInterruptCheck), clocks read far in
//     the future, so every busy wait ends at once and the guest reaches its interrupt
//     check, like a wait interrupted with EINTR.

// SetInterruptWord names the guest int32 at addr that is non-zero while the guest has an
// interrupt pending (PostgreSQL's InterruptPending); other goroutines may set it.
func (p *Process) SetInterruptWord(addr uint32) {
	w := (*int32)(unsafe.Pointer(&p.mem[addr])) // linear memory never moves
	p.interruptPending = func() bool { return atomic.LoadInt32(w) != 0 }
	if g, ok := p.store.(clockGate); ok {
		g.watchInterrupt(addr)
	}
}

// clockGate is a store whose clock import answers without calling Go while Go has nothing to
// do at a clock read (wasmtime, see engine_wasmtime_clock.go).
type clockGate interface {
	gateClock(deadline float64) // Go answers from deadline on (monoMs time, +Inf: never)
	forceClock()                // Go answers from now on; safe from any goroutine
	watchInterrupt(addr uint32) // Go answers while the guest word at addr is non-zero
}

// SetAfterTimer sets ProcessConfig.AfterTimer.
func (p *Process) SetAfterTimer(fn func(*Process)) { p.cfg.AfterTimer = fn }

// clockWarp is added to clock readings while an interrupt is pending.
const clockWarpNs = int64(3600 * 1e9)

// InjectFault makes the guest trap at its next clock read, as a fault-injection aid for
// supervision tests. Safe from any goroutine.
func (p *Process) InjectFault() {
	p.fault.Store(true)
	if g, ok := p.store.(clockGate); ok {
		g.forceClock()
	}
}

// onClock runs at every guest clock read; it returns the offset to add.
func (p *Process) onClock() int64 {
	if p.fault.Load() {
		panic(&abortSignal{msg: "injected fault"})
	}
	if len(p.timers) > 0 && !p.inTimer {
		p.inTimer = true
		err := p.fireDueTimers()
		p.inTimer = false
		if err != nil {
			panic(err)
		}
	}
	if p.interruptPending != nil && p.interruptPending() {
		return clockWarpNs
	}
	if g, ok := p.store.(clockGate); ok {
		g.gateClock(p.firstDeadline()) // the fast clock answers until then
	}
	return 0
}

// fireDueTimers delivers expired timers from inside a host call.
func (p *Process) fireDueTimers() error {
	now := monoMs()
	if now < p.firstDeadline() {
		return nil // the clock is read several times per query: skip the map then
	}
	for which, due := range p.timers {
		if due > now {
			continue
		}
		delete(p.timers, which)
		p.publishDeadline()
		p.mustCall("_emscripten_timeout", uint64(uint32(which)), f64bits(now))
		if p.cfg.AfterTimer != nil {
			p.cfg.AfterTimer(p)
		}
	}
	return nil
}

// publishDeadline stores the earliest timer deadline (ms since monoStart, +Inf if none)
// for watchdogs on other goroutines.
func (p *Process) publishDeadline() {
	first := math.Inf(1)
	for _, due := range p.timers {
		first = math.Min(first, due)
	}
	p.deadline.Store(math.Float64bits(first))
	if g, ok := p.store.(clockGate); ok {
		g.gateClock(first)
	}
	if p.onDeadline != nil {
		p.onDeadline()
	}
}

func (p *Process) firstDeadline() float64 { return math.Float64frombits(p.deadline.Load()) }

// TimerDeadline reports the earliest pending timer as milliseconds on the process's
// monotonic clock (+Inf if none) and that clock's current reading. Safe from any goroutine.
func (p *Process) TimerDeadline() (deadline, now float64) {
	return math.Float64frombits(p.deadline.Load()), monoMs()
}

// OnTimerChange registers a goroutine-safe callback run whenever the timer deadline changes.
func (p *Process) OnTimerChange(fn func()) { p.onDeadline = fn }
