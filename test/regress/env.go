package regress

import (
	"os"
	"strconv"
	"strings"
)

// cleanEnv is the caller's environment without what would change how psql or pglited
// connect or format (every PG* variable, LC_ALL, LANGUAGE), as pg_regress clears them.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PG") && !strings.HasPrefix(k, "PGLITE_") || k == "LC_ALL" || k == "LANGUAGE" || k == "LC_MESSAGES" {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// Paths are the directories the tests find with \getenv.
type Paths struct {
	SrcDir   string // PG_ABS_SRCDIR: the suite, whose data/ the tests load (read by psql)
	BuildDir string // PG_ABS_BUILDDIR: where server-side COPY TO writes results/ (a server path)
	LibDir   string // PG_LIBDIR: where regress.so would be
}

// testVars are the variables pg_regress sets for the tests' \getenv.
func testVars(p Paths) map[string]string {
	return map[string]string{
		"PG_ABS_SRCDIR":   p.SrcDir,
		"PG_ABS_BUILDDIR": p.BuildDir,
		"PG_LIBDIR":       p.LibDir,
		"PG_DLSUFFIX":     ".so",
	}
}

// testEnv is the environment pg_regress gives psql for one test.
func testEnv(d *Daemon, test string, p Paths) []string {
	env := append(cleanEnv(),
		"PGHOST="+d.SocketDir,
		"PGPORT="+strconv.Itoa(d.Port),
		"PGUSER=postgres",
		"PGTZ=America/Los_Angeles",
		"PGDATESTYLE=Postgres, MDY",
		"PGOPTIONS=-c intervalstyle=postgres_verbose",
		"LC_MESSAGES=C",
		"PGAPPNAME=pg_regress/"+test,
	)
	for k, v := range testVars(p) {
		env = append(env, k+"="+v)
	}
	return env
}
