package bridge

import (
	"fmt"
	"os"
	"path/filepath"
)

// ExportCluster writes the template's data directory into dir, a directory that must not
// exist yet: it is built in a temporary sibling and renamed into place, so a reader never
// sees half a cluster. The cluster is as the template's backend left it, not shut down:
// booting it (Config.Cluster, or a DataDir copy) runs crash recovery from the last
// checkpoint, so snapshot after a CHECKPOINT to keep that short.
func (t *Template) ExportCluster(dir string) error {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("bridge: export cluster: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, ".export-")
	if err != nil {
		return fmt.Errorf("bridge: export cluster: %w", err)
	}
	defer os.RemoveAll(tmp)
	data := filepath.Join(tmp, "data")
	if err := t.fs.ExportTree(guestPGDATA, data); err != nil {
		return fmt.Errorf("bridge: export cluster: %w", err)
	}
	// The pid file names a backend that will not be running wherever this is booted.
	_ = os.Remove(filepath.Join(data, "postmaster.pid"))
	if err := syncTree(data); err != nil {
		return fmt.Errorf("bridge: export cluster: %w", err)
	}
	if err := os.Rename(data, dir); err != nil {
		return fmt.Errorf("bridge: export cluster: %w", err)
	}
	return syncDir(parent)
}

// Libraries lists the side modules the template's backend had loaded (plpgsql, extension
// libraries), by the path it loaded them from; LOAD takes these paths.
func (t *Template) Libraries() []string { return t.snap.Libraries() }

// AssetsHash identifies the asset set the template runs on: its modules and share files
// (Assets.ClusterKey; empty if the share files cannot be read).
func (t *Template) AssetsHash() string {
	key, _ := t.eng.assets.ClusterKey()
	return key
}

// LockFile takes an exclusive advisory lock on path (created if missing) and returns its
// release: processes that build the same cached thing take turns, and the later ones find
// it built.
func LockFile(path string) (unlock func(), err error) { return lockFile(path) }
