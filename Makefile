# pglite-go: real PostgreSQL in a Go process.
ASSETS_DIR ?= assets/pglite-0.5.17
GO        ?= go
PORT      ?= 5432
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help run test test-consumer test-short test-wazero test-wasmtime test-nocgo race bench fuzz assets psql lint check embed-assets build

help: ## show targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

assets: ## fetch the pinned PGlite npm packages and check their sha256
	@$(GO) run ./cmd/pglite-assets -dir $(ASSETS_DIR)

psql: ## install postgresql-client when psql is missing
	@command -v psql >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq postgresql-client >/dev/null; }

build: assets ## build bin/pglited
	$(GO) build -o bin/pglited ./cmd/pglited
	$(GO) run ./internal/cmd/warmup

run: build ## run the daemon in memory on $(PORT)
	./bin/pglited --port $(PORT)

test: assets psql ## run every test, with the race detector
	$(GO) vet ./...
	@# Fill wazero's compile cache and the template cluster once. Test binaries report wazero's
	@# version as "dev" and so use their own cache folder: warm it from a (non-race) test.
	$(GO) test ./bridge -run '^TestBridge_Exec_version$$' -count=1
	PGLITE_ENGINE=wazero $(GO) test ./bridge -run '^TestBridge_Exec_version$$' -count=1 # a new pglite.wasm under -race compiles for minutes
	$(GO) test -race -run '^$$' ./... > /dev/null # build every test binary first, so builds do not starve running tests
	$(GO) test -race -timeout 20m ./...
	cd test/pgtest/migrators && $(GO) vet ./... && $(GO) test -race ./... # the goose and golang-migrate adapters, a module of their own
	$(MAKE) --no-print-directory regress-check
	$(MAKE) --no-print-directory test-wazero
	$(MAKE) --no-print-directory regress-check-wazero
	$(MAKE) --no-print-directory test-nocgo
	$(MAKE) --no-print-directory test-consumer

test-wazero: assets ## the bridge, integration and pgtest suites on wazero (make test runs the rest on the default engine)
	PGLITE_ENGINE=wazero $(GO) test ./bridge ./test ./test/pgtest -count=1

test-wasmtime: assets ## the same suites on wasmtime
	PGLITE_ENGINE=wasmtime $(GO) test ./bridge ./test ./test/pgtest -count=1

test-nocgo: assets ## a CGO_ENABLED=0 build (wazero only), and its engine and bridge tests
	CGO_ENABLED=0 $(GO) build ./... && CGO_ENABLED=0 $(GO) test ./emscripten/... ./bridge -count=1

test-consumer: ## test/consumer as a user's module: fresh HOME, assets fetched by its first go test, the second run timed
	PGLITE_E2E_NPM=1 $(GO) test ./test -run '^TestConsumerModule$$' -count=1 -v -timeout 15m

test-short: assets ## quick tests only
	$(GO) test -short ./...

bench: assets psql ## benchmarks and the scripts in test/bench
	$(GO) test -run '^$$' -bench . -benchmem ./bridge/ ./...
	@for s in test/bench/*.sh; do [ -f "$$s" ] && bash "$$s"; done; true

fuzz: assets ## run each protocol fuzz target for 30s, then the wire fuzzer against a live server for 60s
	@for t in $$(grep -rhoE '^func (Fuzz[A-Za-z_]+)' --include='*_test.go' protocol | sed 's/func //'); do \
		$(GO) test ./protocol -run '^$$' -fuzz "^$$t$$" -fuzztime 30s || exit 1; done
	$(GO) test ./test/wirefuzz -run '^$$' -fuzz '^FuzzWire$$' -fuzztime 60s

SOAK_DURATION ?= 10m
.PHONY: soak
soak: assets ## run the daemon under transfers, faults, bad input and SIGKILLs for $(SOAK_DURATION)
	SOAK_DURATION=$(SOAK_DURATION) $(GO) test ./test/soak -run '^TestSoak$$' -count=1 -v -timeout 0

.PHONY: regress regress-check regress-check-wazero regress-update regress-node
regress: build psql ## PostgreSQL 18.6's regression suite against bin/pglited: N passed, M failed; diffs in test/regress/out
	$(GO) run ./test/regress/cmd/regress

regress-check: build psql ## the regression suite; fails when a test of test/regress/passing.txt fails
	$(GO) run ./test/regress/cmd/regress -check

regress-check-wazero: build psql ## the same on the wazero engine, against test/regress/passing-wazero.txt
	PGLITE_ENGINE=wazero $(GO) run ./test/regress/cmd/regress -check -passing test/regress/passing-wazero.txt

regress-update: build psql ## the regression suite; adds the tests that now pass to test/regress/passing.txt
	$(GO) run ./test/regress/cmd/regress -update

regress-node: psql ## the suite on PGlite on Node (pglite-socket), as released and with its COPY FROM STDIN worked around; rewrites test/regress/passing-node*.txt, then lists their tests that passing.txt lacks (not in make test: ~20 min)
	$(GO) run ./test/regress/cmd/regress -server node -timeout 1m -update
	$(GO) run ./test/regress/cmd/regress -server node -node-copy-in -timeout 1m -update
	$(GO) run ./test/regress/cmd/regress -compare-node

embed-assets: ## write bridge/embedded, the package `go build -tags pglite_embed ./cmd/pglited` embeds
	$(GO) run ./cmd/pglite-assets -dir $(ASSETS_DIR) -embed bridge/embedded -pkg embedded

diff: assets ## run SQL scripts through pglite-go and PGlite on Node, report the first difference (SCRIPTS=..., default the corpus)
	$(GO) run ./test/diff $(or $(SCRIPTS),test/diff/corpus/*.sql)

check: ## gofmt and vet
	@test -z "$$(gofmt -l . | grep -v '^assets/')" || { gofmt -l .; exit 1; }
	$(GO) vet ./...
