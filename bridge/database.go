package bridge

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/pglite-go/pglite/protocol"
)

// A cluster starts with the databases initdb makes (postgres, template0, template1). A server
// that serves another name, such as each database of a multi-database pglited, must be that
// database, not one called postgres under another name: current_database(),
// information_schema and ALTER DATABASE must see the name clients connect to. So the first
// boot of a new cluster creates it, as createdb would (from template1), and boots again
// connected to it.

// bootDatabase boots the backend connected to Config.Database. fresh says the cluster was
// just made from the template, so the database cannot exist yet; in an existing cluster it
// is created only if the backend cannot connect to it.
func (inst *Instance) bootDatabase(ctx context.Context, fresh bool) error {
	name := inst.cfg.database()
	if name == "postgres" {
		return inst.boot(ctx)
	}
	if !fresh {
		err := inst.boot(ctx)
		if err == nil {
			return nil
		}
		inst.dropProcess()
		inst.log.Info().Err(err).Str("database", name).Msg("booting into the database failed; creating it")
	}
	inst.cfg.Database = "postgres"
	err := inst.boot(ctx)
	inst.cfg.Database = name
	if err != nil {
		return err
	}
	if err := inst.createDatabase(name); err != nil {
		inst.dropProcess()
		return err
	}
	if err := inst.shutdownProcess(); err != nil {
		return err
	}
	return inst.boot(ctx)
}

// createDatabase runs CREATE DATABASE name on the booted backend.
func (inst *Instance) createDatabase(name string) error {
	q, _ := (&pgproto3.Query{String: "CREATE DATABASE " + protocol.QuoteIdent(name)}).Encode(nil)
	var scan protocol.BackendScanner
	var sqlErr error
	err := inst.Exec(context.Background(), q, func(b []byte) error {
		return scan.Feed(b, func(m []byte) error {
			if _, code, text, ok := protocol.ErrorFields(m); ok && protocol.KindOf(m) == protocol.KindError && sqlErr == nil {
				sqlErr = fmt.Errorf("bridge: create database %q: %s (SQLSTATE %s)", name, text, code)
			}
			return nil
		})
	})
	return errors.Join(err, sqlErr)
}

// shutdownProcess shuts the backend down cleanly, as Close does, but keeps the file system
// and the data directory's lock for the next boot.
func (inst *Instance) shutdownProcess() error {
	err := inst.runShutdown()
	inst.dropProcess()
	return err
}

// dropProcess frees the current process and forgets its failure.
func (inst *Instance) dropProcess() {
	if inst.proc != nil {
		inst.proc.Close()
		inst.proc = nil
	}
	inst.broken = nil
}
