package assetinstall

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// findNpm locates the npm client. Going through it, rather than fetching tarballs here,
// means the user's npm configuration applies: registry, scoped registries, mirrors,
// proxies, certificates and credentials.
func findNpm() (string, error) {
	p, err := exec.LookPath("npm")
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return "", ErrNpmMissing
		}
		return "", fmt.Errorf("npm: %w", err)
	}
	return p, nil
}

// pack runs `npm pack` for one package into dir, an empty folder, and returns the tarball
// it wrote.
func pack(ctx context.Context, npm string, p Package, dir string) (string, error) {
	cmd := exec.CommandContext(ctx, npm, "pack", p.Spec(), "--pack-destination", dir, "--loglevel=error")
	if os.Getenv("npm_config_fetch_retries") == "" && os.Getenv("NPM_CONFIG_FETCH_RETRIES") == "" {
		// An unreachable registry is reported at once instead of after npm's back-off
		// (about 70 s); set npm_config_fetch_retries to have npm retry.
		cmd.Env = append(os.Environ(), "npm_config_fetch_retries=0")
	}
	// From the caller's working directory, so that a project .npmrc there applies too.
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", &NpmError{Spec: p.Spec(), Err: err, Output: out.String()}
	}
	tgz, _ := filepath.Glob(filepath.Join(dir, "*.tgz"))
	if len(tgz) != 1 {
		return "", &NpmError{Spec: p.Spec(), Err: fmt.Errorf("wrote %d tarballs into %s, want 1", len(tgz), dir), Output: out.String()}
	}
	if _, err := os.Stat(tgz[0]); err != nil {
		return "", err
	}
	return tgz[0], nil
}
