package test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pglite-go/pglite/actors"
)

// TestAuth_loginWhileBackendHeld: a password login does not wait for another client's open
// transaction: the role read at an earlier login is used while nothing that may change roles
// was seen since. After an ALTER ROLE, even uncommitted, a login waits for the backend and
// then sees the committed password.
func TestAuth_loginWhileBackendHeld(t *testing.T) {
	s := startServer(t, func(c *actors.Config) { c.Password = "shortcut" })
	admin := connect(t, s.tcpDSN("postgres", "shortcut", "postgres"))
	mustExec(t, admin, "create role app login password 'secret'")
	canConnect(t, s.tcpDSN("app", "secret", "postgres")) // read once, with the backend free

	holder := connect(t, s.tcpDSN("postgres", "shortcut", "postgres"))
	mustExec(t, holder, "begin")
	mustExec(t, holder, "select 1")
	login := func(password string) chan error {
		done := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, err := pgx.Connect(ctx, s.tcpDSN("app", password, "postgres"))
			if err == nil {
				c.Close(ctx)
			}
			done <- err
		}()
		return done
	}
	select {
	case err := <-login("secret"):
		if err != nil {
			t.Fatalf("login while another client holds a transaction: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the login waited for the other client's transaction")
	}

	mustExec(t, holder, "alter role app password 'changed'")
	waiting := login("changed")
	select {
	case err := <-waiting:
		t.Fatalf("a login after ALTER ROLE did not wait for the transaction: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
	mustExec(t, holder, "commit")
	if err := <-waiting; err != nil {
		t.Fatalf("login with the committed password: %v", err)
	}
	expectFatal(t, s.tcpDSN("app", "secret", "postgres"), "28P01", `password authentication failed for user "app"`)
}
