package pgtest

import (
	"context"
	"fmt"
	"io/fs"
	"reflect"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pglite-go/pglite"
)

// Option changes what New starts from.
type Option func(*settings)

type settings struct {
	setup      pglite.SetupFunc
	key        string
	migrations fs.FS
	server     map[string]string // WithSetting
	tcp        bool
}

// WithTemplate makes the database start from the state setup leaves, typically migrations
// and seed data. setup runs once per process per function (templates are keyed by the
// function's code, so use a named function or a package-level variable; closures of one
// function literal share one template, unless WithTemplateKey names them apart); every
// database is then a clone of its result. setup may open more connections of its own,
// through conn.Config() or by URL (see pglite.NewTemplate), and may create extensions and
// PL/pgSQL functions and triggers.
func WithTemplate(setup func(ctx context.Context, conn *pgx.Conn) error) Option {
	return func(s *settings) { s.setup = setup }
}

// WithTemplateKey names the template that WithTemplate's setup (and WithMigrations) make,
// and keeps it across processes: a later `go test` run boots the cached result instead of
// running setup again (see pglite.CachedTemplate). key must change whenever what setup
// does changes; a hash of the migration files is a good key. Setups with the same key
// share one template, in a process and across processes.
func WithTemplateKey(key string) Option { return func(s *settings) { s.key = key } }

// WithMigrations runs plain SQL migrations in the template, before WithTemplate's setup if
// there is one: every file of fsys's top directory whose name ends in .sql, except
// .down.sql files, in the order of the number its name starts with (then by name), each
// file as one simple-protocol query, which PostgreSQL runs as one transaction unless the
// file has its own BEGIN and COMMIT. Use fs.Sub for a subdirectory. Without WithTemplate,
// the files' contents are the key that keeps the template across processes (as
// WithTemplateKey does), so a warm run skips the migrations.
func WithMigrations(fsys fs.FS) Option { return func(s *settings) { s.migrations = fsys } }

// WithSetting sets a server setting, such as work_mem or a shared_buffers-like one that
// needs a restart: the database boots with it (as with postgres -c name=value), so it is
// what RESET returns to and what every connection, psql's too, starts with. Settings are
// part of the template's identity: each distinct set costs one boot per process.
func WithSetting(name, value string) Option {
	return func(s *settings) {
		if s.server == nil {
			s.server = map[string]string{}
		}
		s.server[name] = value
	}
}

// WithTCP also serves the database on a TCP port of 127.0.0.1, for tools that connect by
// address; DSN then names it. By default the database is reached in-process (Conn, SQL,
// Pool, Dial) or through a Unix socket in a private directory.
func WithTCP() Option { return func(s *settings) { s.tcp = true } }

// Options combines options into one, for helpers that return a single Option (the goose
// and golang-migrate adapters do).
func Options(opts ...Option) Option {
	return func(s *settings) {
		for _, o := range opts {
			o(s)
		}
	}
}

// serverSettings are WithSetting's settings as pglite.Options.Settings, in a stable order.
func (s *settings) serverSettings() []string {
	var out []string
	for k, v := range s.server {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// templateKey identifies the template in this process; cacheKey, when not empty, keys it
// across processes too.
func (s *settings) keys() (templateKey, cacheKey string, err error) {
	var mig string
	if s.migrations != nil {
		if mig, err = migrationsHash(s.migrations); err != nil {
			return "", "", err
		}
	}
	switch {
	case s.key != "" && (s.setup != nil || mig != ""):
		cacheKey = "key:" + s.key + ";migrations:" + mig
	case s.setup == nil && mig != "":
		cacheKey = "migrations:" + mig
	}
	templateKey = "settings:" + strings.Join(s.serverSettings(), "\x00") + ";"
	switch {
	case cacheKey != "":
		templateKey += cacheKey
	case s.setup != nil:
		templateKey += fmt.Sprintf("func:%x;migrations:%s", reflect.ValueOf(s.setup).Pointer(), mig)
	}
	return templateKey, cacheKey, nil
}

// templateSetup is what the template runs: the migrations, then the setup.
func (s *settings) templateSetup() pglite.SetupFunc {
	if s.migrations == nil {
		return s.setup
	}
	fsys, setup := s.migrations, s.setup
	return func(ctx context.Context, conn *pgx.Conn) error {
		if err := runMigrations(ctx, conn, fsys); err != nil {
			return err
		}
		if setup != nil {
			return setup(ctx, conn)
		}
		return nil
	}
}
