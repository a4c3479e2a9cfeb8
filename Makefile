# Front door. `make demo` and `make test` do all set-up (apt + .venv) first.
BUILD ?= build
PYTHON := .venv/bin/python
JOBS ?= $(shell nproc)
HARNESS := $(BUILD)/tools/harness

.PHONY: setup configure build test demo bench fuzz clean

setup:
	bash scripts/setup.sh

configure: setup
	cmake -S . -B $(BUILD) -DCMAKE_PREFIX_PATH="$$($(PYTHON) -c 'import torch; print(torch.utils.cmake_prefix_path)')" -DHARNESS_PYTHON=$(CURDIR)/$(PYTHON)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

demo: build
	$(HARNESS) run forward_check --model data/models/tinystories-656k --new-tokens 30
	$(HARNESS) run perplexity --model data/models/tinystories-656k --protocol nonoverlap --window 512
	$(HARNESS) run drift --model data/models/tinystories-656k --docs 16 --seqlen 128
	$(HARNESS) run zero_shot --model data/models/tinystories-656k --data data/eval
	$(HARNESS) run llama_sparse --preset tiny

bench: build
	$(BUILD)/bench/bench_load
	$(BUILD)/bench/bench_tokenizer
	$(BUILD)/bench/bench_runtime
	$(BUILD)/bench/bench_predictors
	$(BUILD)/bench/bench_kernels
	$(BUILD)/bench/bench_head_sparse_attention

clean:
	rm -rf $(BUILD)
