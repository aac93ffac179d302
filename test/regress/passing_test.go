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

// TestWriteNodePassing: the list is the scored tests that passed now, in schedule order,
// nothing carried over, and reads back without its header.
func TestWriteNodePassing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "passing-node.txt")
	if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	schedule := []string{"test_setup", "b", "a", "c"}
	passed := map[string]bool{"a": true, "b": true, "c": false, "test_setup": true}
	if err := WriteNodePassing(path, "line one\n\nline three", passed, schedule); err != nil {
		t.Fatal(err)
	}
	got, err := ReadPassing(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"b", "a"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("list = %v, want %v", got, want)
	}
	b, _ := os.ReadFile(path)
	if want := "# line one\n#\n# line three\nb\na\n"; string(b) != want {
		t.Fatalf("file = %q, want %q", b, want)
	}
}

func TestMissing(t *testing.T) {
	got := Missing([]string{"a", "b", "c", "d"}, []string{"d", "b"})
	if want := []string{"a", "c"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Missing = %v, want %v", got, want)
	}
	if got := Missing([]string{"a"}, []string{"a"}); got != nil {
		t.Fatalf("Missing = %v, want none", got)
	}
}

// TestNodeListsPassHere: every test that passes on PGlite on Node (the committed lists that
// make regress-node writes) is listed as passing on this server, which make regress-check
// then holds to. It reads the lists only; it runs no suite.
func TestNodeListsPassHere(t *testing.T) {
	ours, err := ReadPassing("passing.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"passing-node.txt", "passing-node-copyin.txt"} {
		node, err := ReadPassing(path)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if missing := Missing(node, ours); len(missing) > 0 {
			t.Errorf("%s: pass on Node, not in passing.txt: %v", path, missing)
		}
	}
}
