# recap — the two commands a newcomer needs:
#   make run    build and start the daemon with the embedded NATS server and examples/recap.yaml (offline)
#   make test   vet, unit tests with -race, and the end-to-end tests (real NATS, real DuckDB)
# Both work on a fresh machine with Go 1.26: every dependency comes from Go modules.

GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
BIN     := bin/recap
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: all build run test vet unit e2e bench fuzz clean

all: build

# The daemon is pure Go: CGO stays off so the binary runs anywhere.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/recap

run: build
	./$(BIN) run -c examples/recap.yaml

test: vet unit e2e

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:" $$unformatted; exit 1; fi
	$(GO) vet ./...
	cd e2e && $(GO) vet ./...

# Allocation checks run again without -race: the race detector makes
# sync.Pool drop values at random, so they skip themselves under it.
unit:
	$(GO) test -race -count=1 -timeout 15m ./...
	$(GO) test -count=1 -run 'Allocat' ./stages/...

# End-to-end tests live in their own module so DuckDB's cgo driver never
# reaches the recap binary.
e2e:
	cd e2e && $(GO) test -count=1 -timeout 30m ./...

# End to end (1M log lines, recap vs a minimal baseline), then the Go benchmarks.
bench: build
	$(GO) run ./scripts/bench -recap $(BIN)
	$(GO) test -run='^$$' -bench=. -benchmem ./pipeline/... ./stages/... ./connectors/...

# Short fuzzing of every parser (long runs: make fuzz FUZZTIME=10m).
FUZZTIME ?= 30s
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

clean:
	rm -rf bin var
