package wasmbin

import (
	"testing"

	"github.com/tetratelabs/wazero/api"
)

func TestTableHelper(t *testing.T) {
	ctx, r := newRuntime(t)
	// "main" stands in for pglite.wasm: it owns and exports the table.
	var mainB Builder
	mainB.Export("__indirect_function_table", KindTable, mainB.DefineTable(Limits{Min: 1}))
	instantiate(t, ctx, r, "main", mainB.Bytes())

	rwT := FuncType{Params: tI32x2, Results: tI32}
	i64T := FuncType{Params: []ValType{I32, I64}, Results: []ValType{I64}}
	vT, _ := SigFromLetters("vi")
	var seen []int32
	_, err := r.NewHostModuleBuilder("host").
		NewFunctionBuilder().WithFunc(func(buf, n uint32) uint32 { return buf*1000 + n }).Export("read").
		NewFunctionBuilder().WithFunc(func(buf, n uint32) uint32 { return n }).Export("write").
		NewFunctionBuilder().WithFunc(func(a int32, b int64) int64 { return int64(a) + b }).Export("wide").
		NewFunctionBuilder().WithFunc(func(a int32) { seen = append(seen, a) }).Export("sig").
		Instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	helper := instantiate(t, ctx, r, "helper", TableHelper(TableSpec{
		TableModule: "main", TableName: "__indirect_function_table",
		Callbacks: []HostFunc{
			{"host", "read", rwT}, {"host", "write", rwT}, {"host", "wide", i64T}, {"host", "sig", vT},
		},
		Dyncalls: []FuncType{rwT, i64T, vT, rwT},
	}))

	var slots []uint32
	for _, name := range []string{"read", "write", "wide", "sig"} {
		slots = append(slots, uint32(call(t, ctx, helper, "install_"+name)[0]))
	}
	for i, s := range slots {
		if s != uint32(1+i) {
			t.Fatalf("slots = %v, want 1,2,3,4", slots)
		}
	}
	if got := call(t, ctx, helper, "dyncall_iii", uint64(slots[0]), 7, 42); got[0] != 7042 {
		t.Errorf("dyncall_iii(read) = %d", got[0])
	}
	big := int64(1) << 40
	if got := call(t, ctx, helper, "dyncall_jij", uint64(slots[2]), api.EncodeI32(-3), api.EncodeI64(big)); int64(got[0]) != big-3 {
		t.Errorf("dyncall_jij(wide) = %d", int64(got[0]))
	}
	call(t, ctx, helper, "dyncall_vi", uint64(slots[3]), 5)
	if len(seen) != 1 || seen[0] != 5 {
		t.Errorf("sig saw %v", seen)
	}
	// A signature mismatch traps rather than calling the wrong function.
	if _, err := helper.ExportedFunction("dyncall_iii").Call(ctx, uint64(slots[2]), 1, 2); err == nil {
		t.Error("call_indirect with the wrong type succeeded")
	}
	call(t, ctx, helper, "clear", uint64(slots[0]))
	if _, err := helper.ExportedFunction("dyncall_iii").Call(ctx, uint64(slots[0]), 1, 2); err == nil {
		t.Error("cleared slot did not trap")
	} else {
		t.Logf("cleared slot: %v", err)
	}
	if old := call(t, ctx, helper, "grow", 10)[0]; old != 5 {
		t.Errorf("grow(10) = %d, want old size 5", old)
	}
	if next := call(t, ctx, helper, "install_read")[0]; next != 15 {
		t.Errorf("install after grow = %d, want 15", next)
	}
}

func TestTableHelper_growFails(t *testing.T) {
	ctx, r := newRuntime(t)
	var mainB Builder
	mainB.Export("t", KindTable, mainB.DefineTable(Limits{Min: 1, Max: 1, HasMax: true}))
	instantiate(t, ctx, r, "main", mainB.Bytes())
	_, err := r.NewHostModuleBuilder("host").
		NewFunctionBuilder().WithFunc(func() {}).Export("f").Instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	helper := instantiate(t, ctx, r, "helper", TableHelper(TableSpec{
		TableModule: "main", TableName: "t", Callbacks: []HostFunc{{"host", "f", FuncType{}}},
	}))
	if got := int32(call(t, ctx, helper, "install_f")[0]); got != -1 {
		t.Errorf("install on a full table = %d, want -1", got)
	}
	if got := int32(call(t, ctx, helper, "grow", 1)[0]); got != -1 {
		t.Errorf("grow on a full table = %d, want -1", got)
	}
}

func TestSlotInstaller(t *testing.T) {
	ctx, r := newRuntime(t)
	var mainB Builder
	mainB.Export("__indirect_function_table", KindTable, mainB.DefineTable(Limits{Min: 1}))
	instantiate(t, ctx, r, "main", mainB.Bytes())

	// A "side module" whose exports need table slots.
	unary := FuncType{Params: tI32, Results: tI32}
	var side Builder
	side.Export("plus100", KindFunc, side.DefineFunc(unary, nil, Code(LocalGet(0), I32Const(100), I32Add())))
	side.Export("plus1", KindFunc, side.DefineFunc(unary, nil, Code(LocalGet(0), I32Const(1), I32Add())))
	instantiate(t, ctx, r, "side", side.Bytes())

	helper := instantiate(t, ctx, r, "helper", TableHelper(TableSpec{
		TableModule: "main", TableName: "__indirect_function_table", Dyncalls: []FuncType{unary},
	}))
	base := call(t, ctx, helper, "grow", 2)[0]
	inst := instantiate(t, ctx, r, "slots1", SlotInstaller(SlotSpec{
		TableModule: "main", TableName: "__indirect_function_table",
		Funcs: []HostFunc{{"side", "plus100", unary}, {"side", "plus1", unary}},
	}))
	call(t, ctx, inst, "install", base)
	if got := call(t, ctx, helper, "dyncall_ii", base, 5)[0]; got != 105 {
		t.Errorf("slot %d: got %d, want 105", base, got)
	}
	if got := call(t, ctx, helper, "dyncall_ii", base+1, 5)[0]; got != 6 {
		t.Errorf("slot %d: got %d, want 6", base+1, got)
	}
	call(t, ctx, helper, "clear", base)
	if _, err := helper.ExportedFunction("dyncall_ii").Call(ctx, base, 5); err == nil {
		t.Error("cleared slot did not trap")
	}
	// Out of range: the table was not grown far enough.
	if _, err := inst.ExportedFunction("install").Call(ctx, base+1); err == nil {
		t.Error("install past the table end did not trap")
	}
}
