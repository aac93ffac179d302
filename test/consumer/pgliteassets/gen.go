// Package pgliteassets embeds the PGlite assets into the binaries that import it.
package pgliteassets

//go:generate go run github.com/pglite-go/pglite/cmd/pglite-assets -embed .
