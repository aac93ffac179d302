package version

import (
	"testing"
)

func TestSummary(t *testing.T) {
	want := Version + " (PGlite " + PGlite + ", PostgreSQL 18.7, wazero v1.12.0)"
	if got := Summary("wazero", "v1.12.0"); got != want {
		t.Fatalf("Summary = %q, want %q", got, want)
	}
}
