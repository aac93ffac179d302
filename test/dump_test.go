package test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pglite-go/pglite"
)

// dumpSchema has every type the client tests exchange and then some (each with values that
// stress its text form: NaN and infinities, -0, escapes, unicode, arrays of two
// dimensions, ranges), two extensions (hstore for a type, pgcrypto for a function), a
// sequence with a current value, an identity, a serial and a generated column, check,
// unique, foreign-key and exclusion constraints, btree, partial, expression, GIN and hash
// indexes, a view, a materialized view, SQL and PL/pgSQL functions, a trigger, an enum, a
// composite type, a domain and comments.
const dumpSchema = `
create extension hstore;
create extension pgcrypto;
create type mood as enum ('sad', 'ok', 'happy');
create type pair as (a int, b text);
create domain posint as int check (value > 0);
create sequence ticket_seq start 100 increment 5;
select setval('ticket_seq', 1234);
create sequence untouched_seq;
create table kinds (
  id int generated always as identity primary key,
  b bool, i2 smallint, i4 int, i8 bigint, n numeric(12,4), nx numeric,
  r real, d double precision, m money,
  t text, vc varchar(20), c char(5), ch "char", nm name,
  ba bytea,
  dt date, tm time, ttz timetz, ts timestamp, tstz timestamptz, iv interval,
  u uuid, j json, jb jsonb, x xml,
  ip inet, cidr_ cidr, mac macaddr, mac8 macaddr8,
  pt point, ln line, ls lseg, bx box, pth path, pg polygon, ci circle,
  bt bit(4), vb varbit,
  tv tsvector, tq tsquery,
  ia int[], ta text[][],
  r4 int4range, nr numrange, tr tstzrange, dr daterange, mr int4multirange,
  o oid, lsn pg_lsn,
  mo mood, pr pair, pi posint,
  hs hstore,
  ticket int default nextval('ticket_seq'),
  tlen int generated always as (length(t)) stored
);
insert into kinds (b, i2, i4, i8, n, nx, r, d, m, t, vc, c, ch, nm, ba, dt, tm, ttz, ts, tstz, iv,
  u, j, jb, x, ip, cidr_, mac, mac8, pt, ln, ls, bx, pth, pg, ci, bt, vb, tv, tq, ia, ta,
  r4, nr, tr, dr, mr, o, lsn, mo, pr, pi, hs) values
 (true, -32768, 2147483647, -9223372036854775808, 12345678.1234, 'NaN', 'Infinity', '-0', 12.5,
  e'tab\there\nnewline \\ backslash ''quote'' é 🐘', 'varchar', 'ab', 'x', 'a_name',
  '\x00ff10'::bytea, 'infinity', '23:59:59.999999', '12:00+05:30', '2000-02-29 01:02:03.456789',
  '1999-12-31 23:59:59+00', '1 year 2 mons -3 days 04:05:06.7',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2.50, null]}', '{"b": {"c": true}, "a": 1}', '<r a="1">x</r>',
  '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03', '08:00:2b:01:02:03:04:05',
  '(1.5,-2)', '{1,-1,0}', '[(0,0),(1,1)]', '(2,2),(0,0)', '[(0,0),(1,1),(2,0)]', '((0,0),(1,1),(1,0))', '<(0,0),2>',
  B'1010', B'110011', 'a fat cat:2 sat', 'fat & (rat | cat)', '{1,NULL,3}', '{{a,b},{"c d","e,f"}}',
  '[1,10)', '(0.5,1.5]', '[2020-01-01 00:00+00,2021-01-01 00:00+00)', '[2020-01-01,infinity)', '{[1,3),[5,7)}',
  4294967295, '16/B374D848', 'happy', '(1,"x y")', 7, 'a=>1, "b c"=>NULL'),
 (false, 0, 0, 0, 0, '1e-30', '-Infinity', 'NaN', -0.01,
  '', '', '', '', '', '', '-infinity', '00:00', '00:00-12', '-infinity', 'infinity', '-178000000 years',
  '00000000-0000-0000-0000-000000000000', 'null', '[]', '<e/>',
  '::1', '::/0', '00:00:00:00:00:00', '00:00:00:00:00:00:00:00',
  '(0,0)', '{0,1,0}', '[(0,0),(0,0)]', '(0,0),(0,0)', '((0,0))', '((0,0))', '<(0,0),0>',
  B'0000', B'', '', 'x', '{}', '{}',
  'empty', '(,)', 'empty', '(,)', '{}', 0, '0/0', 'sad', '(,)', 1, ''),
 (null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
  null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
  null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
create table owners (id serial primary key, name text not null unique, email text check (email like '%@%'));
create table pets (
  id bigint primary key, owner_id int references owners(id) on delete cascade,
  name text not null, tags text[], born date, stay tstzrange,
  exclude using gist (stay with &&)
);
create index pets_owner on pets(owner_id, name);
create unique index pets_name_lower on pets(lower(name)) where owner_id is not null;
create index kinds_jb on kinds using gin(jb);
create index kinds_tv on kinds using gin(tv);
create index kinds_u on kinds using hash(u);
insert into owners (name, email) select 'owner ' || g, 'o' || g || '@example.com' from generate_series(1, 50) g;
insert into pets select g, 1 + g % 50, 'pet ' || g, array['t' || g % 3], date '2020-01-01' + g,
  tstzrange(timestamptz '2020-01-01 00:00+00' + g * interval '1 day', timestamptz '2020-01-01 00:00+00' + (g + 1) * interval '1 day')
  from generate_series(1, 500) g;
create function owner_label(o owners) returns text language sql immutable as $$ select o.name || ' <' || o.email || '>' $$;
create function stamp() returns trigger language plpgsql as $$
begin
  new.name := initcap(new.name);
  return new;
end $$;
create trigger pets_stamp before insert or update on pets for each row execute function stamp();
create function hashed(t text) returns text language sql immutable as $$ select encode(digest(t, 'sha256'), 'hex') $$;
create view owner_pets as select o.id, owner_label(o) as label, count(p.id) as pets
  from owners o left join pets p on p.owner_id = o.id group by o.id;
create materialized view pet_counts as select owner_id, count(*) as n from pets group by owner_id;
comment on table pets is 'every pet, with its stay';
comment on column owners.email is 'where to write';
`

// catalogQueries describe a database as \d and friends would, in a stable order. The
// "constraints" query leaves out NOT NULL constraints, which PostgreSQL 18 keeps in
// pg_constraint and 15 does not; attnotnull in "columns" covers them on both.
var catalogQueries = map[string]string{
	"columns": `select c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
		coalesce(pg_get_expr(d.adbin, d.adrelid), ''), a.attidentity, a.attgenerated
		from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
		left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
		where n.nspname = 'public' and a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'v', 'm')
		order by 1, a.attnum`,
	"constraints": `select conrelid::regclass::text, conname, pg_get_constraintdef(oid) from pg_constraint
		where connamespace = 'public'::regnamespace and contype <> 'n' order by 1, 2`,
	"indexes": `select tablename, indexname, indexdef from pg_indexes where schemaname = 'public' order by 1, 2`,
	// PostgreSQL 15 deparses a column of a view's only table as pets.owner_id, 16 and later as
	// owner_id: the definitions are compared without table names before a column.
	"views": `select c.relname, c.relkind, regexp_replace(pg_get_viewdef(c.oid), '\m(pets|owners)\.', '', 'g')
		from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind in ('v', 'm') order by 1`,
	"functions": `select p.proname, pg_get_function_identity_arguments(p.oid), pg_get_function_result(p.oid), p.prosrc from pg_proc p where p.pronamespace = 'public'::regnamespace
		and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e') order by 1, 2`,
	"triggers":   `select tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) from pg_trigger where not tgisinternal order by 1, 2`,
	"sequences":  `select sequencename, start_value, increment_by, coalesce(last_value::text, 'not called') from pg_sequences where schemaname = 'public' order by 1`,
	"extensions": `select extname from pg_extension order by 1`,
	"types": `select t.typname, t.typtype, coalesce(string_agg(e.enumlabel, ',' order by e.enumsortorder), ''),
		coalesce(pg_get_constraintdef(c.oid), '') from pg_type t left join pg_enum e on e.enumtypid = t.oid
		left join pg_constraint c on c.contypid = t.oid
		where t.typnamespace = 'public'::regnamespace and t.typtype in ('e', 'c', 'd') and t.typrelid = 0 or
		  t.typnamespace = 'public'::regnamespace and t.typtype = 'c' and exists (select 1 from pg_class r where r.oid = t.typrelid and r.relkind = 'c')
		group by t.typname, t.typtype, c.oid order by 1`,
	"comments": `select coalesce(obj_description('pets'::regclass, 'pg_class'), ''), coalesce(col_description('owners'::regclass, 3), '')`,
	"rows": `select 'kinds', count(*), md5(string_agg(k::text, '|' order by k.id)) from kinds k
		union all select 'owners', count(*), md5(string_agg(o::text, '|' order by o.id)) from owners o
		union all select 'pets', count(*), md5(string_agg(p::text, '|' order by p.id)) from pets p
		union all select 'pet_counts', count(*), md5(string_agg(c::text, '|' order by c.owner_id)) from pet_counts c
		union all select 'owner_pets', count(*), md5(string_agg(v::text, '|' order by v.id)) from owner_pets v
		union all select 'hashed', 1, hashed('x')`,
}

// describe runs catalogQueries, in UTC so that timestamptz values print the same everywhere.
func describe(t *testing.T, dsn string) map[string]string {
	t.Helper()
	ctx := ctxT(t)
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(ctx, "set timezone = 'UTC'; set extra_float_digits = 1"); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for name, q := range catalogQueries {
		rows, err := c.Query(ctx, q, pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var b strings.Builder
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			fmt.Fprintln(&b, vals...)
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = b.String()
	}
	return out
}

// compareDescriptions fails on every part of want that got lacks or differs in.
func compareDescriptions(t *testing.T, want, got map[string]string) {
	t.Helper()
	for name, w := range want {
		if g := got[name]; g != w {
			t.Errorf("%s differ after the restore:\n--- original\n%s--- restored\n%s", name, w, g)
		}
	}
}

func startForDump(t *testing.T) *pglite.Server {
	t.Helper()
	s, err := pglite.Start(ctxT(t), pglite.Options{})
	if err != nil {
		t.Skipf("pglite: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestDump_roundTrip(t *testing.T) {
	if _, err := exec.LookPath("psql"); err != nil {
		t.Skip("psql not installed (make test installs postgresql-client)")
	}
	src := startForDump(t)
	c, err := src.Connect(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctxT(t), dumpSchema, pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatal(err)
	}
	c.Close(context.Background())
	want := describe(t, src.DSN())
	for name, w := range want {
		if w == "" {
			t.Fatalf("the %s of the source are empty: the comparison would prove nothing", name)
		}
	}

	var dump bytes.Buffer
	start := time.Now()
	if err := src.Dump(ctxT(t), &dump); err != nil {
		t.Fatal(err)
	}
	t.Logf("dump: %d bytes in %v", dump.Len(), time.Since(start).Round(time.Millisecond))
	file := filepath.Join(t.TempDir(), "dump.sql")
	if err := os.WriteFile(file, dump.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("dump in %s", file)
	// ticket_seq: setval 1234, then three rows took a number each, by 5.
	for _, s := range []string{"-- Dumped by pg_dump version 18.3", "CREATE EXTENSION IF NOT EXISTS hstore",
		"SELECT pg_catalog.setval('public.ticket_seq', 1249, true);", "COPY public.pets"} {
		if !strings.Contains(dump.String(), s) {
			t.Fatalf("the dump lacks %q:\n%s", s, dump.String())
		}
	}
	if again := describe(t, src.DSN()); again["rows"] != want["rows"] {
		t.Fatalf("the dump changed the source:\n%s\n%s", want["rows"], again["rows"])
	}

	t.Run("pglite", func(t *testing.T) {
		dst := startForDump(t)
		stderr, err := restore(dst.DSN(), file, "-v", "ON_ERROR_STOP=1")
		if err != nil || stderr != "" {
			t.Fatalf("psql restore into pglite-go: %v\n%s", err, stderr)
		}
		compareDescriptions(t, want, describe(t, dst.DSN()))
	})

	t.Run("native PostgreSQL", func(t *testing.T) {
		pg := startNativePostgres(t)
		stderr, err := restore(pg.dsn, file)
		if err != nil {
			t.Fatalf("psql restore into PostgreSQL %s: %v\n%s", pg.version, err, stderr)
		}
		// psql goes on past errors (no ON_ERROR_STOP): the only ones allowed are the lines
		// of a PostgreSQL 18 dump that PostgreSQL 15 does not know.
		known := 0
		for _, line := range strings.Split(stderr, "\n") {
			switch {
			case line == "":
			case knownOnOlderServer(line):
				known++
			default:
				t.Errorf("restore into PostgreSQL %s: %s", pg.version, line)
			}
		}
		t.Logf("restore into PostgreSQL %s: %d known error line(s) of a newer dump", pg.version, known)
		compareDescriptions(t, want, describe(t, pg.dsn))
	})
}

// restore runs a script with psql and returns what it wrote to stderr (the script's
// setval calls print their results to stdout).
func restore(dsn, file string, args ...string) (string, error) {
	cmd := exec.Command("psql", append([]string{"-X", "-q", "-d", dsn, "-f", file}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	return strings.TrimSpace(stderr.String()), err
}

// knownOnOlderServer reports the errors a PostgreSQL 18 dump gets from an older server:
// pg_dump 18 sets transaction_timeout (new in 17) at the top of every script.
func knownOnOlderServer(line string) bool {
	return strings.HasSuffix(line, `ERROR:  unrecognized configuration parameter "transaction_timeout"`)
}
