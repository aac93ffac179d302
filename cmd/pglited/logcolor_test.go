package main

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
)

// Console logs carry no colour codes unless they go to a terminal.
func TestLoggerNoColourOffTerminal(t *testing.T) {
	var buf bytes.Buffer
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []io.Writer{&buf, w} {
		log, err := newLogger("info", "console", out)
		if err != nil {
			t.Fatal(err)
		}
		log.Info().Dur("took", 5).Msg("hello")
	}
	w.Close()
	piped, _ := io.ReadAll(r)
	for name, got := range map[string]string{"buffer": buf.String(), "pipe": string(piped)} {
		if !strings.Contains(got, "hello") || strings.Contains(got, "\x1b[") {
			t.Errorf("%s: %q", name, got)
		}
	}
}
