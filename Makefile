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

.DEFAULT_GOAL := help
.PHONY: help build test lint lint-spec conform fuzz bench clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z-]*:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## Build the CLI into bin/presencekit
	$(GO) build -o $(BIN) ./cmd/presencekit

test: ## Run every test with the race detector (the suite's self-check included), then lint the embedded spec
	@mkdir -p reports
	PRESENCEKIT_SELFCHECK_TABLE=$(CURDIR)/reports/selfcheck.txt $(GO) test -race ./...
	@echo "conformance self-check (the suite against the mock broken one rule at a time):"
	@cat reports/selfcheck.txt
	$(GO) run ./cmd/presencekit spec lint

lint: ## Check formatting (gofmt), run go vet and staticcheck
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

conform: ## Run the conformance suite against the embedded mock (reports in reports/)
	$(GO) run ./cmd/presencekit conform

lint-spec: ## Lint openapi.yaml with Spectral's OpenAPI rules (needs npm)
	npx --yes $(SPECTRAL) lint --ruleset .spectral.yaml --fail-severity=warn openapi.yaml

# Every fuzz target, as package:Target. Go 1.26 can end a duration-bound
# run with a bare "context deadline exceeded" and no crasher (golang/go#75804,
# fixed in 1.27): that is the toolchain, not a finding; rerun, or give
# FUZZTIME as a count (FUZZTIME=500000x).
FUZZ_TARGETS ?= ./spec:FuzzValidateResponse ./spec:FuzzLint ./spec:FuzzCompiledVsReference ./spec:FuzzTokVsEncodingJSON ./mock:FuzzParseNames ./mock:FuzzParseExt ./mock:FuzzHandler

fuzz: ## Run every fuzz target for FUZZTIME each (default 60s)
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "== $${t#*:} ($${t%%:*}, $(FUZZTIME))"; \
		$(GO) test $${t%%:*} -run XXX -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 10s; \
	done

bench: ## Run the Go benchmarks (spec, mock, loadgen) with allocation counts
	$(GO) test -run XXX -bench . -benchmem ./spec/ ./mock/ ./loadgen/

clean: ## Remove build output
	rm -rf bin
