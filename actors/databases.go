package actors

import (
	"fmt"
	"path/filepath"
	"regexp"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/pglite-go/pglite/protocol"
)

// DatabasesConfig turns on serving several independent databases, each in its own Bridge
// actor and PostgreSQL instance, chosen by the startup packet's database name. A crash in
// one restarts only that one.
type DatabasesConfig struct {
	Enabled bool
	// Declared databases exist from the start (their instances boot on first connect).
	Declared []string
	// CreateOnConnect creates any other valid name on first connect, from the template.
	CreateOnConnect bool
	// IdleTimeout stops a database's instance after this long without sessions, freeing
	// its memory; the next connection boots it again. An in-memory database keeps its
	// files meanwhile. Zero keeps instances running.
	IdleTimeout time.Duration
}

// databaseNameRE limits names to what is safe as a directory name.
var databaseNameRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$`)

// database is the Supervisor's record of one database in multi-database mode.
type database struct {
	name     string
	pid      *actor.PID // nil while stopped
	shared   *bridgeShared
	waiters  []*actor.PID // lookups that arrived while it was stopping
	stopping bool
}

// lookup finds or starts the Bridge of a database.
func (s *supervisorActor) lookup(ctx actor.Context, m *lookupBridge) {
	db := s.dbs[m.Database]
	if db == nil {
		if !s.cfg.Databases.CreateOnConnect || !databaseNameRE.MatchString(m.Database) {
			ctx.Respond(&bridgeFound{Fatal: protocol.FatalError("3D000", fmt.Sprintf("database %q does not exist", m.Database))})
			return
		}
		db = &database{name: m.Database, shared: &bridgeShared{}}
		s.dbs[m.Database] = db
		s.log.Info().Str("database", m.Database).Msg("creating database")
	}
	if db.stopping {
		db.waiters = append(db.waiters, ctx.Sender())
		return
	}
	if db.pid == nil {
		s.spawnDatabase(ctx, db)
	}
	ctx.Respond(&bridgeFound{PID: db.pid})
}

// spawnDatabase starts a Bridge for one database, with its own data directory.
func (s *supervisorActor) spawnDatabase(ctx actor.Context, db *database) {
	cfg := *s.cfg
	cfg.routeName = db.name
	cfg.Bridge.Database = db.name // the instance is that database, under its own name
	if cfg.Bridge.DataDir != "" {
		cfg.Bridge.DataDir = filepath.Join(s.cfg.Bridge.DataDir, db.name)
	}
	shared := db.shared
	db.pid = ctx.Spawn(actor.PropsFromProducer(func() actor.Actor { return newBridgeActor(&cfg, shared) }, inline))
	s.byPID[db.pid.Id] = db
}

// idle stops a database's instance cleanly; its record stays for the next connection.
func (s *supervisorActor) idle(ctx actor.Context, m *bridgeIdle) {
	db := s.dbs[m.name]
	if db == nil || db.pid == nil || db.stopping || s.shuttingDown {
		return
	}
	s.log.Info().Str("database", db.name).Msg("stopping idle database")
	db.stopping = true
	ctx.Request(db.pid, &ShutdownRequest{Deadline: time.Second})
}

// stopped handles a Bridge's end in multi-database mode: after an idle stop it serves the
// lookups that waited; after a failure past the restart limit only that database is gone.
func (s *supervisorActor) databaseStopped(ctx actor.Context, pid *actor.PID) {
	db := s.byPID[pid.Id]
	if db == nil {
		return
	}
	delete(s.byPID, pid.Id)
	db.pid = nil
	if !db.stopping && !s.shuttingDown {
		s.log.Error().Str("database", db.name).Msg("the database instance keeps failing; it is stopped until its next connection")
	}
	if db.stopping {
		ctx.ActorSystem().EventStream.Publish(&DatabaseStopped{Name: db.name})
	}
	db.stopping = false
	if len(db.waiters) > 0 {
		s.spawnDatabase(ctx, db)
		for _, w := range db.waiters {
			ctx.Send(w, &bridgeFound{PID: db.pid})
		}
		db.waiters = nil
	}
}

// shutdownDatabases drains every running Bridge; the Supervisor finishes when all replied.
func (s *supervisorActor) shutdownDatabases(ctx actor.Context, m *ShutdownRequest) {
	for _, db := range s.dbs {
		if db.pid != nil {
			s.pendingStops++
			ctx.Request(db.pid, m)
		}
	}
}
