// Package regress runs PostgreSQL 18.6's own regression suite (src/test/regress: sql/,
// expected/, data/, parallel_schedule, kept outside the repository) against a pglited built
// from this tree, with pg_regress's semantics: one database named regression, each test fed
// to psql in schedule order, its output compared byte for byte with expected/T.out or an
// alternate expected/T_N.out. The command is cmd/regress; `make regress` runs it.
package regress
