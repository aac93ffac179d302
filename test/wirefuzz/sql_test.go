package wirefuzz

import (
	"fmt"
	"strings"
)

// sqlText is the text of a Query or Parse: a template that puts the server in a state or
// stresses it (with a size the fuzzer can turn), or, for template 0, free text.
type sqlText struct {
	Tmpl uint8
	N    uint32 // the template's size, capped by the template
	Text string // template 0 only
}

func (s *sqlText) fields(c coder) {
	c.u8(&s.Tmpl)
	s.Tmpl %= uint8(len(templates))
	if s.Tmpl == 0 {
		str(c, &s.Text)
	} else {
		c.uv(&s.N)
	}
}

func (s sqlText) String() string {
	if s.Tmpl == 0 {
		return s.Text
	}
	t := templates[s.Tmpl]
	n := s.N
	if n > t.max {
		n = t.max
	}
	return t.sql(n)
}

// template is SQL parameterised by a size. max keeps an iteration within its time: the
// point is what the server does with hostile input, not how long a legitimate query runs.
type template struct {
	name string
	max  uint32
	sql  func(n uint32) string
}

func fixed(s string) func(uint32) string { return func(uint32) string { return s } }

// The templates. Their indexes are part of the seed corpus's encoding: append, never
// reorder. Absent on purpose: statements whose effect on other clients is a documented
// limit of one shared backend session (set_config() of a setting that is not reported to clients; SQL
// PREPARE and DECLARE names, advisory locks and temporary tables, which clients share).
var templates = []template{
	{"text", 0, nil},
	{"begin", 0, fixed("begin")},
	{"commit", 0, fixed("commit")},
	{"rollback", 0, fixed("rollback")},
	{"division by zero", 0, fixed("select 1/0")},
	{"select n", 1 << 31, func(n uint32) string { return fmt.Sprintf("select %d::int", n) }},
	{"copy in", 0, fixed("copy wf_t from stdin")},
	{"copy out", 300_000, func(n uint32) string {
		return fmt.Sprintf("copy (select g, md5(g::text) from generate_series(1, %d) g) to stdout", n)
	}},
	{"recursive sql function", 1_000_000, func(n uint32) string { return fmt.Sprintf("select r(%d)", n) }},
	{"nested subselects", 20_000, func(n uint32) string {
		return "select " + strings.Repeat("(select ", int(n)) + "1" + strings.Repeat(")", int(n))
	}},
	{"nested jsonb", 2_000_000, func(n uint32) string { return fmt.Sprintf("select repeat('[', %d)::jsonb", n) }},
	{"create subscription", 1, func(n uint32) string {
		s := "create subscription wf_sub connection 'host=127.0.0.1 port=1 dbname=postgres connect_timeout=1' publication wf_pub"
		if n == 1 {
			s += " with (connect = false)"
		}
		return s
	}},
	{"client_encoding", 2, func(n uint32) string {
		return "set client_encoding to " + []string{"'EUC_JP'", "'SJIS'", "'LATIN1'"}[n]
	}},
	{"unconvertible text", 2, func(n uint32) string {
		return []string{"select 'é😀'", "select convert_to('😀', 'EUC_JP')", "select E'\\x8e'::text"}[n]
	}},
	{"sleep ms", 1500, func(n uint32) string { return fmt.Sprintf("select pg_sleep(%g)", float64(n)/1000) }},
	{"statement_timeout ms", 2000, func(n uint32) string { return fmt.Sprintf("set statement_timeout = %d", n) }},
	{"savepoint", 0, fixed("savepoint wf_s")},
	{"rollback to savepoint", 0, fixed("rollback to savepoint wf_s")},
	{"one parameter", 0, fixed("select $1::int")},
	{"insert two parameters", 0, fixed("insert into wf_t values ($1::int, $2)")},
	{"listen", 0, fixed("listen wf_ch")},
	{"notify", 0, fixed("notify wf_ch, 'fuzz'")},
	{"big value", 64 << 20, func(n uint32) string { return fmt.Sprintf("select length(repeat('x', %d))", n) }},
	{"big result", 8 << 20, func(n uint32) string { return fmt.Sprintf("select repeat('x', %d)", n) }},
	{"many rows", 200_000, func(n uint32) string { return fmt.Sprintf("select g from generate_series(1, %d) g", n) }},
	{"multi-statement", 0, fixed("select 1; select 1/0; select 2")},
	{"deallocate all", 0, fixed("deallocate all")},
	{"discard all", 0, fixed("discard all")},
	{"search_path", 0, fixed("set search_path = wf_nowhere")},
	{"set role", 0, fixed("set role wf_nobody")},
	{"reset role", 0, fixed("reset role")},
	{"read-only default", 0, fixed("set default_transaction_read_only = on")},
	{"begin read only", 0, fixed("begin read only")},
	{"lock the witness table", 0, fixed("lock table wf_witness in access exclusive mode")},
	{"read the witness table", 0, fixed("select count(*) from wf_witness")},
	{"checkpoint", 0, fixed("checkpoint")},
	{"copy table out", 0, fixed("copy wf_t to stdout")},
	{"unlisten", 0, fixed("unlisten *")},
	{"session timeout", 2, func(n uint32) string {
		return "set " + []string{"transaction_timeout", "idle_in_transaction_session_timeout", "idle_session_timeout"}[n] + " = 100"
	}},
	{"terminate the backend itself", 1, func(n uint32) string {
		return []string{"select pg_terminate_backend(pg_backend_pid())", "select pg_cancel_backend(pg_backend_pid())"}[n]
	}},
}

// tmpl finds a template's index by name, for writing seeds.
func tmpl(name string) uint8 {
	for i, t := range templates {
		if t.name == name {
			return uint8(i)
		}
	}
	panic("wirefuzz: no template " + name)
}
