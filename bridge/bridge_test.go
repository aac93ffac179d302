package bridge

import (
	"strings"
	"testing"
)

func TestBridge_Exec_version(t *testing.T) {
	inst := openTest(t, Config{})
	rows := query(t, inst, "select version()")
	if len(rows) != 1 || !strings.HasPrefix(rows[0][0], "PostgreSQL 18.6") {
		t.Fatalf("version: %q", rows)
	}
}
