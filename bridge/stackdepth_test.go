package bridge

import (
	"fmt"
	"testing"

	"github.com/pglite-go/pglite/emscripten"
)

// TestStackDepth_maxStackDepthLimitsNativeStack: SET max_stack_depth limits recursion that
// keeps its frames on the engine's native stack (the JSON parser's) as it limits PostgreSQL's
// C stack, with PostgreSQL's error and hint; at the default the same input parses to its own
// syntax error, and the session goes on. Only wasmtime has the native stack check.
func TestStackDepth_maxStackDepthLimitsNativeStack(t *testing.T) {
	inst := openTest(t, Config{Extensions: []string{}})
	if maxStackDepthVariable(inst.Process()) == 0 {
		t.Fatal("max_stack_depth's variable not found")
	}
	if inst.Engine() != emscripten.EngineWasmtime {
		t.Skip("only wasmtime has the native stack check")
	}
	query(t, inst, "set max_stack_depth = '100kB'")
	for _, q := range []string{"select repeat('[', 10000)::json", `select repeat('{"a":', 10000)::jsonb`} {
		e, _ := errorOf(t, inst, q)
		const hint = `Increase the configuration parameter "max_stack_depth" (currently 100kB), after ensuring the platform's stack depth limit is adequate.`
		if e == nil || e.Code != "54001" || e.Message != "stack depth limit exceeded" || e.Hint != hint {
			t.Errorf("%s at 100kB: %#v", q, e)
		}
	}
	query(t, inst, "reset max_stack_depth")
	e, _ := errorOf(t, inst, "select repeat('[', 10000)::json")
	if e == nil || e.Code != "22P02" || e.Detail != "The input string ended unexpectedly." {
		t.Errorf("at the default: %#v", e)
	}
	if got := fmt.Sprint(query(t, inst, "select '[[1]]'::jsonb")); got != "[[[[1]]]]" {
		t.Errorf("after: %s", got)
	}
}
