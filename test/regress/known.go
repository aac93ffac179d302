package regress

import "strings"

// NotScored are the tests that cannot pass on a server in WebAssembly whatever it does: they
// load C functions from PostgreSQL's regress.so (test_setup too, which still runs because
// later tests need its tables) or make the server read and write host files. The list is
// the one measured on native PostgreSQL 18.6 (../shared/pg-regress-18.6/README.md).
var NotScored = set(`test_setup create_function_c create_type type_sanity opr_sanity
	alter_generic compression_pglz conversion create_view encoding foreign_data indirect_toast
	lock misc misc_functions triggers tablespace largeobject`)

// Psql15 are the tests that fail on native PostgreSQL 18.6 too when run with Debian 12's
// psql 15, only because psql 15 prints \d and friends differently (psql_pipeline cannot run
// at all with it). They are scored: with psql 18 they pass.
var Psql15 = set(`alter_table constraints copy copy2 copyselect create_table create_table_like
	dependency domain foreign_key generated_stored generated_virtual identity inherit
	privileges psql psql_pipeline publication replica_identity rowsecurity sqljson_jsontable
	stats_ext subscription without_overlaps`)

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// NeedsPsql18 are not run with an older psql: psql_pipeline's \startpipeline is unknown to
// psql 15, and its \watch, which has no iteration count there, then loops until the
// timeout. They count as failed.
var NeedsPsql18 = set(`psql_pipeline`)
