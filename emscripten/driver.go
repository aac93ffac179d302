package emscripten

import (
	"errors"

	"github.com/pglite-go/pglite/emscripten/internal/wasmbin"
)

// driverMoreName is the host import through which a Driver's loop asks Go for more input.
const driverMoreName = "driver_more"

// A Driver runs a guest loop in one call from Go. Each call into the guest costs a transition
// into the engine (on wasmtime a cgo call and a read of the stack pointer), which a loop of
// one call per step and one per test of its condition multiplies; a Driver's loop runs inside
// the engine and asks Go only when the guest has run out of work.
type Driver struct {
	p             *Process
	drive, finish *fnPool
}

// DriverSpec names the guest exports a Driver calls, each () -> () but Pending.
type DriverSpec struct {
	Step    string   // one iteration
	Pending string   // () -> i32: greater than zero while the guest holds work of its own
	Finish  []string // called in order by Finish
}

// NewDriver builds and links the loop of spec (compiled once per runtime).
func (p *Process) NewDriver(spec DriverSpec) (*Driver, error) {
	wasm := wasmbin.Driver(wasmbin.DriverSpec{Module: guestModuleName, Step: spec.Step, Pending: spec.Pending,
		More:   wasmbin.HostFunc{Module: hostModuleName, Name: driverMoreName, Type: fnType("", "i")},
		Finish: spec.Finish})
	c, err := p.rt.compileGenerated(p.ctx, wasm)
	if err != nil {
		return nil, err
	}
	inst, err := p.store.instantiate(c, func(n string) instance {
		if n == guestModuleName {
			return p.guest
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Driver{p: p, drive: &fnPool{name: "drive", mod: inst}, finish: &fnPool{name: "finish", mod: inst}}, nil
}

// Drive runs Step while Pending is greater than zero or more reports input that Go still
// holds. Failures come back as from Call: an exit() as *ExitError, anything else as
// *TrapError with the process broken.
func (d *Driver) Drive(more func() bool) error {
	d.p.driverMore = more
	defer func() { d.p.driverMore = nil }()
	now := uint64(0)
	if more() {
		now = 1 // the loop need not ask before its first step
	}
	_, err := d.p.callPool(d.drive, now)
	return err
}

// Finish calls the spec's Finish functions in order.
func (d *Driver) Finish() error {
	_, err := d.p.callPool(d.finish)
	return err
}

// driverMore is the host side of driverMoreName.
func driverMore(p *Process, s []uint64) {
	if p.driverMore == nil {
		panic(errors.New("emscripten: a driver loop ran outside Driver.Drive"))
	}
	s[0] = 0
	if p.driverMore() {
		s[0] = 1
	}
}
