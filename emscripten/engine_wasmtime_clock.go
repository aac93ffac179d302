//go:build cgo && (linux || darwin) && (amd64 || arm64)

package emscripten

/*
#include <stdlib.h>
#include <time.h>
#include "wasmtime_capi.h"

extern wasm_trap_t *pgliteWasmtimeHost(uintptr_t h, wasmtime_val_raw_t *raw, size_t n);

// pg_clock_t lets the wall clock import answer in C while Go has nothing to do at a clock
// read: no timer due, no interrupt pending, no fault injected. A call from wasm into Go is a
// cgo callback, and PostgreSQL reads the clock several times per query.
typedef struct {
	uintptr_t handle;         // the Go host function, which answers otherwise
	int64_t due_ns;           // pg_mono_ns() from which Go answers: a timer is (nearly) due
	const int32_t *interrupt; // a guest word, non-zero while an interrupt is pending
	int32_t fault;
} pg_clock_t;

// pg_mono_ns reads the clock Go's monotonic time uses.
static int64_t pg_mono_ns(void) {
	struct timespec ts;
#ifdef __APPLE__
	clock_gettime(CLOCK_UPTIME_RAW, &ts);
#else
	clock_gettime(CLOCK_MONOTONIC, &ts);
#endif
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static wasm_trap_t *pg_date_now(void *env, wasmtime_caller_t *caller, wasmtime_val_raw_t *raw, size_t n) {
	pg_clock_t *c = env;
	const int32_t *intr = __atomic_load_n(&c->interrupt, __ATOMIC_ACQUIRE);
	if (__atomic_load_n(&c->fault, __ATOMIC_RELAXED) || (intr != NULL && __atomic_load_n(intr, __ATOMIC_RELAXED)) ||
	    pg_mono_ns() >= __atomic_load_n(&c->due_ns, __ATOMIC_RELAXED)) {
		return pgliteWasmtimeHost(c->handle, raw, n);
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	raw[0].f64 = (double)((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec) / 1e6; // as the Go function
	return NULL;
}

static pg_clock_t *pg_clock_new(wasmtime_context_t *cx, const wasm_functype_t *ty, uintptr_t h, wasmtime_func_t *out) {
	pg_clock_t *c = calloc(1, sizeof(pg_clock_t));
	if (c == NULL) return NULL;
	c->handle = h; // due_ns 0: Go answers until the process sets the gate
	wasmtime_func_new_unchecked(cx, ty, pg_date_now, c, NULL, out);
	return c;
}

static void pg_clock_due(pg_clock_t *c, int64_t ns) { __atomic_store_n(&c->due_ns, ns, __ATOMIC_RELAXED); }
static void pg_clock_fault(pg_clock_t *c) { __atomic_store_n(&c->fault, 1, __ATOMIC_RELAXED); }
static void pg_clock_interrupt(pg_clock_t *c, const int32_t *w) { __atomic_store_n(&c->interrupt, w, __ATOMIC_RELEASE); }
*/
import "C"

import (
	"math"
	"sync"
	"time"
	"unsafe"
)

// clockSet is a store's fast clocks: the C state of each.
type clockSet []*C.pg_clock_t

// fastClockName is the clock import answered in C (see pg_clock_t): PostgreSQL reads the
// wall clock about four times per query.
const fastClockName = "emscripten_date_now"

// cMonoAtStart is pg_mono_ns at monoStart, to turn the process's timer deadlines into the
// C clock's time.
var cMonoAtStart = sync.OnceValue(func() int64 {
	return int64(C.pg_mono_ns()) - time.Since(monoStart).Nanoseconds()
})

// newClockFunc makes the fast clock for the Go host function named by handle.
func (s *wtStore) newClockFunc(ty *C.wasm_functype_t, handle uintptr) C.wasmtime_func_t {
	var f C.wasmtime_func_t
	c := C.pg_clock_new(s.cx, ty, C.uintptr_t(handle), &f)
	if c == nil {
		panic("wasmtime: out of memory for the clock")
	}
	s.clocks = append(s.clocks, c)
	return f
}

// gateClock: Go answers the clock from deadline on (milliseconds on the monotonic clock of
// monoStart, +Inf for never). A millisecond early, since the two clocks were lined up only
// once; Go's answer checks the time itself.
func (s *wtStore) gateClock(deadline float64) {
	due := int64(math.MaxInt64)
	if !math.IsInf(deadline, 1) {
		due = cMonoAtStart() + int64((deadline-1)*1e6)
	}
	for _, c := range s.clocks {
		C.pg_clock_due(c, C.int64_t(due))
	}
}

// forceClock makes Go answer every clock read from now on (a fault is injected). Safe from
// any goroutine.
func (s *wtStore) forceClock() {
	for _, c := range s.clocks {
		C.pg_clock_fault(c)
	}
}

// watchInterrupt makes the C clock defer to Go while the guest word at addr is non-zero.
// Linear memory never moves, so the host address stays valid.
func (s *wtStore) watchInterrupt(addr uint32) {
	w := (*C.int32_t)(unsafe.Pointer(&s.p.mem[addr]))
	for _, c := range s.clocks {
		C.pg_clock_interrupt(c, w)
	}
}

func (s *wtStore) freeClocks() {
	for _, c := range s.clocks {
		C.free(unsafe.Pointer(c))
	}
	s.clocks = nil
}
