# mtlswb — the mTLS workbench. `make run` opens the TUI, `make test` proves it works.
GO      ?= go
BIN     := bin/mtlswb
PKGS    := ./...
# A count, not a duration: with a duration, Go 1.26's fuzz coordinator can
# report a spurious "context deadline exceeded" at the end (golang/go#75804).
FUZZTIME ?= 20000x

.PHONY: build run test vet unit e2e demo-check fuzz bench stress fmt tools clean man

# A static binary (no cgo: the pure-Go DNS resolver) starts 3 ms sooner than
# one that loads libc, and every CLI command is a fresh process.
# The version is git's description of the checkout (a tag, or the commit),
# so `mtlswb --version` names what was built.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT)

build:
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/mtlswb

run: build
	./$(BIN)

# vet + unit and integration tests (real openssl s_server peers, real bbolt
# files) + short fuzzing + the real-terminal end-to-end test in tmux.
test: tools vet unit fuzz e2e demo-check

tools:
	@scripts/ensure-tools.sh

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "not gofmt'ed: $$unformatted (run make fmt)"; exit 1; fi
	$(GO) vet $(PKGS)

unit:
	$(GO) test -count=1 $(PKGS)

# Each fuzz target runs briefly; failures land in testdata/fuzz as regressions.
fuzz:
	@scripts/fuzz.sh $(FUZZTIME)

e2e: build
	$(GO) test -count=1 -tags e2e -run 'E2E' ./cmd/mtlswb/

# Every demo scenario must give its expected diagnosis.
demo-check: build
	./$(BIN) demo --check

bench: build
	$(GO) test -run '^$$' -bench . -benchmem -benchtime=1x -timeout 30m $(PKGS)

# Longer crash and corruption runs than `make test` affords: 3,000 SIGKILLs
# during writes, and the byte-flip suites again with fresh seeds.
stress:
	MTLSWB_STRESS_KILLS=3000 $(GO) test -count=1 -timeout 60m -run 'KillDuringWrites' ./cmd/mtlswb/
	$(GO) test -count=5 -timeout 60m -run 'ByteFlip|DoctorRepairs|Truncated' ./cmd/mtlswb/ ./workspace/

# The man page is made of the help text; TestManPageUpToDate fails when it
# is stale.
man: build
	mkdir -p docs
	./$(BIN) help --man > docs/mtlswb.1

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
