// Package migrators holds pgtest adapters for migration tools, in a module of their own so
// that the core module does not depend on the tools: goosetest for
// github.com/pressly/goose/v3 and migratetest for github.com/golang-migrate/migrate/v4.
// Each returns a pgtest.Option that runs the tool's up migrations in the template, keyed
// by the migration files' contents, so that every test's database starts migrated and a
// warm `go test` run skips the migrations.
package migrators
