package emscripten

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/tetratelabs/wazero"
)

// TestIsStackOverflow pins how wazero reports an exhausted call stack, so that an upgrade that
// changes it fails here rather than turning deep SQL recursion back into instance restarts.
func TestIsStackOverflow(t *testing.T) {
	// (module (func (export "f") call 0))
	wasm := []byte{0, 'a', 's', 'm', 1, 0, 0, 0,
		1, 4, 1, 0x60, 0, 0, // type section: () -> ()
		3, 2, 1, 0, // function section
		7, 5, 1, 1, 'f', 0, 0, // export "f"
		10, 6, 1, 4, 0, 0x10, 0, 0x0b, // code: call 0; end
	}
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	mod, err := rt.Instantiate(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	_, err = mod.ExportedFunction("f").Call(ctx)
	if err == nil || !isWazeroStackOverflow(err) {
		t.Fatalf("not recognised as a stack overflow: %v", err)
	}
	if isWazeroStackOverflow(errors.New("stack overflow")) || isWazeroStackOverflow(longjmpSignal{}) {
		t.Fatal("other errors are not stack overflows")
	}
	if !isStackOverflow(fmt.Errorf("wrapped: %w", &StackOverflowError{Cause: err})) || isStackOverflow(err) {
		t.Fatal("isStackOverflow must find the engine-neutral *StackOverflowError only")
	}
}
