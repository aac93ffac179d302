package regress

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// expectedFiles lists the outputs a test may match: expected/T.out and the alternates
// expected/T_0.out ... expected/T_9.out, as pg_regress accepts them.
func expectedFiles(suite, test string) []string {
	var files []string
	for _, name := range append([]string{test + ".out"}, alternates(test)...) {
		p := filepath.Join(suite, "expected", name)
		if _, err := os.Stat(p); err == nil {
			files = append(files, p)
		}
	}
	return files
}

func alternates(test string) []string {
	var names []string
	for i := 0; i <= 9; i++ {
		names = append(names, fmt.Sprintf("%s_%d.out", test, i))
	}
	return names
}

// compare reports whether result equals one of the expected files exactly. When none does it
// returns the unified diff against the closest one (the shortest diff), as pg_regress writes
// into regression.diffs.
func compare(result string, expected []string) (ok bool, diff []byte, err error) {
	got, err := os.ReadFile(result)
	if err != nil {
		return false, nil, err
	}
	if len(expected) == 0 {
		return false, []byte("no expected output for " + filepath.Base(result) + "\n"), nil
	}
	for _, e := range expected {
		want, err := os.ReadFile(e)
		if err != nil {
			return false, nil, err
		}
		if bytes.Equal(got, want) {
			return true, nil, nil
		}
	}
	for _, e := range expected {
		d, err := unifiedDiff(e, result)
		if err != nil {
			return false, nil, err
		}
		if diff == nil || len(d) < len(diff) {
			diff = d
		}
	}
	return false, diff, nil
}

// unifiedDiff runs diff -U3, the format pg_regress writes.
func unifiedDiff(a, b string) ([]byte, error) {
	out, err := exec.Command("diff", "-U3", a, b).Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 1 {
		return out, nil // the files differ
	}
	if err != nil {
		return nil, fmt.Errorf("diff %s %s: %w", a, b, err)
	}
	return out, nil
}
