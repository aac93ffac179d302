package regress

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestWritePassing_onlyGrows: a listed test that failed this time stays listed, new passes are
// added, and the order is the schedule's.
func TestWritePassing_onlyGrows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "passing.txt")
	schedule := []string{"a", "b", "c", "d"}
	if err := WritePassing(path, []string{"c", "gone"}, map[string]bool{"d": true, "b": true, "c": false, "a": false}, schedule); err != nil {
		t.Fatal(err)
	}
	got, err := ReadPassing(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"b", "c", "d", "gone"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("list = %v, want %v", got, want)
	}
}

func TestReadSchedule(t *testing.T) {
	path := filepath.Join(t.TempDir(), "schedule")
	text := "# comment\n\ntest: a\ntest: b c   d\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadSchedule(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "b", "c", "d"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("tests = %v, want %v", got, want)
	}
}
