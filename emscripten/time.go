package emscripten

import (
	"time"

	"github.com/pglite-go/pglite/emscripten/vfs"
)

// timeFuncs are the clock, timezone and timer imports. The guest always runs in UTC.
var timeFuncs = map[string]hostFunc{
	"emscripten_date_now": hf("", "d", func(p *Process, s []uint64) { s[0] = f64bits(float64(nowNs()+p.onClock()) / 1e6) }),
	"emscripten_get_now":  hf("", "d", func(p *Process, s []uint64) { s[0] = f64bits(monoMs() + float64(p.onClock())/1e6) }),
	"clock_time_get":      hf("iji", "i", clockTimeGet),
	"_tzset_js":           hf("iiii", "", tzset),
	"_localtime_js":       hf("ji", "i", func(p *Process, s []uint64) { s[0] = brokenDownTime(p, uint32(s[1]), int64(s[0]), true) }),
	"_gmtime_js":          hf("ji", "i", func(p *Process, s []uint64) { s[0] = brokenDownTime(p, uint32(s[1]), int64(s[0]), false) }),
	"_mktime_js":          hf("i", "j", mktime),
	"_timegm_js":          hf("i", "j", mktime),
	"_setitimer_js":       hf("id", "i", setitimer),
}

var monoStart = time.Now()

func nowNs() int64    { return time.Now().UnixNano() }
func monoMs() float64 { return float64(time.Since(monoStart).Nanoseconds()) / 1e6 }

// clockTimeGet: id 0 is the wall clock, 1..3 monotonic; nanoseconds.
func clockTimeGet(p *Process, s []uint64) {
	id, out := uint32(s[0]), uint32(s[2])
	switch {
	case id == 0:
		p.PutU64(out, uint64(nowNs()+p.onClock()))
	case id <= 3:
		p.PutU64(out, uint64(time.Since(monoStart).Nanoseconds()+p.onClock()))
	default:
		s[0] = uint64(vfs.EINVAL)
		return
	}
	s[0] = 0
}

// tzset reports UTC, consistent with TZ=PGTZ=UTC in the guest environment.
func tzset(p *Process, s []uint64) {
	p.PutU32(uint32(s[0]), 0)
	p.PutU32(uint32(s[1]), 0)
	p.WriteCString(uint32(s[2]), "UTC")
	p.WriteCString(uint32(s[3]), "UTC")
}

// writeTm fills struct tm {sec, min, hour, mday, mon, year-1900, wday, yday, isdst, gmtoff}.
// brokenDownTime is _gmtime_js and _localtime_js: 0 after filling the struct tm, or 1 for a
// time outside JavaScript's Date range (±8.64e15 ms), where Emscripten's version fails too.
func brokenDownTime(p *Process, tm uint32, sec int64, local bool) uint64 {
	const dateRange = 8_640_000_000_000 // seconds
	if sec > dateRange || sec < -dateRange {
		return 1
	}
	writeTm(p, tm, sec, local)
	return 0
}

func writeTm(p *Process, tm uint32, sec int64, local bool) {
	t := time.Unix(sec, 0).UTC()
	vals := []int{t.Second(), t.Minute(), t.Hour(), t.Day(), int(t.Month()) - 1, t.Year() - 1900, int(t.Weekday()), t.YearDay() - 1, 0}
	for i, v := range vals {
		p.PutU32(tm+uint32(4*i), uint32(int32(v)))
	}
	if local {
		p.PutU32(tm+36, 0)
	}
}

// mktime normalises a struct tm in place (UTC) and returns seconds since the epoch.
func mktime(p *Process, s []uint64) {
	tm := uint32(s[0])
	get := func(i uint32) int { return int(int32(p.U32(tm + 4*i))) }
	t := time.Date(get(5)+1900, time.Month(get(4)+1), get(3), get(2), get(1), get(0), 0, time.UTC)
	writeTm(p, tm, t.Unix(), true)
	s[0] = uint64(t.Unix())
}

// setitimer records a one-shot timer; FireTimers delivers it between calls, never during
// one, exactly as Emscripten's event loop would.
func setitimer(p *Process, s []uint64) {
	which, ms := int32(s[0]), f64of(s[1])
	if ms <= 0 {
		delete(p.timers, which)
	} else {
		p.timers[which] = monoMs() + ms
	}
	p.publishDeadline()
	s[0] = 0
}

// FireTimers delivers every expired setitimer timer through the guest's _emscripten_timeout.
func (p *Process) FireTimers() error {
	now := monoMs()
	if now < p.firstDeadline() {
		return nil
	}
	for which, due := range p.timers {
		if due <= now {
			delete(p.timers, which)
			p.publishDeadline()
			if _, err := p.Call("_emscripten_timeout", uint64(uint32(which)), f64bits(now)); err != nil {
				return err
			}
			if p.cfg.AfterTimer != nil {
				p.cfg.AfterTimer(p)
			}
		}
	}
	return nil
}

// NextTimer reports the earliest pending timer deadline, in ms from now.
func (p *Process) NextTimer() (float64, bool) {
	first, ok := 0.0, false
	for _, due := range p.timers {
		if !ok || due < first {
			first, ok = due, true
		}
	}
	return first - monoMs(), ok
}
