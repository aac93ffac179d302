package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/emscripten"
)

// buildEngines lists the engines this build has.
func buildEngines() []string {
	if emscripten.WasmtimeAvailable {
		return []string{emscripten.EngineWazero, emscripten.EngineWasmtime}
	}
	return []string{emscripten.EngineWazero}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestEngineChoice checks, for every engine in the build, that Config.Engine is what runs
// the instance and its clones, that the startup log line names it, and that EnginesInUse
// (the metrics label) reports it.
func TestEngineChoice(t *testing.T) {
	if _, err := LoadAssets(""); err != nil {
		t.Skipf("assets: %v", err)
	}
	for _, name := range buildEngines() {
		t.Run(name, func(t *testing.T) {
			var logs syncBuffer
			inst, err := Open(context.Background(), Config{Engine: name, Logger: zerolog.New(&logs)})
			if err != nil {
				t.Fatal(err)
			}
			defer inst.Close()
			if inst.Engine() != name {
				t.Fatalf("Engine() = %s, want %s", inst.Engine(), name)
			}
			if rows := query(t, inst, "select 40 + 2"); len(rows) != 1 || rows[0][0] != "42" {
				t.Fatalf("rows %v", rows)
			}
			ready := ""
			for _, line := range strings.Split(logs.String(), "\n") {
				if strings.Contains(line, `"instance ready"`) {
					ready = line
				}
			}
			want := `"engine":"` + name + `","engine_version":"` + emscripten.EngineVersion(name) + `"`
			if !strings.Contains(ready, want) {
				t.Fatalf("instance ready line %q lacks %s", ready, want)
			}
			// Durations name their unit, whatever zerolog's global duration unit is.
			var fields map[string]any
			if err := json.Unmarshal([]byte(ready), &fields); err != nil {
				t.Fatalf("instance ready line %q: %v", ready, err)
			}
			if boot, ok := fields["boot_ms"].(float64); !ok || boot <= 0 || boot > float64(inst.Timings.Boot.Milliseconds()+1) {
				t.Fatalf("boot_ms %v, want the boot's %v in milliseconds", fields["boot_ms"], inst.Timings.Boot)
			}
			// On wasmtime check_stack_depth asks about the native stack (emscripten's
			// stackoverflow.go): the slot of that check is installed.
			slot, ok := inst.proc.GlobalAddress("__pglite_stack_check")
			if want := name == emscripten.EngineWasmtime; want != (ok && slot != 0) {
				t.Fatalf("native stack check slot %d (%v) on %s", slot, ok, name)
			}
			tmpl, err := inst.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			clone, err := OpenTemplate(context.Background(), tmpl, zerolog.Nop())
			if err != nil {
				t.Fatal(err)
			}
			defer clone.Close()
			if clone.Engine() != name {
				t.Fatalf("clone runs on %s, want %s", clone.Engine(), name)
			}
			found := false
			for _, e := range EnginesInUse() {
				found = found || (e.Name == name && e.Version == emscripten.EngineVersion(name))
			}
			if !found {
				t.Fatalf("EnginesInUse() = %v lacks %s", EnginesInUse(), name)
			}
		})
	}
	if _, err := Open(context.Background(), Config{Engine: "v8"}); err == nil || !strings.Contains(err.Error(), "unknown engine") {
		t.Fatalf("an unknown engine opened: %v", err)
	}
}
