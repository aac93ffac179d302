package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/actors"
	"github.com/pglite-go/pglite/bridge"
	"github.com/pglite-go/pglite/emscripten"
)

func TestEngineFlag_unknown(t *testing.T) {
	var out bytes.Buffer
	if code := run([]string{"--engine=v8"}, &out); code != 1 || !strings.Contains(out.String(), "unknown engine") {
		t.Fatalf("exit %d, %q", code, out.String())
	}
}

// TestEngineMetric starts the tree on each engine of the build and reads the
// pglite_engine_info label from its metrics.
func TestEngineMetric(t *testing.T) {
	if _, err := bridge.LoadAssets(""); err != nil {
		t.Skipf("assets: %v", err)
	}
	engines := []string{emscripten.EngineWazero}
	if emscripten.WasmtimeAvailable {
		engines = append(engines, emscripten.EngineWasmtime)
	}
	for _, name := range engines {
		t.Run(name, func(t *testing.T) {
			log := zerolog.Nop()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			h, err := actors.Start(ctx, actors.NewSystem(log), actors.Config{ListenAddr: "127.0.0.1", Bridge: bridge.Config{Engine: name}, Logger: log})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Stop(context.Background())
			if err := h.WaitReady(ctx); err != nil {
				t.Fatal(err)
			}
			var m bytes.Buffer
			h.Metrics().WritePrometheus(&m)
			want := `pglite_engine_info{engine="` + name + `",version="` + emscripten.EngineVersion(name) + `"} 1`
			if !strings.Contains(m.String(), want) {
				t.Fatalf("metrics lack %s:\n%s", want, m.String())
			}
		})
	}
}
