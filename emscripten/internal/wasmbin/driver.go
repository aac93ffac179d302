package wasmbin

// DriverSpec describes a loop that runs inside the engine: one call from the host replaces
// a call per iteration and a call per test of its condition, each of which costs a transition
// between the host and the engine.
type DriverSpec struct {
	Module string // the module whose exports Step, Pending and Finish name
	// Step runs one iteration: () -> ().
	Step string
	// Pending reports work the guest holds: () -> i32, greater than zero while there is some.
	Pending string
	// More asks the host whether it holds work still to hand over: () -> i32, non-zero if so.
	More HostFunc
	// Finish are called in this order by the export "finish": each () -> ().
	Finish []string
}

// Driver builds the module of spec. Its export "drive" (i32 more) -> () runs
//
//	for Pending() > 0 || more != 0 || More() != 0 { more = 0; Step() }
//
// testing More only when Pending is not greater than zero: the host says in more what it
// knows at the call, which saves asking it before the first step. "finish" calls the Finish
// functions. A trap or exception in any of them leaves the export the same way.
func Driver(spec DriverSpec) []byte {
	var b Builder
	b.SetName("driver")
	void := FuncType{}
	step := b.ImportFunc(spec.Module, spec.Step, void)
	pending := b.ImportFunc(spec.Module, spec.Pending, FuncType{Results: []ValType{I32}})
	more := b.ImportFunc(spec.More.Module, spec.More.Name, spec.More.Type)
	finish := make([]uint32, len(spec.Finish))
	for i, name := range spec.Finish {
		finish[i] = b.ImportFunc(spec.Module, name, void)
	}
	drive := Code(
		Block(BlockEmpty),
		Loop(),
		// The guest's own buffer first: asking the host costs more.
		Call(pending), I32Const(0), I32GtS(),
		If(), Call(step), Br(1), End(), // labels: 0 the if, 1 the loop
		LocalGet(0),
		If(), I32Const(0), LocalSet(0), Call(step), Br(1), End(),
		Call(more), I32Eqz(), BrIf(1), // labels: 0 the loop, 1 the block
		Call(step), Br(0),
		End(),
		End(),
	)
	b.Export("drive", KindFunc, b.DefineFunc(FuncType{Params: []ValType{I32}}, nil, drive))
	var fin []byte
	for _, f := range finish {
		fin = Code(fin, Call(f))
	}
	b.Export("finish", KindFunc, b.DefineFunc(void, nil, fin))
	return b.Bytes()
}
