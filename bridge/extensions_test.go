package bridge

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

// extStep is one simple query and the rows it must return, as fmt.Sprint([][]string).
type extStep struct {
	sql  string
	want string
}

// extCase exercises one extension: setup runs once on a new database (it holds the CREATE
// EXTENSION); checks run right after it and again after a restart, without CREATE.
type extCase struct {
	name    string
	lib     string // side module that must be loaded again after the restart; "" for none
	preload []string
	setup   string
	checks  []extStep
}

// vectorQuery is the query point of the pgvector test; vectorTop10 is the brute-force
// order of the 1,000 points around it (also checked independently in float32 arithmetic).
const (
	vectorQuery = "'[0.5,-0.25,0.1]'"
	vectorTop10 = "[[76,453,830,103,480,857,767,390,13,794]]"
)

var extCases = []extCase{
	{
		name: "pgvector", lib: "vector",
		setup: `create extension vector;
			create table items(id int primary key, v vector(3));
			insert into items select i, format('[%s,%s,%s]', sin(i), cos(i * 1.3), sin(i * 0.7))::vector
				from generate_series(1, 1000) i;
			create index items_v_idx on items using hnsw (v vector_l2_ops)`,
		checks: []extStep{
			{"set enable_seqscan = off; explain (costs off) select id from items order by v <-> " + vectorQuery + " limit 10",
				"[[Limit] [  ->  Index Scan using items_v_idx on items] [        Order By: (v <-> '[0.5,-0.25,0.1]'::vector)]]"},
			{"select string_agg(id::text, ',') from (select id from items order by v <-> " + vectorQuery + " limit 10) s", vectorTop10},
			// Brute force: OFFSET 0 keeps the subquery from being flattened into an index scan.
			{"select string_agg(id::text, ',') from (select id from (select id, v <-> " + vectorQuery +
				" as d from items offset 0) s order by d, id limit 10) t", vectorTop10},
		},
	},
	{
		name:  "pgtap",
		setup: "create extension pgtap",
		checks: []extStep{
			{"select plan(2); select ok(true); select is(1,1); select * from finish();", "[[1..2] [ok 1] [ok 2]]"},
		},
	},
	{
		name: "hstore", lib: "hstore",
		setup: "create extension hstore; create table h(x hstore); insert into h values ('a=>1,b=>2')",
		checks: []extStep{
			{"select x -> 'b', 'k=>v'::hstore -> 'k' from h", "[[2 v]]"},
		},
	},
	{
		name: "pg_trgm", lib: "pg_trgm",
		setup: "create extension pg_trgm",
		checks: []extStep{
			{"select similarity('word', 'two words')", "[[0.36363637]]"},
		},
	},
	{
		name: "pgcrypto", lib: "pgcrypto",
		setup: "create extension pgcrypto",
		checks: []extStep{
			{"select encode(digest('abc', 'sha256'), 'hex'), crypt('pw', '$1$saltsalt')",
				"[[ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad $1$saltsalt$6SNdNaZLKst2LlSm7oPPL1]]"},
			{"select crypt('pw', h) = h, length(h) from (select crypt('pw', gen_salt('bf', 4)) h) s", "[[t 60]]"},
		},
	},
	{
		name: "uuid-ossp", lib: "uuid-ossp",
		setup: `create extension "uuid-ossp"`,
		checks: []extStep{
			{"select uuid_generate_v4()::text ~ '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$', " +
				"uuid_generate_v5(uuid_ns_url(), 'http://www.postgresql.org')", "[[t e1ee1ad4-cd4e-5889-962a-4f605a68d94e]]"},
		},
	},
	{
		name: "ltree", lib: "ltree",
		setup: "create extension ltree",
		checks: []extStep{
			{"select 'Top.Science'::ltree @> 'Top.Science.Astronomy'::ltree, 'Top.Art'::ltree @> 'Top.Science'::ltree", "[[t f]]"},
		},
	},
	{
		name: "cube", lib: "cube",
		setup: "create extension cube",
		checks: []extStep{
			{"select cube_distance('(0,0)'::cube, '(3,4)'::cube)", "[[5]]"},
		},
	},
	{
		name: "citext", lib: "citext",
		setup: "create extension citext",
		checks: []extStep{
			{"select 'ABC'::citext = 'abc'::citext, 'ABC'::citext = 'abd'::citext", "[[t f]]"},
		},
	},
	{
		name: "fuzzystrmatch", lib: "fuzzystrmatch",
		setup: "create extension fuzzystrmatch",
		checks: []extStep{
			{"select levenshtein('kitten', 'sitting'), soundex('Robert')", "[[3 R163]]"},
		},
	},
	{
		name: "tablefunc", lib: "tablefunc",
		setup: "create extension tablefunc",
		checks: []extStep{
			{`select * from crosstab('select r, c, v from (values (''a'',''x'',1), (''a'',''y'',2), (''b'',''x'',3), (''b'',''y'',4)) t(r, c, v) order by 1, 2')
				as ct(r text, x int, y int)`, "[[a 1 2] [b 3 4]]"},
		},
	},
	{
		name: "unaccent", lib: "unaccent",
		setup: "create extension unaccent",
		checks: []extStep{
			{"select unaccent('Hôtel')", "[[Hotel]]"},
		},
	},
	{
		name: "age", lib: "age",
		setup: `create extension age; load 'age'; set search_path = ag_catalog, "$user", public;
			select create_graph('graph');
			select * from cypher('graph', $$ create (:Person {name: 'Ann'})-[:KNOWS]->(:Person {name: 'Bob'}) $$) as (v agtype)`,
		checks: []extStep{
			{`load 'age'; set search_path = ag_catalog, "$user", public;
				select * from cypher('graph', $$ match (a:Person)-[:KNOWS]->(b:Person) return a.name, b.name $$) as (a agtype, b agtype)`,
				`[["Ann" "Bob"]]`},
		},
	},
	{
		name: "pg_ivm", lib: "pg_ivm",
		setup: `create extension pg_ivm; create table base(id int primary key, v int); insert into base values (1, 10);
			select pgivm.create_immv('mv', 'select count(*) as n, sum(v) as s from base')`,
		checks: []extStep{
			{"select n, s from mv", "[[1 10]]"},
			{"insert into base values (2, 5); select n, s from mv; delete from base where id = 2; select n, s from mv", "[[2 15] [1 10]]"},
		},
	},
	{
		name: "pg_uuidv7", lib: "pg_uuidv7",
		setup: "create extension pg_uuidv7",
		checks: []extStep{
			{"select uuid_v7_to_timestamptz(uuid_timestamptz_to_v7('2024-01-02 03:04:05.678+00')), " +
				"uuid_timestamptz_to_v7('2024-01-01') < uuid_timestamptz_to_v7('2024-01-02')", "[[2024-01-02 03:04:05.678+00 t]]"},
			{`create temp table u(n int, id uuid); insert into u values (1, uuid_generate_v7()); select pg_sleep(0.005);
				insert into u values (2, uuid_generate_v7()); select array_agg(n order by id) from u; drop table u`, "[[] [{1,2}]]"},
		},
	},
	{
		name: "pg_hashids", lib: "pg_hashids",
		setup: "create extension pg_hashids",
		checks: []extStep{
			{"select id_encode(12345), id_decode(id_encode(12345)), id_decode_once(id_encode(12345, 'salt'), 'salt')", "[[j0gW {12345} 12345]]"},
		},
	},
	{
		name: "pg_textsearch", lib: "pg_textsearch", preload: []string{"pg_textsearch"},
		setup: `create extension pg_textsearch;
			create table docs(id int, content text);
			insert into docs values (1, 'the quick brown fox'), (2, 'postgres database systems and database design'), (3, 'a database');
			create index docs_idx on docs using bm25(content) with (text_config = 'english')`,
		checks: []extStep{
			{"select string_agg(id::text, ',') from (select id from docs order by content <@> to_bm25query('database', 'docs_idx') limit 3) s", "[[3,2,1]]"},
		},
	},
	{
		name: "pg_stat_statements", lib: "pg_stat_statements", preload: []string{"pg_stat_statements"},
		setup: "create extension pg_stat_statements",
		checks: []extStep{
			{"select count(*) from (select pg_stat_statements_reset()) r; select 42 as answer_x; " +
				"select calls from pg_stat_statements where query like '%answer_x%' and query not like '%pg_stat_statements%'",
				"[[1] [42] [1]]"},
		},
	},
}

func needExtensionAssets(t *testing.T) {
	t.Helper()
	a, err := LoadAssets("")
	if err != nil {
		t.Skipf("assets: %v", err)
	}
	if !slices.Contains(a.Extensions(), "vector") || !slices.Contains(a.Extensions(), "hstore") {
		t.Skip("extension bundles missing (run `make assets`)")
	}
}

func runExtSteps(t *testing.T, inst *Instance, steps []extStep) {
	t.Helper()
	for _, s := range steps {
		if got := fmt.Sprint(query(t, inst, s.sql)); got != s.want {
			t.Errorf("%s\n got %s\nwant %s", s.sql, got, s.want)
		}
	}
}

func loaded(inst *Instance, lib string) bool {
	return slices.Contains(inst.Process().Libraries(), "/pglite/lib/postgresql/"+lib+".so")
}

// TestExtensions runs every extension case on a fresh in-memory database, and on a host
// data directory before and after a restart.
func TestExtensions(t *testing.T) {
	needExtensionAssets(t)
	for _, c := range extCases {
		t.Run(c.name+"/fresh", func(t *testing.T) {
			inst := openTest(t, Config{Preload: c.preload})
			query(t, inst, c.setup)
			runExtSteps(t, inst, c.checks)
		})
		t.Run(c.name+"/restart", func(t *testing.T) {
			// fsync=off: durability is tested elsewhere; here it would only add seconds.
			cfg := Config{DataDir: t.TempDir(), Preload: c.preload, Settings: []string{"fsync=off"}}
			inst := openTest(t, cfg)
			query(t, inst, c.setup)
			runExtSteps(t, inst, c.checks)
			if err := inst.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			inst = openTest(t, cfg)
			if c.lib != "" && loaded(inst, c.lib) && !slices.Contains(c.preload, c.lib) {
				t.Fatalf("%s.so loaded before use", c.lib)
			}
			runExtSteps(t, inst, c.checks)
			if c.lib != "" && !loaded(inst, c.lib) {
				t.Fatalf("%s.so not loaded after restart: %v", c.lib, inst.Process().Libraries())
			}
		})
	}
}

// errorOf runs sql and returns its ErrorResponse (nil if none) and the final ReadyForQuery.
func errorOf(t *testing.T, inst *Instance, sql string) (*pgproto3.ErrorResponse, []pgproto3.BackendMessage) {
	t.Helper()
	msgs := exchange(t, inst, &pgproto3.Query{String: sql})
	if z, ok := msgs[len(msgs)-1].(*pgproto3.ReadyForQuery); !ok || z.TxStatus != 'I' {
		t.Fatalf("%s: last message %#v", sql, msgs[len(msgs)-1])
	}
	for _, m := range msgs {
		if e, ok := m.(*pgproto3.ErrorResponse); ok {
			return e, msgs
		}
	}
	return nil, msgs
}

// TestExtension_conversionModules: the encoding conversion modules import functions
// pglite.wasm does not export (contract §9.15). The host provides the simple ones, so LATIN1
// converts as in PostgreSQL, with its errors (the radix-tree converters are covered by
// radixconv_test.go); the modules that still lack symbols (the MULE_INTERNAL and
// LATIN2-WIN1250 ones) load strictly, so using one fails with an SQL error naming the library
// and the symbol, at top level, inside a PL/pgSQL exception block (a longjmp through
// invoke_*) and in a transaction. The instance stays healthy.
func TestExtension_conversionModules(t *testing.T) {
	inst := openTest(t, Config{Extensions: []string{}})
	if rows := query(t, inst, "select convert_to('é', 'LATIN1'), convert_from('\\xe9', 'LATIN1')"); fmt.Sprint(rows) != `[[\xe9 é]]` {
		t.Fatalf("LATIN1: %v", rows)
	}
	e, _ := errorOf(t, inst, "select convert_to('€', 'LATIN1')")
	if e == nil || e.Code != "22P05" || e.Message != `character with byte sequence 0xe2 0x82 0xac in encoding "UTF8" has no equivalent in encoding "LATIN1"` {
		t.Fatalf("untranslatable: %#v", e)
	}
	const missing = `select convert('\xb1', 'LATIN2', 'WIN1250')`
	e, _ = errorOf(t, inst, missing)
	if e == nil || e.Code != "58P01" || !strings.Contains(e.Message, "undefined symbol") ||
		!strings.Contains(e.Message, "latin2_and_win1250.so") {
		t.Fatalf("want 58P01 naming latin2_and_win1250.so and the symbol, got %#v", e)
	}
	if rows := query(t, inst, "select 1"); fmt.Sprint(rows) != "[[1]]" {
		t.Fatalf("next query: %v", rows)
	}
	_, msgs := errorOf(t, inst, `do $$ begin perform convert('\xb1', 'LATIN2', 'WIN1250');
		exception when undefined_file then raise notice 'caught: %', sqlerrm; end $$`)
	var notice string
	for _, m := range msgs {
		if n, ok := m.(*pgproto3.NoticeResponse); ok {
			notice = n.Message
		}
	}
	if !strings.HasPrefix(notice, `caught: could not load library "/pglite/lib/postgresql/latin2_and_win1250.so"`) {
		t.Fatalf("exception block: notice %q in %#v", notice, msgs)
	}
	query(t, inst, "begin")
	msgs = exchange(t, inst, &pgproto3.Query{String: missing})
	if z := msgs[len(msgs)-1].(*pgproto3.ReadyForQuery); z.TxStatus != 'E' {
		t.Fatalf("in transaction: status %c", z.TxStatus)
	}
	query(t, inst, "rollback")
	if rows := query(t, inst, "select convert_to('abc', 'UTF8')"); fmt.Sprint(rows) != `[[\x616263]]` {
		t.Fatalf("after errors: %v", rows)
	}
	if inst.Broken() != nil {
		t.Fatalf("instance broken: %v", inst.Broken())
	}
}

func TestExtension_createMissing(t *testing.T) {
	needExtensionAssets(t)
	inst := openTest(t, Config{})
	e, _ := errorOf(t, inst, "create extension no_such_extension")
	if e == nil || e.Code != "0A000" || e.Message != `extension "no_such_extension" is not available` {
		t.Fatalf("got %#v", e)
	}
	if rows := query(t, inst, "select 2"); fmt.Sprint(rows) != "[[2]]" {
		t.Fatalf("next query: %v", rows)
	}
}

// TestExtension_selection: Extensions limits what is installed, accepts extension names
// inside a bundle, and an empty list leaves only the core extensions.
func TestExtension_selection(t *testing.T) {
	needExtensionAssets(t)
	inst := openTest(t, Config{Extensions: []string{}})
	if rows := query(t, inst, "select name from pg_available_extensions order by 1"); fmt.Sprint(rows) != "[[plpgsql]]" {
		t.Fatalf("none: %v", rows)
	}
	inst = openTest(t, Config{Extensions: []string{"moddatetime", "cube"}})
	rows := query(t, inst, "select name from pg_available_extensions order by 1")
	if fmt.Sprint(rows) != "[[autoinc] [cube] [insert_username] [moddatetime] [plpgsql] [refint]]" {
		t.Fatalf("spi and cube: %v", rows)
	}
	query(t, inst, "create extension moddatetime")
}

// TestExtension_badBundles: a corrupt bundle and a configured name without a bundle give a
// clear error at CREATE EXTENSION; the instance opens and stays usable.
func TestExtension_badBundles(t *testing.T) {
	needExtensionAssets(t)
	real, err := LoadAssets("")
	if err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	for _, f := range []string{"pglite.wasm", "pglite.data", "initdb.wasm", "files.json"} {
		if err := os.Symlink(filepath.Join(real.Dir, f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "extensions"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(real.Dir, "contrib", "cube.tar.gz"), filepath.Join(dir, "extensions", "cube.tar.gz")); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(filepath.Join(real.Dir, "contrib", "hstore.tar.gz"))
	if err := os.WriteFile(filepath.Join(dir, "extensions", "broken.tar.gz"), good[:len(good)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	inst := openTest(t, Config{AssetsDir: dir, Extensions: []string{"cube", "broken", "nosuch"}})
	e, _ := errorOf(t, inst, "create extension broken")
	if e == nil || e.Code != "58P01" || !strings.Contains(e.Message, `extension "broken" is unavailable: bundle broken.tar.gz is corrupt`) {
		t.Fatalf("corrupt bundle: %#v", e)
	}
	e, _ = errorOf(t, inst, "create extension nosuch")
	if e == nil || e.Code != "58P01" || !strings.Contains(e.Message, `extension "nosuch" is unavailable: no bundle`) {
		t.Fatalf("missing bundle: %#v", e)
	}
	query(t, inst, "create extension cube")
	if rows := query(t, inst, "select cube_distance('(0)'::cube, '(2)'::cube)"); fmt.Sprint(rows) != "[[2]]" {
		t.Fatalf("cube: %v", rows)
	}
}

func tarGz(t *testing.T, entries map[string]string, typ byte) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, body := range entries {
		h := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: typ}
		if typ == tar.TypeSymlink {
			h.Size, h.Linkname = 0, body
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			tw.Write([]byte(body))
		}
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func TestExtension_readBundle(t *testing.T) {
	files, controls, err := readBundle(tarGz(t, map[string]string{
		"share/postgresql/extension/x.control": "comment = 'x'",
		"lib/postgresql/x.so":                  "\x00asm",
		"share/doc/postgresql/extension/x.md":  "docs",
	}, tar.TypeReg))
	if err != nil || len(files) != 2 || fmt.Sprint(controls) != "[x]" ||
		files[0].path != "/pglite/lib/postgresql/x.so" || files[1].path != "/pglite/share/postgresql/extension/x.control" {
		t.Fatalf("files %v controls %v err %v", files, controls, err)
	}
	for name, raw := range map[string][]byte{
		"escape":  tarGz(t, map[string]string{"../../etc/passwd": "x"}, tar.TypeReg),
		"symlink": tarGz(t, map[string]string{"lib/postgresql/y.so": "/etc/passwd"}, tar.TypeSymlink),
		"notgzip": []byte("plain text"),
		"empty":   tarGz(t, nil, tar.TypeReg),
	} {
		if _, _, err := readBundle(raw); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestExtension_measure reports the cost of extensions (PGLITE_MEASURE=1): installing every
// bundle at open, the first CREATE EXTENSION vector, and the RSS of instances with every
// extension created against plain ones. The first instance of each kind pays the process's
// one-time costs (decompressed bundles, compiled side modules); the second shows the
// per-instance cost.
func TestExtension_measure(t *testing.T) {
	if os.Getenv("PGLITE_MEASURE") == "" {
		t.Skip("set PGLITE_MEASURE=1")
	}
	needExtensionAssets(t)
	var keep []*Instance
	// mode: "" opens only; "create" creates every extension; "load" LOADs every side module
	// without touching the catalogs (the cost of the modules alone).
	step := func(what string, cfg Config, mode string) {
		before := rssBytes(t)
		t0 := time.Now()
		inst := openTest(t, cfg)
		open := time.Since(t0)
		query(t, inst, "select 1")
		var vec, rest time.Duration
		switch mode {
		case "load":
			a, _ := LoadAssets("")
			cat := a.extensionCatalog()
			for _, n := range cat.names {
				for _, f := range cat.bundles[n].files {
					if strings.HasSuffix(f.path, ".so") {
						query(t, inst, "load '"+f.path+"'")
					}
				}
			}
		case "create":
			t0 = time.Now()
			query(t, inst, "create extension vector")
			vec = time.Since(t0)
			t0 = time.Now()
			for _, r := range query(t, inst, "select name from pg_available_extensions where installed_version is null order by 1") {
				query(t, inst, fmt.Sprintf("create extension if not exists %q cascade", r[0]))
			}
			rest = time.Since(t0)
		}
		keep = append(keep, inst)
		t.Logf("%-34s open %6.1f ms  create vector %6.1f ms  create the rest %7.1f ms  RSS +%3d MiB  libs %d",
			what, msOf(open), msOf(vec), msOf(rest), (rssBytes(t)-before)>>20, len(inst.Process().Libraries()))
	}
	preload := []string{"pg_stat_statements", "pg_textsearch"}
	step("plain (no bundles)", Config{Extensions: []string{}}, "")
	step("plain (no bundles) again", Config{Extensions: []string{}}, "")
	step("all bundles, none created", Config{}, "")
	step("all bundles, none created again", Config{}, "")
	step("all created", Config{Preload: preload}, "create")
	step("all created again", Config{Preload: preload}, "create")
	step("all side modules loaded, no CREATE", Config{Preload: preload}, "load")
}

func rssBytes(t *testing.T) int64 {
	debug.FreeOSMemory()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func msOf(d time.Duration) float64 { return float64(d) / 1e6 }

// TestExtension_installCost: unpacking every bundle happens once per machine (mapping its
// pack once per process); each instance then links the files into its tree without copying
// their bytes (and on a clone of a tree prepared by installAllBundles copies nothing and only
// trims the control files of unselected bundles).
func TestExtension_installCost(t *testing.T) {
	needExtensionAssets(t)
	a, _ := LoadAssets("")
	cat := a.extensionCatalog()
	cat.usePackDir("")
	t0 := time.Now()
	var total int
	for _, n := range cat.names {
		if err := cat.bundles[n].load(); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		for _, f := range cat.bundles[n].files {
			total += len(f.data)
		}
	}
	loadAll := time.Since(t0)

	allocs := func(f func()) (uint64, time.Duration) {
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		t0 := time.Now()
		f()
		d := time.Since(t0)
		runtime.ReadMemStats(&m1)
		return m1.TotalAlloc - m0.TotalAlloc, d
	}
	fresh := newFS(a)
	inst := &Instance{cfg: Config{}}
	copied, freshTime := allocs(func() {
		if err := inst.installExtensions(fresh); err != nil {
			t.Fatal(err)
		}
	})
	if _, errno := fresh.Stat("/pglite/lib/postgresql/vector.so", true); errno != 0 {
		t.Fatalf("vector.so: %v", errno)
	}

	base := newFS(a)
	if err := installAllBundles(base, a, ""); err != nil {
		t.Fatal(err)
	}
	clone := base.Clone()
	inst = &Instance{cfg: Config{Extensions: []string{"cube"}}}
	shared, cloneTime := allocs(func() {
		if err := inst.installExtensions(clone); err != nil {
			t.Fatal(err)
		}
	})
	if _, errno := clone.Stat("/pglite/share/postgresql/extension/cube.control", true); errno != 0 {
		t.Fatalf("cube.control: %v", errno)
	}
	if _, errno := clone.Stat("/pglite/share/postgresql/extension/hstore.control", true); errno == 0 {
		t.Fatal("hstore.control kept in a clone configured for cube only")
	}
	if _, errno := base.Stat("/pglite/share/postgresql/extension/hstore.control", true); errno != 0 {
		t.Fatal("trimming the clone changed the base")
	}
	t.Logf("load %d bundles (%d KiB) once: %v; install all into a new tree: %v, %d KiB allocated; trim a prepared clone: %v, %d KiB",
		len(cat.names), total>>10, loadAll, freshTime, copied>>10, cloneTime, shared>>10)
	if copied > uint64(total)/4 {
		t.Fatalf("installing into a new tree allocated %d bytes for %d bytes of files: it copied them", copied, total)
	}
	if shared > copied/4 {
		t.Fatalf("installing into a prepared clone allocated %d bytes (fresh: %d)", shared, copied)
	}
}
