package regress

import (
	"bufio"
	"os"
	"strings"
)

// passingHeader heads passing.txt.
const passingHeader = `# The tests of PostgreSQL 18.6's parallel_schedule that pass on this server: make
# regress-check fails when one of them fails. Made by make regress-update (go run
# ./test/regress/cmd/regress -update), which adds the tests that newly pass and never
# removes one, so the list only grows; a test that stops passing is a regression to fix,
# not a line to delete.
`

// ReadPassing reads a list of test names, one a line; # starts a comment.
func ReadPassing(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if line = strings.TrimSpace(line); line != "" {
			names = append(names, line)
		}
	}
	return names, sc.Err()
}

// WritePassing writes the union of the old list and the tests that passed now, in schedule
// order (names not in the schedule go last, as they were).
func WritePassing(path string, old []string, passed map[string]bool, schedule []string) error {
	keep := map[string]bool{}
	for _, n := range old {
		keep[n] = true
	}
	for n, ok := range passed {
		if ok {
			keep[n] = true
		}
	}
	var b strings.Builder
	b.WriteString(passingHeader)
	for _, n := range schedule {
		if keep[n] {
			b.WriteString(n + "\n")
			delete(keep, n)
		}
	}
	for _, n := range old {
		if keep[n] {
			b.WriteString(n + "\n")
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// WriteNodePassing writes the scored tests that passed in a run against PGlite on Node, in
// schedule order, under header (each of its lines gets "# "). Unlike WritePassing it starts
// afresh: the list is a measurement of the reference host, not a ratchet on this server.
func WriteNodePassing(path, header string, passed map[string]bool, schedule []string) error {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(header, "\n"), "\n") {
		b.WriteString(strings.TrimRight("# "+line, " ") + "\n")
	}
	for _, n := range schedule {
		if passed[n] && !NotScored[n] {
			b.WriteString(n + "\n")
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// Missing returns the names of want that are not in have, in want's order: with want a
// Node list and have passing.txt, the tests that pass on Node and not here.
func Missing(want, have []string) []string {
	in := map[string]bool{}
	for _, n := range have {
		in[n] = true
	}
	var out []string
	for _, n := range want {
		if !in[n] {
			out = append(out, n)
		}
	}
	return out
}
