package goosetest_test

import (
	"context"
	"fmt"
	"testing"
	"testing/fstest"

	"github.com/pglite-go/pglite/test/pgtest"
	"github.com/pglite-go/pglite/test/pgtest/migrators/goosetest"
)

var migrations = fstest.MapFS{
	"00001_users.sql": {Data: []byte(`-- +goose Up
create table users (id serial primary key, name text not null);
-- +goose Down
drop table users;
`)},
	"00002_seed.sql": {Data: []byte(`-- +goose Up
-- +goose StatementBegin
create function greet(n text) returns text language plpgsql as $$
begin
	return 'hello, ' || n;
end $$;
-- +goose StatementEnd
insert into users (name) values ('ada'), ('grace');
-- +goose Down
delete from users;
drop function greet;
`)},
}

// TestMigrations: parallel tests each get a database goose has migrated, with goose's
// version table, and their writes stay their own.
func TestMigrations(t *testing.T) {
	t.Setenv("PGLITE_TEMPLATE_CACHE", t.TempDir())
	t.Run("group", func(t *testing.T) {
		for i := range 4 {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				c := pgtest.New(t, goosetest.Migrations(migrations)).Conn()
				if _, err := c.Exec(ctx, "insert into users (name) values ($1)", fmt.Sprint("u", i)); err != nil {
					t.Fatal(err)
				}
				var users, version int
				var hello string
				err := c.QueryRow(ctx, "select (select count(*) from users), (select max(version_id) from goose_db_version), greet('test')").Scan(&users, &version, &hello)
				if err != nil || users != 3 || version != 2 || hello != "hello, test" {
					t.Fatalf("users %d, version %d, %q (%v)", users, version, hello, err)
				}
			})
		}
	})
}
