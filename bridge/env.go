package bridge

import "strings"

// Paths inside the guest. PostgreSQL derives its share and lib folders from argv[0], so
// these are byte-exact with the bundle.
const (
	guestPostgres = "/pglite/bin/postgres"
	guestInitdb   = "/pglite/bin/initdb"
	guestPGDATA   = "/pglite/data"
)

// backendEnv is the environment of a backend process, as PGlite's JS host sets it; the
// guest reads it once, in its constructors.
func backendEnv(user, database string) []string {
	return []string{
		"USER=postgres", "LOGNAME=postgres", "PATH=/", "PWD=/", "HOME=/home/postgres",
		"LANG=en_US.UTF-8", "_=" + guestPostgres, "PGDATA=" + guestPGDATA,
		"PGUSER=" + user, "PGDATABASE=" + database,
		"LC_CTYPE=en_US.UTF-8", "LC_COLLATE=en_US.UTF-8", "TZ=UTC", "PGTZ=UTC",
		"PGCLIENTENCODING=UTF8", "ICU_DATA=/pglite/icu",
	}
}

// initdbEnv is the environment of initdb.wasm.
func initdbEnv() []string {
	return []string{
		"PGDATA=" + guestPGDATA, "HOME=/home/postgres", "USER=postgres", "LOGNAME=postgres",
		"ICU_DATA=/pglite/icu", "TZ=UTC", "PATH=/", "PWD=/", "LANG=C.UTF-8", "_=" + guestInitdb,
	}
}

// bootArgs are the single-user backend's arguments. fsync stays on for a host data
// directory, so a committed transaction survives a crash; an in-memory one skips it. Every
// setting that differs from PostgreSQL's default is listed, with its reason, in the README
// ("Boot settings"); the parallel query settings keep their defaults, so plans match a stock
// server's (a Gather runs in the leader alone: no worker can start).
func bootArgs(cfg *Config) []string {
	args := []string{guestPostgres, "--single"}
	if cfg.DataDir == "" {
		args = append(args, "-F")
	}
	args = append(args, "-O", "-j",
		"-c", "exit_on_error=false",
		"-c", "log_checkpoints=false",
		"-c", "max_worker_processes=0",
		"-c", "io_method=sync",
		"-c", "shared_buffers="+cfg.sharedBuffers(),
	)
	if libs := cfg.preloadLibraries(); len(libs) > 0 {
		args = append(args, "-c", "shared_preload_libraries="+strings.Join(libs, ","))
	}
	for _, s := range cfg.Settings {
		args = append(args, "-c", s)
	}
	return append(args, "-D", guestPGDATA, cfg.database())
}
