#!/usr/bin/env bash
# `harness import-llama2c` on the shipped stories260K: the converted model, greedy from BOS, prints exactly
# what llama2.c's run.c prints at temperature 0 (tests/fixtures/llama2c, from llama2.c's doc and tests),
# for 256 and 200 tokens; bad inputs fail with one line naming the file and leave no directory behind.
# Usage: cli_import_llama2c.sh HARNESS PYTHON SOURCE_DIR SHARED_DIR WORK_DIR
# Leaves the converted model in WORK_DIR/stories260K for the transformers oracle test.
set -euo pipefail
harness=$1 python=$2 src=$3 shared=$4 work=$5
models=$src/data/models/stories260K
rm -rf "$work"
mkdir -p "$work"
"$harness" import-llama2c --checkpoint "$models/stories260K.bin" --tokenizer "$models/tok512.bin" --out "$work/stories260K"
for f in config.json generation_config.json model.safetensors tokenizer.json tokenizer_config.json SOURCE.md; do
  test -s "$work/stories260K/$f" || { echo "missing $f"; exit 1; }
done
grep -q "$(sha256sum "$models/stories260K.bin" | cut -d' ' -f1)" "$work/stories260K/SOURCE.md"
grep -q "$(sha256sum "$models/tok512.bin" | cut -d' ' -f1)" "$work/stories260K/SOURCE.md"

# Greedy from BOS, as run.c: 256 steps (its default) and 200 (llama2.c's test_all.py).
for steps in 256 200; do
  "$harness" run forward_check --model "$work/stories260K" --new-tokens $steps --out "$work/results" \
    > "$work/greedy-$steps.txt" 2> "$work/greedy-$steps.err"
  "$python" - "$work/greedy-$steps.txt" "$src/tests/fixtures/llama2c/stories260K_greedy_$steps.txt" "$steps" <<'PY'
import sys
out = open(sys.argv[1], encoding="utf-8").read()
expected = open(sys.argv[2], encoding="utf-8").read()
steps = int(sys.argv[3])
ids_line = next(line for line in out.splitlines() if line.startswith("generated ids: "))
ids = [int(i) for i in ids_line[len("generated ids: "):].split(",")]
# run.c stops at BOS (1) and prints EOS (2) as text; neither may occur for the texts to be comparable.
assert len(ids) == steps and 1 not in ids and 2 not in ids, ids
text = out.split("\ntext: ", 1)[1].rsplit("\nresult: ", 1)[0]
if text != expected:
    print(f"harness printed:\n{text!r}\nrun.c printed:\n{expected!r}")
    sys.exit(1)
PY
done

# Bad input: one line on stderr naming the file, exit 1, and no directory (or temporary one) left behind.
expect_error() {  # expect_error PATTERN ARGS...
  local pattern=$1; shift
  rm -rf "$work/bad" "$work"/bad.tmp.*
  if "$harness" import-llama2c "$@" --out "$work/bad" > /dev/null 2> "$work/err"; then
    echo "import-llama2c accepted: $*"; exit 1
  fi
  if [ "$(wc -l < "$work/err")" != 1 ] || ! grep -q "^harness: error: .*$pattern" "$work/err"; then
    echo "unexpected error for $*:"; cat "$work/err"; exit 1
  fi
  if compgen -G "$work/bad*" > /dev/null; then echo "a failed import left $(ls -d "$work"/bad*)"; exit 1; fi
}
size=$(stat -c %s "$models/stories260K.bin")
head -c $((size - 100)) "$models/stories260K.bin" > "$work/truncated.bin"
expect_error "$work/truncated.bin: expected $size bytes .* but the file has $((size - 100)) bytes (truncated)" \
  --checkpoint "$work/truncated.bin" --tokenizer "$models/tok512.bin"
{ cat "$models/stories260K.bin"; printf '0123'; } > "$work/long.bin"
expect_error "$work/long.bin: expected $size bytes .* but the file has $((size + 4)) bytes (too long)" \
  --checkpoint "$work/long.bin" --tokenizer "$models/tok512.bin"
head -c 20 "$models/stories260K.bin" > "$work/stub.bin"
expect_error "$work/stub.bin: 20 bytes is too short" --checkpoint "$work/stub.bin" --tokenizer "$models/tok512.bin"
expect_error "stories260K-q8.bin: llama2.c version 2 (int8 Q8_0) checkpoints are not supported" \
  --checkpoint "$shared/data/models/stories260K/stories260K-q8.bin" --tokenizer "$models/tok512.bin"
expect_error "$models/tok512.bin: not a llama2.c checkpoint" --checkpoint "$models/tok512.bin" --tokenizer "$models/tok512.bin"
# Llama-2's 32000-token tokenizer is not stories260K's 512-token one.
expect_error "llama2c-tokenizer/tokenizer.bin: .* bytes remain after the 512 tokens" \
  --checkpoint "$models/stories260K.bin" --tokenizer "$shared/data/models/llama2c-tokenizer/tokenizer.bin"
head -c 3000 "$models/tok512.bin" > "$work/tok-truncated.bin"
expect_error "$work/tok-truncated.bin: ends inside token" --checkpoint "$models/stories260K.bin" --tokenizer "$work/tok-truncated.bin"
expect_error "$models/stories260K.bin: token [0-9]* is [0-9]* bytes long" --checkpoint "$models/stories260K.bin" --tokenizer "$models/stories260K.bin"
expect_error "$work/missing.bin: no such file" --checkpoint "$work/missing.bin" --tokenizer "$models/tok512.bin"
expect_error "import-llama2c.*--tokenizer" --checkpoint "$models/stories260K.bin"
# An existing output directory is not overwritten.
mkdir -p "$work/bad"
if "$harness" import-llama2c --checkpoint "$models/stories260K.bin" --tokenizer "$models/tok512.bin" --out "$work/bad" 2> "$work/err"; then
  echo "import-llama2c overwrote an existing directory"; exit 1
fi
grep -q "$work/bad: already exists" "$work/err"
echo "ok"
