# corpushunt: the two commands are `make demo` (the main job) and `make test`.
# Both run `make setup` first, which installs only what is missing.
SHELL := /bin/bash
GO    ?= go
BIN   := bin/corpushunt
OUT   ?= out
export GOMLX_NO_AUTO_INSTALL := 1
export PATH := $(shell $(GO) env GOPATH)/bin:$(PATH)

.PHONY: all setup build doctor test fuzz demo bench notebooks clean

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
	$(GO) test -count=1 ./...

# Run every fuzz target of the repository (func FuzzXxx(f *testing.F), as listed by the
# compiled test binaries) for FUZZTIME each, one after the other, stopping at the first
# failure; `go test` alone runs only their seed corpora. A failing input is written to
# the package's testdata/fuzz/FuzzXxx/ (minimized for at most FUZZMINIMIZETIME: raise it
# for a smaller reproducer). Executions and findings go in RELIABILITY.md.
FUZZTIME         ?= 30s
FUZZMINIMIZETIME ?= 1s
FUZZPARALLEL     ?= 2
fuzz: setup
	@set -eo pipefail; \
	targets=$$($(GO) test -list '^Fuzz' ./... | awk '/^Fuzz/ { n[++k] = $$1; next } \
		/^ok / { for (i = 1; i <= k; i++) print $$2, n[i]; k = 0 }'); \
	[ -n "$$targets" ] || { echo "✗ no fuzz targets found"; exit 1; }; \
	echo "$$(wc -l <<< "$$targets") fuzz targets, $(FUZZTIME) each"; \
	while read -r pkg name; do \
		echo "=== $$name ($$pkg)"; \
		$(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) \
			-parallel $(FUZZPARALLEL) "$$pkg" </dev/null \
			|| { echo "✗ fuzz target $$name in $$pkg failed"; exit 1; }; \
	done <<< "$$targets"; \
	echo "✓ every fuzz target passed ($(FUZZTIME) each)"

# The main job, on CIFAR-10: train the tutorial's convolutional autoencoder without labels
# on a 30,000-image subset (3 epochs, pure-Go backend with OpenBLAS: about the time 10,000
# images took before), picture its reconstructions,
# encode all 50,000 training images into an IVF index tuned for recall@10 ≥ 0.95, index the
# raw pixels as the baseline, and compare how often neighbours of the 1,000 test images
# share their class. A second run reuses the trained model (--resume is a no-op then).
DEMO_MODEL := $(OUT)/model-parity-30k
demo: setup build
	$(BIN) datasets info
	$(BIN) train cifar10 --model parity --limit 30000 --epochs 3 --out $(DEMO_MODEL) \
		$$( [ -f $(DEMO_MODEL)/model.json ] && echo --resume )
	$(BIN) reconstruct --model $(DEMO_MODEL) --out $(OUT)/reconstructions.png
	$(BIN) index --dataset cifar10 --encoder pixels --factory Flat --out $(OUT)/pixels-flat
	$(BIN) index --dataset cifar10 --encoder $(DEMO_MODEL) --metric cos --factory IVF256,Flat --tune --out $(OUT)/model-ivf
	$(BIN) query --index $(OUT)/model-ivf --item 0 -k 5
	$(BIN) eval --index $(OUT)/pixels-flat,$(OUT)/model-ivf --queries cifar10:test -k 1,10,100
	$(BIN) report --index $(OUT)/model-ivf --out reports/cifar10.html

# Execute every notebook headless (NB_SIZE=small for a quick run, full for real use) and
# export each to HTML under notebooks/out/html (ignored by git).
NB_SIZE ?= small
notebooks: setup
	mkdir -p notebooks/out/html
	for nb in notebooks/*.ipynb; do \
		CORPUSHUNT_NB_SIZE=$(NB_SIZE) jupyter nbconvert --to html --execute \
			--ExecutePreprocessor.kernel_name=gonb --ExecutePreprocessor.timeout=3600 \
			--output-dir notebooks/out/html "$$nb" || exit 1; \
	done
	@! grep -l -e "panic:" -e "exit status [1-9]" notebooks/out/html/*.html || { echo "a notebook cell failed (see the files above)"; exit 1; }
	@echo "exported: $$(ls notebooks/out/html/*.html)"

bench: setup
	$(GO) test -run '^$$' -bench . -benchtime 3x ./simsearch/index/
	$(GO) test -run '^$$' -bench . -benchtime 5x ./simsearch/convae/
	$(GO) test -run '^$$' -bench . -benchtime 20x ./simsearch/textae/

clean:
	rm -rf bin $(OUT) reports
