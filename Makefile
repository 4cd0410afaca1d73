# presencekit build. `make` alone lists the targets.

GO       ?= go
BIN      ?= bin/presencekit
FUZZTIME ?= 60s
# The Spectral version `make lint-spec` runs, pinned so its verdict does not
# change under us; bump it deliberately.
SPECTRAL ?= @stoplight/spectral-cli@6.16.3
# The staticcheck version `make lint` runs (through the module proxy), pinned
# for the same reason; its settings are in staticcheck.conf.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
# actionlint checks the workflow files (and, through `uses: ./`, the inputs
# of action.yml); `go run` fetches this pinned version when it is not
# installed.
ACTIONLINT ?= github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
GORELEASER ?= goreleaser
# gotestsum runs `go test -json` and prints a line per package as it
# finishes (go test alone holds a package's line until the ones before it
# are done), then "DONE N tests". Pinned, fetched through the module proxy.
GOTESTSUM ?= $(GO) run gotest.tools/gotestsum@v1.13.0

# What `presencekit version` prints: stamped at link time, the same -X flags
# as the Dockerfile and .goreleaser.yaml (cmd/presencekit/ship_test.go holds
# the three together). DATE is the commit's time, so a rebuild of the same
# commit is the same binary.
VERSION ?= $(shell git describe --tags --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null)
DATE    ?= $(shell TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null)
LDFLAGS  = -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)
IMAGE   ?= presencekit:dev

.DEFAULT_GOAL := help
.PHONY: help build test test-summary lint lint-spec conform fuzz bench mutation clean image release-check

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z-]*:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## Build the CLI into bin/presencekit (static, stamped with VERSION, COMMIT, DATE)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/presencekit

# Every test runs with -race. The end-to-end children (a whole conform run,
# a CLI run, a mock to load) are their test package built without it
# (internal/childtest): they check logic the race-detected tests cover.
# Progress: a line per package as it finishes; then the self-check table
# and, last, the count of tests run (test-summary). reports/go-test.json
# keeps every test's timing:
# `$(GOTESTSUM) tool slowest --jsonfile reports/go-test.json`.
#
# TEST_PROCS is the GOMAXPROCS of the test run. The slowest tests mostly
# wait (on a rate-limited mock, a latency, child processes), and go test
# runs at most GOMAXPROCS parallel tests at once; Ginkgo refuses an
# explicit -test.parallel in a process that runs the suite, so the run
# gets more procs than the machine's 2 cores instead. The busiest test
# processes then put themselves on one P (childtest.OneP says why); the
# parallel-test count stays TEST_PROCS.
#
# -trimpath keeps the checkout's directory out of the build cache's keys:
# a second clone, or a worktree, reuses the compiled packages instead of
# compiling the module twice more (with and without -race, for the
# children) before the first test runs. The children's builds inherit it
# through GOFLAGS.
TEST_PROCS ?= 4
TEST_GOFLAGS = $(strip $(filter-out -trimpath,$(GOFLAGS)) -trimpath)
test: ## Lint the embedded spec, then run every test with the race detector (the suite's self-check included)
	@mkdir -p reports
	@rm -f reports/selfcheck.txt
	GOFLAGS='$(TEST_GOFLAGS)' $(GO) run ./cmd/presencekit spec lint
	GOFLAGS='$(TEST_GOFLAGS)' GOMAXPROCS=$(TEST_PROCS) PRESENCEKIT_SELFCHECK_TABLE=$(CURDIR)/reports/selfcheck.txt $(GOTESTSUM) --format pkgname --format-icons text --format-hide-empty-pkg \
		--jsonfile reports/go-test.json --post-run-command "$(MAKE) --no-print-directory test-summary" -- -race ./...

# test-summary is what `make test` prints after the tests, failed or not;
# gotestsum gives it the counts in TESTS_*.
test-summary:
	@echo "conformance self-check (the suite through the proxy, against the mock broken one rule at a time):"
	@cat reports/selfcheck.txt 2>/dev/null || echo "  (no table: the self-check did not run to its end)"
	@echo "DONE $$TESTS_TOTAL tests ($$TESTS_SKIPPED skipped, $$TESTS_FAILED failed, $$TESTS_ERRORS errors) in $$GOTESTSUM_ELAPSED"

lint: ## Check formatting (gofmt), run go vet, staticcheck, and actionlint on every workflow
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	$(GO) run $(ACTIONLINT) .github/workflows/*.yml docs/examples/*.yml

conform: ## Run the conformance suite against the embedded mock (reports in reports/)
	$(GO) run ./cmd/presencekit conform

# The built-in profiles (profiles/*.yaml); lint-spec checks each merged document.
PROFILES := $(basename $(notdir $(wildcard profiles/*.yaml)))

lint-spec: ## Lint openapi.yaml and every profile's merged document with Spectral's OpenAPI rules (needs npm)
	npx --yes $(SPECTRAL) lint --ruleset .spectral.yaml --fail-severity=warn openapi.yaml
	@mkdir -p bin/profiles
	@for p in $(PROFILES); do $(GO) run ./cmd/presencekit spec dump --profile $$p > bin/profiles/$$p.yaml || exit 1; done
	npx --yes $(SPECTRAL) lint --ruleset .spectral.yaml --fail-severity=warn $(addprefix bin/profiles/,$(addsuffix .yaml,$(PROFILES)))

# Every fuzz target, as package:Target. Go 1.26 can end a duration-bound
# run with a bare "context deadline exceeded" and no crasher (golang/go#75804,
# fixed in 1.27): that is the toolchain, not a finding; rerun, or give
# FUZZTIME as a count (FUZZTIME=500000x).
# FUZZ_TARGETS (package:FuzzName ...) is every fuzz target of the module,
# found by go test -list when first needed; set it to run a few.
FUZZ_TARGETS ?= $(shell for p in $$($(GO) list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' ./...); do \
	$(GO) test -list '^Fuzz' $$p | sed -n "s|^\(Fuzz.*\)|$$p:\1|p"; done)

fuzz: ## Run every fuzz target for FUZZTIME each (default 60s)
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "== $${t#*:} ($${t%%:*}, $(FUZZTIME))"; \
		$(GO) test $${t%%:*} -run XXX -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 10s; \
	done

bench: ## Run the Go benchmarks (spec, mock, loadgen) with allocation counts
	$(GO) test -run XXX -bench . -benchmem ./spec/ ./mock/ ./loadgen/

# Mutation analysis (docs/conformance.md#mutation-analysis): gremlins mutates
# the mock's rule-bearing files one change at a time and runs
# `go test -tags mutation ./mock`, whose only test under that tag is the
# conformance suite against the mutated mock (mock/mutation_test.go), so a
# mutant is killed by the suite, never by the mock's own unit tests. Not part
# of `make test`: it rebuilds the test binary once per mutant. Bounded by
# MUTATION_FILES (the files under analysis; every other file of mock/ is
# excluded), MUTATION_WORKERS and the MUTATION_TIMEOUT of the whole run.
# GOFLAGS=-count=1: gremlins times the (uncached) coverage run and gives
# each mutant 30 times that before calling it timed out (a mutant rebuilds
# the test binary, which takes far longer than the cached coverage run on a
# loaded machine).
# mutationcheck then prints the score and fails on a surviving mutant that
# docs/mutation-equivalent.tsv does not list as equivalent, with its reason.
GREMLINS         ?= github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0
MUTATION_FILES   ?= auth.go clock.go handlers.go jsonscan.go jsonwrite.go server.go store.go sublist.go subset.go
MUTATION_WORKERS ?= 2
MUTATION_TIMEOUT ?= 60m
MUTATION_EXCLUDE  = ^mocktest/|^($(subst $(eval) ,|,$(strip $(subst .,\.,$(filter-out $(MUTATION_FILES),$(filter-out %_test.go,$(notdir $(wildcard mock/*.go))))))))$$
mutation: ## Mutation analysis of the suite over the mock's MUTATION_FILES; prints the score (slow: ~40 min)
	@mkdir -p reports
	GOBIN=$(CURDIR)/bin $(GO) install $(GREMLINS)
	@rm -f reports/mutation.json
	@start=$$(date +%s); \
	GOFLAGS=-count=1 nice timeout $(MUTATION_TIMEOUT) bin/gremlins unleash --tags mutation --workers $(MUTATION_WORKERS) \
		--timeout-coefficient 30 -E '$(MUTATION_EXCLUDE)' -o reports/mutation.json ./mock | tee reports/mutation.log; \
	echo "wall time: $$(( $$(date +%s) - start )) s"
	$(GO) run ./internal/mutationcheck -report reports/mutation.json -equivalent docs/mutation-equivalent.tsv -src mock

image: ## Build the container image IMAGE (needs docker with BuildKit)
	docker build --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) --build-arg DATE=$(DATE) -t $(IMAGE) .

# GoReleaser reads the commit only when the clone has a remote (it names the
# release's repository); a clone without one gets the project's URL for this
# run, so the snapshot is stamped all the same.
GORELEASER_ENV = $(if $(shell git remote 2>/dev/null),,GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=remote.origin.url GIT_CONFIG_VALUE_0=https://github.com/presencekit/presencekit.git)

release-check: ## Check .goreleaser.yaml, build a stamped snapshot for this machine (needs goreleaser v2), test stamping
	$(GORELEASER) check
	$(GORELEASER_ENV) $(GORELEASER) build --snapshot --single-target --clean
	@v="$$(dist/presencekit_$$($(GO) env GOOS)_$$($(GO) env GOARCH)*/presencekit version)"; echo "$$v"; \
		echo "$$v" | grep -q "^commit: $(COMMIT) " || { echo "the snapshot is not stamped with commit $(COMMIT)"; exit 1; }
	PRESENCEKIT_BUILD_TESTS=1 $(GO) test -run 'TestReleaseLdflagsStampTheBinary|TestUnstampedBuildFallsBackToVCS' ./cmd/presencekit/

clean: ## Remove build output
	rm -rf bin dist
