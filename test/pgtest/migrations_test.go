package pgtest_test

import (
	"testing"
	"testing/fstest"

	"github.com/pglite-go/pglite/test/pgtest"
)

// migrationFS holds numbered migrations out of lexical order, a down migration that must
// not run, and a file that is no migration.
var migrationFS = fstest.MapFS{
	"1_users.sql":      {Data: []byte("create table users (id int primary key, name text); insert into users values (1, 'ada')")},
	"1_users.down.sql": {Data: []byte("drop table users")},
	"2_orders.sql":     {Data: []byte("create table orders (id int primary key, user_id int references users)")},
	"10_audit.sql":     {Data: []byte("alter table orders add column note text; insert into orders values (1, 1, 'after 2')")},
	"README.md":        {Data: []byte("not a migration")},
}

// TestWithMigrations: the files run in the order of their numbers (10 after 2), the down
// migration does not run, and every database starts migrated.
func TestWithMigrations(t *testing.T) {
	t.Setenv("PGLITE_TEMPLATE_CACHE", t.TempDir())
	db := pgtest.New(t, pgtest.WithMigrations(migrationFS))
	var name, note string
	err := db.Conn().QueryRow(ctxT(t), "select u.name, o.note from orders o join users u on u.id = o.user_id").Scan(&name, &note)
	if err != nil || name != "ada" || note != "after 2" {
		t.Fatalf("got %q %q (%v)", name, note, err)
	}
}

// TestWithMigrationsError: a failing migration fails the template with the file's name.
func TestWithMigrationsError(t *testing.T) {
	t.Setenv("PGLITE_TEMPLATE_CACHE", t.TempDir())
	bad := fstest.MapFS{"1_ok.sql": {Data: []byte("create table a (x int)")}, "2_bad.sql": {Data: []byte("create table a (x int)")}}
	_, err := pgtest.Open(ctxT(t), pgtest.WithMigrations(bad))
	if err == nil || !contains(err.Error(), "2_bad.sql") || !contains(err.Error(), "already exists") {
		t.Fatalf("err = %v, want the failing file named", err)
	}
}
