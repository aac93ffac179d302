package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/pglite-go/pglite/actors"
	"github.com/pglite-go/pglite/bridge"
)

// loadDataDir applies --load-data-dir: it unpacks PGlite's dumpDataDir() archive into the
// --data-dir, which must be empty or new, or, without one, into a temporary directory that
// the in-memory database starts from (as from a template cluster: the files are copied into
// memory at boot). done, called once the database is ready, removes the temporary directory.
func loadDataDir(archive string, cfg *actors.Config) (done func(), err error) {
	done = func() {}
	if archive == "" {
		return done, nil
	}
	if cfg.Databases.Enabled {
		return done, errors.New("--load-data-dir serves one database: it cannot be combined with --databases or --create-databases")
	}
	if dir := cfg.Bridge.DataDir; dir != "" {
		return done, bridge.LoadDataDir(archive, dir)
	}
	tmp, err := os.MkdirTemp("", "pglited-load-")
	if err != nil {
		return done, fmt.Errorf("--load-data-dir: %w", err)
	}
	if err := bridge.LoadDataDir(archive, tmp); err != nil {
		os.RemoveAll(tmp)
		return done, err
	}
	cfg.Bridge.Cluster = tmp
	return func() {
		bridge.ForgetCluster(tmp)
		os.RemoveAll(tmp)
	}, nil
}
