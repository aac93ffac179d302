package bridge

import (
	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/emscripten/vfs"
)

// Config describes one PostgreSQL instance. The zero value is an in-memory database.
type Config struct {
	// DataDir is a host directory holding PGDATA. Empty means in memory. A directory
	// without PG_VERSION gets a new cluster.
	DataDir string
	// AssetsDir overrides where the PGlite assets are found (see LoadAssets).
	AssetsDir string
	// OnReload runs when a client calls pg_reload_conf(), on the goroutine running the query:
	// the server re-reads pg_hba.conf and reloads its other databases. It must not block.
	OnReload func()
	// CacheDir holds the compilation cache and the template cluster. Empty means the user's
	// cache directory.
	CacheDir string
	// SharedBuffers sets shared_buffers (default 16MB, so that many instances fit in one
	// process; initdb would pick 128MB).
	SharedBuffers string
	// Settings are extra "name=value" server settings, passed as -c options.
	Settings []string
	// Database is the database the backend session opens (default "postgres").
	Database string
	// Logger receives lifecycle and diagnostic logs. Zero value: none.
	Logger zerolog.Logger
	// ReuseFS reopens an in-memory database on the file system of an earlier instance
	// (Instance.ReusableFS), after that instance failed: PostgreSQL then recovers it as after
	// a crash. Ignored with DataDir.
	ReuseFS *vfs.FS
	// Extensions lists the extension bundles to make available to CREATE EXTENSION (see
	// Assets.Extensions; extension names inside a bundle work too). Nil means every bundle in
	// the assets; an empty non-nil slice means none beyond the core ones.
	Extensions []string
	// Preload lists libraries for shared_preload_libraries (e.g. "pg_stat_statements"),
	// loaded at boot; their bundles are made available even if Extensions omits them.
	Preload []string
	// Cluster, for an in-memory instance, is a cluster directory to start from (one written
	// by Template.ExportCluster) instead of the pristine cluster initdb made. The instance
	// gets a copy-on-write copy; the directory is never written. Ignored with DataDir.
	Cluster string
	// Template, when set, makes Open start the instance as a clone of a booted one (see
	// Instance.Snapshot) instead of copying a cluster and booting: milliseconds instead of
	// hundreds. Every other field but Logger is then taken from the template. Ignored with
	// DataDir, and when ReuseFS is set (a restart after a failure recovers that FS instead).
	Template *Template
	// MaxMemory caps the instance's linear memory in bytes (0: the module's maximum, 2 GiB).
	// A query that needs more gets ERROR 53200 "out of memory" and the instance goes on; it
	// must leave room for the boot (see MinMemory). Unlike the other fields it applies to a
	// clone of a Template too (when 0, the template's own limit does).
	MaxMemory uint64
	// Engine is the WebAssembly engine that runs PostgreSQL: "wazero" or "wasmtime" (cgo
	// builds on linux or macOS, amd64 or arm64). Empty reads $PGLITE_ENGINE, else the
	// default (see DefaultEngine). A clone of a Template runs on the template's engine.
	Engine string
}

func (c *Config) sharedBuffers() string {
	if c.SharedBuffers == "" {
		return "16MB"
	}
	return c.SharedBuffers
}

func (c *Config) database() string {
	if c.Database == "" {
		return "postgres"
	}
	return c.Database
}
