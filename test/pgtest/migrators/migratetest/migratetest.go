// Package migratetest runs golang-migrate migrations in a pgtest template:
//
//	//go:embed migrations/*.sql
//	var files embed.FS
//
//	func TestOrders(t *testing.T) {
//		migrations, _ := fs.Sub(files, "migrations")
//		db := pgtest.New(t, migratetest.Migrations(migrations))
//		...
//	}
//
// The migrations (NNN_name.up.sql, NNN_name.down.sql) run up once per process; the result
// is kept across processes, keyed by the files' contents.
package migratetest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/golang-migrate/migrate/v4"
	migratepgx "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/pglite-go/pglite/test/pgtest"
	"github.com/pglite-go/pglite/test/pgtest/migrators/internal/dirhash"
)

// Migrations is a pgtest option whose template runs golang-migrate's Up over the
// migrations in fsys's top directory, through its pgx/v5 driver on a database/sql pool of
// its own. cfg configures the driver (nil: its defaults, table schema_migrations).
func Migrations(fsys fs.FS, cfg *migratepgx.Config) pgtest.Option {
	key, keyErr := dirhash.Of(fsys)
	if cfg != nil {
		key += fmt.Sprintf(";table=%s;schema=%s", cfg.MigrationsTable, cfg.SchemaName)
	}
	setup := func(ctx context.Context, conn *pgx.Conn) error {
		if keyErr != nil {
			return fmt.Errorf("migratetest: %w", keyErr)
		}
		c := &migratepgx.Config{}
		if cfg != nil {
			*c = *cfg
		}
		db := stdlib.OpenDB(*conn.Config())
		driver, err := migratepgx.WithInstance(db, c)
		if err != nil {
			db.Close()
			return fmt.Errorf("migratetest: %w", err)
		}
		src, err := iofs.New(fsys, ".")
		if err != nil {
			driver.Close()
			return fmt.Errorf("migratetest: %w", err)
		}
		m, err := migrate.NewWithInstance("iofs", src, "pgx5", driver)
		if err != nil {
			src.Close()
			driver.Close()
			return fmt.Errorf("migratetest: %w", err)
		}
		upErr := m.Up()
		srcErr, dbErr := m.Close() // closes the driver and db
		if upErr != nil && !errors.Is(upErr, migrate.ErrNoChange) {
			return fmt.Errorf("migratetest: %w", upErr)
		}
		return errors.Join(srcErr, dbErr)
	}
	return pgtest.Options(pgtest.WithTemplate(setup), pgtest.WithTemplateKey("golang-migrate:"+key))
}
