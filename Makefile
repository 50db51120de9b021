# corpushunt: the two commands are `make demo` (the main job) and `make test`.
# Both run `make setup` first, which installs only what is missing.
SHELL := /bin/bash
GO    ?= go
BIN   := bin/corpushunt
OUT   ?= out
export GOMLX_NO_AUTO_INSTALL := 1
export PATH := $(shell $(GO) env GOPATH)/bin:$(PATH)

.PHONY: all setup build doctor test demo bench clean

all: build

setup:
	@bash kernel-setup/install.sh

build:
	$(GO) build -o $(BIN) ./cmd/corpushunt

# doctor checks libfaiss_c with the loader first: the CLI itself cannot start without it.
doctor:
	@ldconfig -p | grep -q libfaiss_c.so || { echo "✗ libfaiss_c is not installed: run make setup"; exit 1; }
	@$(GO) build -o $(BIN) ./cmd/corpushunt && $(BIN) doctor

test: setup
	$(GO) vet ./...
	$(GO) test ./...

# The main job: find the data, index CIFAR-10's 50,000 training images with the raw-pixel
# baseline (exact and IVF), tune the IVF index, and score both with the 1,000 test images.
demo: setup build
	$(BIN) datasets info
	$(BIN) index --dataset cifar10 --encoder pixels --factory Flat --out $(OUT)/pixels-flat
	$(BIN) eval --index $(OUT)/pixels-flat --queries cifar10:test -k 1,10,100
	$(BIN) index --dataset cifar10 --encoder pixels --downsample 2 --factory IVF256,Flat --out $(OUT)/pixels-ivf
	$(BIN) tune --index $(OUT)/pixels-ivf --target-recall 0.95
	$(BIN) eval --index $(OUT)/pixels-ivf --queries cifar10:test -k 1,10,100
	$(BIN) query --index $(OUT)/pixels-flat --item 0 -k 5

bench: setup
	$(GO) test -run '^$$' -bench . -benchtime 3x ./simsearch/...

clean:
	rm -rf bin $(OUT) reports
