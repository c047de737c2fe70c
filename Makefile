# shipit — build, test and the local sandbox. `make help` lists the targets.
GO      ?= go
BIN     ?= bin/shipit
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/shipit-dev/shipit/pkg/cmd/version.Version=$(VERSION)

.PHONY: help build test unit e2e lint golden fuzz bench sandbox-build sandbox-up sandbox-down demo clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

build: ## build bin/shipit
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/shipit

test: lint unit e2e ## everything CI runs: gofmt, vet, staticcheck, unit tests (-race), e2e tests on the sandbox

# staticcheck is built from the Go module proxy at this pinned version (no install step).
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint: ## gofmt, go vet and staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^e2e/tools/')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags e2e ./e2e/...
	$(GO) run $(STATICCHECK) -tags e2e ./...

unit: ## unit tests with the race detector (no network, no sandbox)
	$(GO) test -race ./...

e2e: ## end-to-end tests; starts the sandbox when it is not up (and stops it after)
	$(GO) test -race -tags e2e -count=1 -timeout 60m ./e2e/ ./e2e/netfault/

golden: ## rewrite the golden render files of examples/ (review the diff!)
	$(GO) test ./pkg/cmd/render -update

FUZZTIME ?= 60s

fuzz: ## fuzz the spec loader and the render of both targets ($(FUZZTIME) each; a crasher is kept under testdata/fuzz as a seed). Minimising a new input is capped at 5 s: Go's default (60 s) spends a short run's whole time minimising
	$(GO) test -run XXX -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./pkg/spec
	$(GO) test -run XXX -fuzz '^FuzzRender$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./pkg/cmd/render

bench: ## benchmarks: render throughput, start-up, shipit vs kubectl / the AWS CLI on the sandbox
	$(GO) test -run XXX -bench . -benchmem ./pkg/cmd/render
	$(GO) test -tags e2e -run XXX -bench . -benchtime 5x -count=1 ./e2e/

sandbox-build: ## build the sandbox's Kubernetes binaries (cached; ~20 min the first time)
	e2e/sandbox/build.sh

sandbox-up: ## start the local sandbox (Kubernetes + moto + ECS rollout simulator) on 127.0.0.1
	e2e/sandbox/up.sh

sandbox-down: ## stop everything the sandbox started
	e2e/sandbox/down.sh

demo: build sandbox-up ## deploy examples/web-app to Kubernetes and ECS on the local sandbox and watch
	e2e/sandbox/demo.sh

clean: ## remove build output (not the sandbox cache)
	rm -rf bin out
