package regress

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/pglite-go/pglite/internal/assetinstall"
)

// The reference server of -server node: PGlite on Node, served by pglite-socket. pglite is
// the release this project runs (internal/assetinstall pins it, and the same pglite.wasm);
// pglite-socket 0.2.17 is the one test/bench/pgbench.sh measures against. It declares a
// peer dependency on an older pglite, hence npm's --legacy-peer-deps.
const (
	nodePGlite        = "@electric-sql/pglite"
	nodeSocket        = "@electric-sql/pglite-socket"
	NodeSocketVersion = "0.2.17"
)

// NodePGliteVersion is the pinned release; nodeWasmSHA256 its pglite.wasm.
var (
	NodePGliteVersion = assetinstall.Version
	nodeWasmSHA256    = assetinstall.Pinned.Sum("pglite.wasm")
)

//go:embed nodeserver.mjs
var nodeServerSource []byte

// NodeInstallDir is where the two packages are installed, once per machine
// ($PGLITE_REGRESS_NODE_DIR overrides it).
func NodeInstallDir() (string, error) {
	if d := os.Getenv("PGLITE_REGRESS_NODE_DIR"); d != "" {
		return d, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "pglite-go", "regress",
		"pglite-socket-"+NodeSocketVersion+"-pglite-"+NodePGliteVersion), nil
}

// EnsureNodeInstalled installs the packages with npm unless they are there already, checks
// the versions and pglite.wasm's sha256, and writes nodeserver.mjs next to node_modules. It
// returns the script's path.
func EnsureNodeInstalled(ctx context.Context, logw io.Writer) (string, error) {
	dir, err := NodeInstallDir()
	if err != nil {
		return "", err
	}
	if checkNodeInstall(dir) != nil {
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return "", err
		}
		tmp, err := os.MkdirTemp(filepath.Dir(dir), ".install-*")
		if err != nil {
			return "", err
		}
		defer os.RemoveAll(tmp)
		if err := os.WriteFile(filepath.Join(tmp, "package.json"), []byte(`{"private": true}`+"\n"), 0o644); err != nil {
			return "", err
		}
		fmt.Fprintf(logw, "regress: installing %s@%s and %s@%s with npm into %s\n",
			nodeSocket, NodeSocketVersion, nodePGlite, NodePGliteVersion, dir)
		npm := exec.CommandContext(ctx, "npm", "install", "--no-audit", "--no-fund", "--ignore-scripts",
			"--no-package-lock", "--legacy-peer-deps", "--loglevel=error",
			nodeSocket+"@"+NodeSocketVersion, nodePGlite+"@"+NodePGliteVersion)
		npm.Dir = tmp
		var out bytes.Buffer
		npm.Stdout, npm.Stderr = &out, &out
		if err := npm.Run(); err != nil {
			return "", fmt.Errorf("npm install: %w\n%s", err, out.String())
		}
		if err := checkNodeInstall(tmp); err != nil {
			return "", err
		}
		_ = os.RemoveAll(dir)
		if err := os.Rename(tmp, dir); err != nil && checkNodeInstall(dir) != nil {
			return "", err
		}
		if err := checkNodeInstall(dir); err != nil {
			return "", err
		}
	}
	sum := sha256.Sum256(nodeServerSource)
	script := filepath.Join(dir, "nodeserver-"+hex.EncodeToString(sum[:6])+".mjs")
	if b, err := os.ReadFile(script); err == nil && bytes.Equal(b, nodeServerSource) {
		return script, nil
	}
	tmp := script + ".tmp"
	if err := os.WriteFile(tmp, nodeServerSource, 0o644); err != nil {
		return "", err
	}
	return script, os.Rename(tmp, script)
}

// checkNodeInstall reports whether dir holds both packages at their versions, with the
// pinned pglite.wasm.
func checkNodeInstall(dir string) error {
	for _, p := range [][2]string{{nodePGlite, NodePGliteVersion}, {nodeSocket, NodeSocketVersion}} {
		root := filepath.Join(dir, "node_modules", filepath.FromSlash(p[0]))
		b, err := os.ReadFile(filepath.Join(root, "package.json"))
		if err != nil {
			return err
		}
		var meta struct{ Version string }
		if err := json.Unmarshal(b, &meta); err != nil {
			return fmt.Errorf("%s: %w", root, err)
		}
		if meta.Version != p[1] {
			return fmt.Errorf("%s: version %s, want %s", root, meta.Version, p[1])
		}
	}
	wasm, err := os.ReadFile(filepath.Join(dir, "node_modules", filepath.FromSlash(nodePGlite), "dist", "pglite.wasm"))
	if err != nil {
		return err
	}
	sum := sha256.Sum256(wasm)
	if got := hex.EncodeToString(sum[:]); got != nodeWasmSHA256 {
		return fmt.Errorf("pglite.wasm sha256 %s, want %s", got, nodeWasmSHA256)
	}
	return nil
}

// nodeSettings are what the runner gives the Node server with ALTER SYSTEM (see
// runner.setupNode), as name, value. PGlite on Node takes neither of the two ways
// pg_regress sets them on a real server, which are:
//   - ALTER DATABASE regression SET ... (pg_regress's create_database): PGlite stores them
//     in pg_db_role_setting but its backend does not apply them when it starts;
//   - the startup packet of each psql (libpq sends PGTZ as TimeZone, PGDATESTYLE as
//     datestyle, PGOPTIONS's -c intervalstyle=... as options, PGAPPNAME as
//     application_name): pglite-socket hands the packet to PGlite, whose backend answers it
//     but keeps the settings it booted with.
//
// What ALTER SYSTEM does reach (postgresql.auto.conf, read at boot) gives every session the
// same defaults, with source "configuration file" where a real server says "database" or
// "client"; RESET returns to them in both. What could not be applied: application_name
// (pg_regress/<test>, different for every test; no scored test prints it).
var nodeSettings = [][2]string{
	{"lc_messages", "C"},
	{"lc_monetary", "C"},
	{"lc_numeric", "C"},
	{"lc_time", "C"},
	{"bytea_output", "hex"},
	{"timezone_abbreviations", "Default"},
	{"timezone", "America/Los_Angeles"},
	{"datestyle", "Postgres, MDY"},
	{"intervalstyle", "postgres_verbose"},
}

// nodeAlterSystem is the ALTER SYSTEM commands (each must be a statement of its own) for
// nodeSettings and then the -c name=value pairs of args (the runner's ServerArgs), so that a
// -c wins. Settings of context postmaster take effect too, since the runner starts the
// server again after them.
func nodeAlterSystem(args []string) []string {
	var cmds []string
	for _, kv := range nodeSettings {
		cmds = append(cmds, alterSystem(kv[0], kv[1]))
	}
	for i := 0; i+1 < len(args); i++ {
		if args[i] != "-c" {
			continue
		}
		i++
		if name, value, ok := strings.Cut(args[i], "="); ok {
			cmds = append(cmds, alterSystem(strings.TrimSpace(name), value))
		}
	}
	return cmds
}

// alterSystem is one ALTER SYSTEM SET for a name and value.
func alterSystem(name, value string) string {
	return fmt.Sprintf("ALTER SYSTEM SET %s TO '%s';", name, strings.ReplaceAll(value, "'", "''"))
}

// startNode starts nodeserver.mjs on cfg.DataDir (PGlite's data directory itself) and the
// socket cfg.SocketDir/.s.PGSQL.5432, where psql looks for it. PGlite serves one database,
// postgres, whatever name a client asks for, so "regression" reaches it too.
func startNode(ctx context.Context, cfg DaemonConfig) (*Daemon, error) {
	log, err := os.OpenFile(cfg.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	d := &Daemon{Name: cfg.name(), SocketDir: cfg.SocketDir, Port: 5432}
	args := []string{cfg.NodeScript, cfg.DataDir, filepath.Join(cfg.SocketDir, ".s.PGSQL.5432")}
	if cfg.NodeCopyIn {
		args = append([]string{cfg.NodeScript, "--copy-in"}, args[1:]...)
	}
	cmd := exec.Command("node", args...)
	cmd.Dir = filepath.Dir(cfg.NodeScript)
	return d.start(ctx, cmd, log, cfg)
}
