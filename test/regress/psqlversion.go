package regress

import (
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
)

var psqlVersionRE = regexp.MustCompile(`\(PostgreSQL\) (\d+)`)

// psqlMajor is the major version of the psql on $PATH, which decides how \d and friends
// print (psql 15 differs from the expected files, written by psql 18).
func psqlMajor() (int, error) {
	out, err := exec.Command("psql", "--version").Output()
	if err != nil {
		return 0, fmt.Errorf("psql --version: %w", err)
	}
	m := psqlVersionRE.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("psql --version: cannot parse %q", out)
	}
	return strconv.Atoi(string(m[1]))
}
