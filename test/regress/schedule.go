package regress

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

// ReadSchedule returns the tests of a pg_regress schedule file in order. A "test:" line
// names a group that pg_regress runs in parallel; this runner runs every test on its own,
// one after the other, so the groups are flattened.
func ReadSchedule(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var tests []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rest, ok := strings.CutPrefix(line, "test:")
		if !ok {
			return nil, fmt.Errorf("%s:%d: not a test line: %q", path, n, line)
		}
		tests = append(tests, strings.Fields(rest)...)
	}
	return tests, sc.Err()
}
