// Package regress runs PostgreSQL 18.6's own regression suite (src/test/regress: sql/,
// expected/, data/, parallel_schedule, kept outside the repository) against a pglited built
// from this tree, with pg_regress's semantics: one database named regression, each test fed
// to psql in schedule order, its output compared byte for byte with expected/T.out or an
// alternate expected/T_N.out. The command is cmd/regress; `make regress` runs it.
//
// With -server node the same suite runs against the reference host instead: PGlite (the
// pinned release) on Node, served by @electric-sql/pglite-socket through nodeserver.mjs.
// `make regress-node` writes what passes there to passing-node.txt (pglite-socket as
// released) and passing-node-copyin.txt (with nodeserver.mjs's COPY FROM STDIN workaround),
// and -compare-node, like TestNodeListsPassHere, names the tests of those lists that
// passing.txt lacks.
package regress
