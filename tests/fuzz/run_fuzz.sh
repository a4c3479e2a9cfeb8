#!/usr/bin/env bash
# Builds the safetensors header fuzzer with clang (libFuzzer + AddressSanitizer + UBSan) and runs it for a
# bounded time. Usage: run_fuzz.sh SOURCE_DIR WORK_DIR SECONDS
set -euo pipefail
src=$1 work=$2 seconds=$3
mkdir -p "$work/corpus"
clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -DFMT_HEADER_ONLY \
  -I"$src" "$src/runtime/safetensors_header.cpp" "$src/tests/fuzz/safetensors_header_fuzz.cpp" \
  -o "$work/safetensors_header_fuzz"
# Seeds: small valid files (one tensor, two tensors, metadata, an empty tensor).
seed() { # name header data_bytes
  local len=${#2}
  python3 -c "import struct,sys; sys.stdout.buffer.write(struct.pack('<Q', $len) + sys.argv[1].encode() + bytes($3))" "$2" \
    > "$work/corpus/$1"
}
seed one '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}' 8
seed two '{"__metadata__":{"format":"pt"},"a":{"dtype":"BF16","shape":[1,2],"data_offsets":[0,4]},"b":{"dtype":"I64","shape":[1],"data_offsets":[4,12]}}' 12
seed empty '{"e":{"dtype":"U8","shape":[0,3],"data_offsets":[0,0]},"b":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}}' 3
"$work/safetensors_header_fuzz" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 "$work/corpus"
