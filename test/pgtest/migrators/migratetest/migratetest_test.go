package migratetest_test

import (
	"context"
	"fmt"
	"testing"
	"testing/fstest"

	"github.com/pglite-go/pglite/test/pgtest"
	"github.com/pglite-go/pglite/test/pgtest/migrators/migratetest"
)

var migrations = fstest.MapFS{
	"1_users.up.sql":     {Data: []byte("create table users (id serial primary key, name text not null);")},
	"1_users.down.sql":   {Data: []byte("drop table users;")},
	"2_seed.up.sql":      {Data: []byte("insert into users (name) values ('ada'), ('grace');")},
	"2_seed.down.sql":    {Data: []byte("delete from users;")},
	"10_unique.up.sql":   {Data: []byte("create unique index users_name on users (name);")},
	"10_unique.down.sql": {Data: []byte("drop index users_name;")},
}

// TestMigrations: parallel tests each get a database golang-migrate has brought to its
// last version (10, after 2), clean, and their writes stay their own.
func TestMigrations(t *testing.T) {
	t.Setenv("PGLITE_TEMPLATE_CACHE", t.TempDir())
	t.Run("group", func(t *testing.T) {
		for i := range 4 {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				c := pgtest.New(t, migratetest.Migrations(migrations, nil)).Conn()
				if _, err := c.Exec(ctx, "insert into users (name) values ($1)", fmt.Sprint("u", i)); err != nil {
					t.Fatal(err)
				}
				if _, err := c.Exec(ctx, "insert into users (name) values ('ada')"); err == nil {
					t.Fatal("the unique index of migration 10 is missing")
				}
				var users, version int
				var dirty bool
				err := c.QueryRow(ctx, "select (select count(*) from users), version, dirty from schema_migrations").Scan(&users, &version, &dirty)
				if err != nil || users != 3 || version != 10 || dirty {
					t.Fatalf("users %d, version %d, dirty %v (%v)", users, version, dirty, err)
				}
			})
		}
	})
}
