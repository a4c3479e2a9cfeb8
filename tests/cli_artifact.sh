#!/usr/bin/env bash
# The artifact commands end to end on the results every case wrote in the results.schema test:
# tables and figures render twice to identical bytes; provenance names the recorded run; a bundle
# refuses undeclared INVALID results, verifies when declared, and fails once a file inside is changed;
# diff finds no change between a set and itself and a regression when a perplexity worsens.
# Usage: cli_artifact.sh HARNESS SOURCE_DIR RESULTS_DIR WORK_DIR
set -euo pipefail
harness=$1 src=$2 results_in=$3 work=$4
rm -rf "$work"
mkdir -p "$work"
cp -r "$results_in" "$work/results"
cd "$src"  # bundle reads artifact/REVIEW.md, docs/ and the environment files from the checkout

for i in 1 2; do
  "$harness" table all --results "$work/results" --out "$work/render$i/tables" > /dev/null
  "$harness" plot all --results "$work/results" --out "$work/render$i/figures" > /dev/null
done
diff -r "$work/render1" "$work/render2" || { echo "rendering twice gave different bytes"; exit 1; }
for f in tables/recall.md tables/recall.tex tables/sparse-ppl.md tables/zero-shot.md figures/drift.pdf figures/drift.png \
         figures/recall-by-layer.png figures/sparsity-ppl.pdf; do
  [ -s "$work/render1/$f" ] || { echo "missing $f"; exit 1; }
done

"$harness" provenance llama_sparse --results "$work/results" > "$work/provenance.txt"
grep -q "llama_sparse/tinystories-656k/" "$work/provenance.txt" || { cat "$work/provenance.txt"; exit 1; }

# The task cases ran with --limit, so the set holds INVALID results: refused until declared.
if "$harness" bundle --results "$work/results" --out "$work/a.tar.gz" 2> "$work/refused.txt"; then
  echo "bundle accepted undeclared INVALID results"; exit 1
fi
grep -q "is INVALID" "$work/refused.txt"
"$harness" bundle --results "$work/results" --out "$work/a.tar.gz" --allow-invalid "test runs with --limit"
"$harness" verify-bundle "$work/a.tar.gz"

mkdir "$work/x"
tar -xzf "$work/a.tar.gz" -C "$work/x"
sed -i 's/"perplexity": \([0-9]\)/"perplexity": 9\1/' "$work"/x/harness-artifact/results/perplexity/*/*/*.json
tar -czf "$work/tampered.tar.gz" -C "$work/x" harness-artifact
if "$harness" verify-bundle "$work/tampered.tar.gz" > "$work/tampered.txt"; then
  echo "a tampered bundle verified"; exit 1
fi
grep -q "sha256 differs" "$work/tampered.txt" || { cat "$work/tampered.txt"; exit 1; }

"$harness" diff "$work/results" "$work/results" --fail-on-regression --out "$work/same.md"
cp -r "$work/x/harness-artifact/results" "$work/worse"
if "$harness" diff "$work/results" "$work/worse" --fail-on-regression --out "$work/worse.md" --json "$work/worse.json"; then
  echo "diff missed a worse perplexity"; exit 1
fi
grep -q "worse" "$work/worse.md" || { cat "$work/worse.md"; exit 1; }
echo "artifact commands: ok"
