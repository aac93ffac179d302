//go:build pglite_embed

package main

// With the pglite_embed tag the daemon carries the assets, extension bundles included, and
// needs no files at run time: `make embed-assets` writes the package this imports, then
// `go build -tags pglite_embed ./cmd/pglited`. Other programs embed the assets the same
// way through a package of their own (`pglite-assets -embed DIR`).
import _ "github.com/pglite-go/pglite/bridge/embedded"
