# Front door. `make demo` and `make test` do all set-up (apt + .venv) first.
BUILD ?= build
PYTHON := .venv/bin/python
JOBS ?= $(shell nproc)
HARNESS := $(BUILD)/tools/harness

.PHONY: setup configure build test demo bench fuzz clean tables figures artifact diff tiny-pair \
        table-recall table-sparse-ppl table-zero-shot table-drift-medians fig-drift fig-drift-overlay fig-drift-norms \
        fig-recall-by-layer fig-recall-vs-lookahead fig-sparsity-ppl

# Paper tables and figures (artifact/README.md). A table-* or fig-* target reruns its cases at paper
# scale into results/ and then renders from results/ alone; FROM=results skips the runs and renders
# what is stored. `tables` and `figures` only re-render, from stored results. Checkpoints: OPT_MODEL and
# LLAMA_MODELS (Hugging Face directories); WIDTH=two draws figures two columns wide. Paper runs refuse
# a harness built from a dirty tree; ALLOW_DIRTY=1 runs anyway (the diff is stored, the result INVALID).
RESULTS := results
OPT_MODEL ?= ../shared/data/models/opt-1.3b
LLAMA_MODELS ?= ../shared/data/models/Llama-3.2-3B ../shared/data/models/Llama-3.1-8B
TASK_DATA ?= ../shared/data/eval
GPU := --device cuda --dtype bf16
WIDTH ?= one
# $(call paper_run,CASE,MODELS,OPTIONS): one run of CASE per model; nothing when FROM=results.
paper_run = $(if $(filter results,$(FROM)),,set -e; $(foreach m,$(2),$(HARNESS) run $(1) --paper $(if $(ALLOW_DIRTY),--allow-dirty) --model $(m) $(3) --out $(RESULTS);))

setup:
	bash scripts/setup.sh

configure: setup
	cmake -S . -B $(BUILD) -DCMAKE_PREFIX_PATH="$$($(PYTHON) -c 'import torch; print(torch.utils.cmake_prefix_path)')" -DHARNESS_PYTHON=$(CURDIR)/$(PYTHON)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Regenerates the shipped trained pair data/models/tiny-pair-opt and tiny-pair-llama (~20 min on 2 cores).
tiny-pair: build
	$(HARNESS) run train_tiny_pair --preset tiny --out $(RESULTS)

demo: build
	$(HARNESS) run forward_check --model data/models/tinystories-656k --new-tokens 30
	$(HARNESS) run perplexity --model data/models/tinystories-656k --protocol nonoverlap --window 512
	$(HARNESS) run drift --model data/models/tinystories-656k --docs 16 --seqlen 128
	$(HARNESS) run zero_shot --model data/models/tinystories-656k --data data/eval
	$(HARNESS) run llama_sparse --preset tiny
	$(HARNESS) table all --results $(RESULTS)
	$(HARNESS) plot all --results $(RESULTS)

bench: build
	$(BUILD)/bench/bench_load
	$(BUILD)/bench/bench_tokenizer
	$(BUILD)/bench/bench_runtime
	$(BUILD)/bench/bench_predictors
	$(BUILD)/bench/bench_kernels
	$(BUILD)/bench/bench_head_sparse_attention
	$(BUILD)/bench/bench_anchor_reuse_attention

clean:
	rm -rf $(BUILD)

# The artifact bundle from results/ (artifact/REVIEW.md is its README), then its verification.
# ALLOW_INVALID="reason" bundles INVALID results, declared with that reason.
BUNDLE ?= artifact/harness-artifact.tar.gz
artifact: build
	$(HARNESS) bundle --results $(RESULTS) --out $(BUNDLE) $(if $(ALLOW_INVALID),--allow-invalid "$(ALLOW_INVALID)")
	$(HARNESS) verify-bundle $(BUNDLE)

# Results of two commits (or folders) compared metric by metric: make diff A=HEAD~1 B=HEAD.
diff: build
	$(HARNESS) diff $(A) $(B) --fail-on-regression

tables: build
	$(HARNESS) table all --results $(RESULTS)

figures: build
	$(HARNESS) plot all --results $(RESULTS) --width $(WIDTH)

table-recall: build
	$(call paper_run,opt_baseline,$(OPT_MODEL),--preset paper)
	$(call paper_run,llama_sparse,$(LLAMA_MODELS),--preset paper)
	$(HARNESS) table recall --results $(RESULTS)

table-sparse-ppl: build
	$(call paper_run,opt_baseline,$(OPT_MODEL),--preset paper)
	$(call paper_run,llama_sparse,$(LLAMA_MODELS),--preset paper)
	$(HARNESS) table sparse-ppl --results $(RESULTS)

table-zero-shot: build
	$(call paper_run,zero_shot,$(OPT_MODEL) $(LLAMA_MODELS),--data $(TASK_DATA) $(GPU))
	$(call paper_run,few_shot,$(OPT_MODEL) $(LLAMA_MODELS),--data $(TASK_DATA) $(GPU))
	$(HARNESS) table zero-shot --results $(RESULTS)

table-drift-medians: build
	$(call paper_run,drift,$(OPT_MODEL) $(LLAMA_MODELS),$(GPU))
	$(HARNESS) table drift-medians --results $(RESULTS)

fig-drift: build
	$(call paper_run,drift,$(OPT_MODEL) $(LLAMA_MODELS),$(GPU))
	$(HARNESS) plot drift --results $(RESULTS) --width $(WIDTH)

fig-drift-overlay: build
	$(call paper_run,drift,$(OPT_MODEL) $(LLAMA_MODELS),$(GPU))
	$(HARNESS) plot drift-overlay --results $(RESULTS) --width $(WIDTH)

fig-drift-norms: build
	$(call paper_run,drift,$(OPT_MODEL) $(LLAMA_MODELS),$(GPU))
	$(HARNESS) plot drift-norms --results $(RESULTS) --width $(WIDTH)

fig-recall-vs-lookahead: build
	$(call paper_run,opt_baseline,$(OPT_MODEL),--preset paper)
	$(call paper_run,llama_sparse,$(LLAMA_MODELS),--preset paper)
	$(HARNESS) plot recall-vs-lookahead --results $(RESULTS) --width $(WIDTH)

fig-recall-by-layer: build
	$(call paper_run,opt_baseline,$(OPT_MODEL),--preset paper)
	$(call paper_run,llama_sparse,$(LLAMA_MODELS),--preset paper)
	$(HARNESS) plot recall-by-layer --results $(RESULTS) --width $(WIDTH)

fig-sparsity-ppl: build
	$(call paper_run,opt_baseline,$(OPT_MODEL),--preset paper)
	$(call paper_run,llama_sparse,$(LLAMA_MODELS),--preset paper)
	$(HARNESS) plot sparsity-ppl --results $(RESULTS) --width $(WIDTH)
