// Module consumer is a stand-in for a user's module that depends on pglite-go: no checkout
// of it, no `make assets`. test/consumer_test.go in the main module copies it outside the
// repository, points its replace directive at the repository, and runs its tests with an
// empty HOME: db fetches the assets on first use, embedded uses the package that
// `go generate ./pgliteassets` writes.
package consumer
