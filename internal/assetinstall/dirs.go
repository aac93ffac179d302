package assetinstall

import (
	"fmt"
	"os"
	"path/filepath"
)

// Command is how a user runs the prefetch command; errors and docs name it.
const Command = "go run github.com/pglite-go/pglite/cmd/pglite-assets"

// DefaultDir is the install folder in the user's cache directory, where the library looks
// for the assets and fetches them on first use.
func DefaultDir() (string, error) {
	c, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no user cache directory: %w", err)
	}
	return filepath.Join(c, "pglite-go", "assets", "pglite-"+Version), nil
}
