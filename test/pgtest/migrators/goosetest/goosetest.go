// Package goosetest runs goose migrations in a pgtest template:
//
//	//go:embed migrations/*.sql
//	var files embed.FS
//
//	func TestOrders(t *testing.T) {
//		migrations, _ := fs.Sub(files, "migrations")
//		db := pgtest.New(t, goosetest.Migrations(migrations))
//		...
//	}
//
// goose runs once per process; its result is kept across processes, keyed by the SQL
// files' contents (Go migrations registered with goose are not part of the key: add
// pgtest.WithTemplateKey with a version of your own when you have some).
package goosetest

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/pglite-go/pglite/test/pgtest"
	"github.com/pglite-go/pglite/test/pgtest/migrators/internal/dirhash"
)

// Migrations is a pgtest option whose template runs goose's Up over the migrations in
// fsys's top directory, through a database/sql pool of its own (goose's Provider, Postgres
// dialect, opts applied).
func Migrations(fsys fs.FS, opts ...goose.ProviderOption) pgtest.Option {
	key, keyErr := dirhash.Of(fsys)
	setup := func(ctx context.Context, conn *pgx.Conn) error {
		if keyErr != nil {
			return fmt.Errorf("goosetest: %w", keyErr)
		}
		db := stdlib.OpenDB(*conn.Config())
		defer db.Close()
		p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, opts...)
		if err != nil {
			return fmt.Errorf("goosetest: %w", err)
		}
		if _, err := p.Up(ctx); err != nil {
			return fmt.Errorf("goosetest: %w", err)
		}
		return nil
	}
	return pgtest.Options(pgtest.WithTemplate(setup), pgtest.WithTemplateKey("goose:"+key))
}
