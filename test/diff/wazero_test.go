package main

import (
	"context"
	_ "embed"
	"math"
	"runtime"
	"testing"

	"github.com/tetratelabs/wazero"
)

// floatSelectWasm is testdata/float-select.wat, built with wat2wasm.
//
//go:embed testdata/float-select.wasm
var floatSelectWasm []byte

// TestWazeroFloatSelect runs the smallest known case of the wazero miscompile behind the
// Memoize plans (README, Known issues) under wazero's compiler and interpreter. While the
// compiler still gets it wrong the test passes and says so; once the wazero in go.mod has the
// fix it fails, so that the exclusions in corpus/plans.sql and the README entry get removed.
func TestWazeroFloatSelect(t *testing.T) {
	const want = 14.0 / 13
	ctx := context.Background()
	run := func(rc wazero.RuntimeConfig) float64 {
		r := wazero.NewRuntimeWithConfig(ctx, rc)
		defer r.Close(ctx)
		m, err := r.Instantiate(ctx, floatSelectWasm)
		if err != nil {
			t.Fatal(err)
		}
		res, err := m.ExportedFunction("pick").Call(ctx, math.Float64bits(13), 0)
		if err != nil {
			t.Fatal(err)
		}
		return math.Float64frombits(res[0])
	}
	if got := run(wazero.NewRuntimeConfigInterpreter()); got != want {
		t.Fatalf("interpreter: pick(13, 0) = %v, want %v", got, want)
	}
	got := run(wazero.NewRuntimeConfigCompiler())
	switch {
	case runtime.GOARCH != "amd64":
		t.Logf("compiler on %s: pick(13, 0) = %v (the bug is in the amd64 backend)", runtime.GOARCH, got)
	case got == want:
		t.Errorf("wazero's compiler now gets the float select right: remove the %q exclusions from corpus/plans.sql and the README's known issue", "wazero v1.12.0 miscompiles a float select")
	case got == 1.0/13:
		t.Logf("known wazero bug (wazero#2534): the compiler gives pick(13, 0) = %v, want %v", got, want)
	default:
		t.Errorf("compiler: pick(13, 0) = %v, want %v (or the known wrong %v)", got, want, 1.0/13)
	}
}
