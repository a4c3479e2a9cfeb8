#!/usr/bin/env bash
# The checks that need a GPU (not in ctest: CI has none), as one script for a machine with an NVIDIA GPU,
# nvcc and a CUDA libtorch (a Python whose torch was built with CUDA). In order, each step logged to
# OUT_DIR/<step>.log, a failed step reported and the rest still run:
#   build        configure BUILD with the CUDA code on and build harness, harness_tests, bench_gpu_kernels
#   tests        the Catch2 tests that use the GPU: the CUDA kernel variants against their references
#                ([cuda]), decode steps through the CUDA kernels ([speed_path]), placement ([placement])
#   bench        `harness run bench --suite bench_gpu_kernels` (result under RESULTS, default results/)
#   split_gpu    multi_device_check.sh with the layers split over cuda:0 twice, against cuda:0 alone
#   split_mixed  the same with the layers split over cpu and cuda:0
#   trace        `harness run trace --device cuda`: one decode step's ops timed on the GPU (Perfetto JSON)
#   scale        `harness run scale_check --device cuda` on paper-sized random-weight stand-ins (SCALE_MODELS,
#                default Llama-3.2-3B,opt-1.3b; SCALE_TOKENS, default 2048, the paper's window): every case's
#                wall time and peak CUDA memory on this GPU (needs the stand-ins' GBs of disk under WORK)
# Usage: tests/gpu/run_gpu_checks.sh OUT_DIR
# Environment: STEPS (the steps to run, default all, in the order above), PYTHON (python3), BUILD
#   (build-gpu), CUDA_ARCH (90), RESULTS (results), BENCH_ARGS
#   ("--repetitions 3 --min-time 0.1"), DEPS_ROOT (an extra prefix holding the C++ libraries the build
#   needs, e.g. unpacked Debian packages; its pkg-config files are used with it as the sysroot; its fmt
#   headers are moved aside and searched last, as /usr/include's are, so libtorch's own fmt comes first),
#   HARNESS_SHARED (the shared folder: fixtures, tokenizers; default ../shared beside the checkout), WORK
#   (where the multi-device checks and scale_check write their work, default OUT_DIR), TASK_DATA (the task
#   data scale_check sizes its projections by, default HARNESS_SHARED/data/eval).
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mkdir -p "$1" && cd "$1" && pwd)
python=${PYTHON:-python3}
build=$(realpath -m "${BUILD:-build-gpu}")
results=$(realpath -m "${RESULTS:-results}")
work=$(realpath -m "${WORK:-$out}")
shared=${HARNESS_SHARED:-$src/../shared}
failed=()

steps=" ${STEPS:-build tests bench split_gpu split_mixed trace scale} "

step() {  # step NAME COMMAND...: runs COMMAND with its output in OUT_DIR/NAME.log (if NAME is in STEPS)
  local name=$1 t0=$SECONDS
  shift
  [[ $steps == *" $name "* ]] || return 0
  echo "== $name: $*"
  if "$@" > "$out/$name.log" 2>&1; then
    echo "   ok in $((SECONDS - t0)) s"
  else
    echo "   FAILED (exit $?) in $((SECONDS - t0)) s; the end of $name.log:"
    tail -n 40 "$out/$name.log"
    failed+=("$name")
  fi
}

configure_and_build() {
  local prefix
  prefix=$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)') || return 1
  local args=(-S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DHARNESS_CUDA=ON
              -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCH:-90}" -DHARNESS_PYTHON="$(command -v "$python")")
  if [ -n "${DEPS_ROOT:-}" ]; then
    local libdir=$DEPS_ROOT/usr/lib/x86_64-linux-gnu
    export PKG_CONFIG_LIBDIR=$libdir/pkgconfig:$DEPS_ROOT/usr/share/pkgconfig PKG_CONFIG_SYSROOT_DIR=$DEPS_ROOT
    command -v pkg-config > /dev/null || args+=(-DPKG_CONFIG_EXECUTABLE="$DEPS_ROOT/usr/bin/pkgconf")
    args+=(-DCMAKE_PREFIX_PATH="$prefix;$DEPS_ROOT/usr" -DOPENSSL_ROOT_DIR="$DEPS_ROOT/usr")
    if [ -d "$DEPS_ROOT/usr/include/fmt" ]; then
      mkdir -p "$DEPS_ROOT/fmt-last/include" && mv "$DEPS_ROOT/usr/include/fmt" "$DEPS_ROOT/fmt-last/include/"
    fi
    [ -d "$DEPS_ROOT/fmt-last/include" ] && args+=(-DCMAKE_CXX_FLAGS="-idirafter $DEPS_ROOT/fmt-last/include")
  else
    args+=(-DCMAKE_PREFIX_PATH="$prefix")
  fi
  local keep_going=(-k)  # report every compile error, not only the first
  if command -v ninja > /dev/null; then args+=(-G Ninja); keep_going=(-k 0); fi
  cmake "${args[@]}" &&
    cmake --build "$build" -j "$(nproc)" --target harness harness_tests bench_gpu_kernels -- "${keep_going[@]}"
}

# torch 2.11.0's libtorch.so (the PyPI wheel) exports its own copy of std::filesystem, whose
# remove_all(path, error_code&) jumps to address 0; the dynamic linker binds the programs' calls (the tests'
# temporary-folder cleanup, scale_check removing its stand-ins) to it ahead of libstdc++'s. libtorch 2.14.1
# (scripts/requirements.txt) exports none. Where the built harness's libtorch exports them, libstdc++ is
# preloaded for every later step so that its own definitions come first.
preload_libstdcxx_if_libtorch_exports_filesystem() {
  [ -x "$build/tools/harness" ] || return 0
  local libtorch
  libtorch=$(ldd "$build/tools/harness" | awk '$1 == "libtorch.so" { print $3 }')
  # (grep reads all of nm's output: with -q it would stop early and, under pipefail, nm's SIGPIPE would
  # make the check fail.)
  if nm -D --defined-only "$libtorch" 2> /dev/null | grep "_ZNSt10filesystem" > /dev/null; then
    echo "note: $libtorch exports std::filesystem symbols: preloading libstdc++ for the steps after the build"
    LD_PRELOAD=$(c++ -print-file-name=libstdc++.so.6)
    export LD_PRELOAD
  fi
}

gpu_tests() {
  local log rc
  log=$(mktemp)
  (cd "$build/tests" && ./harness_tests "[cuda],[speed_path],[placement]" --durations yes) > "$log" 2>&1
  rc=$?
  cat "$log"
  # A CUDA test that found no GPU warns and returns: here that is a failure.
  if grep -q "was not run" "$log"; then echo "a CUDA test did not run (no GPU seen)"; rc=1; fi
  rm -f "$log"
  return "$rc"
}

echo "== machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
"$python" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)' || true
c++ --version | head -n 1; nvcc --version | tail -n 1; nproc

# DEPS_ROOT's libraries, for the build's tools (pkgconf) and for every program it builds.
[ -n "${DEPS_ROOT:-}" ] && export LD_LIBRARY_PATH=$DEPS_ROOT/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
step build configure_and_build
preload_libstdcxx_if_libtorch_exports_filesystem
step tests gpu_tests
# shellcheck disable=SC2086
step bench "$build/tools/harness" run bench --suite bench_gpu_kernels ${BENCH_ARGS:---repetitions 3 --min-time 0.1} \
  --out "$results"
export HARNESS_PYTHON=$python
step split_gpu bash "$src/tests/gpu/multi_device_check.sh" "$build/tools/harness" "" cuda:0,cuda:0 cuda:0 "$work/split-gpu"
step split_mixed bash "$src/tests/gpu/multi_device_check.sh" "$build/tools/harness" "" cpu,cuda:0 cuda:0 "$work/split-mixed"
step trace "$build/tools/harness" run trace --device cuda --out "$results"
in_checkout() { (cd "$src" && "$@"); }  # the stages read the shipped perplexity texts by relative paths
step scale in_checkout "$build/tools/harness" run scale_check --device cuda \
  --models "${SCALE_MODELS:-Llama-3.2-3B,opt-1.3b}" --tokens "${SCALE_TOKENS:-2048}" \
  --llama-tokenizer "$shared/data/tokenizers/llama3-hf" --opt-tokenizer "$shared/data/tokenizers/gpt2" \
  --task-data "${TASK_DATA:-$shared/data/eval}" --work "$work/scale" --out "$results"

if ((${#failed[@]})); then
  echo "run_gpu_checks: FAILED: ${failed[*]}"
  exit 1
fi
echo "run_gpu_checks: all steps passed"
