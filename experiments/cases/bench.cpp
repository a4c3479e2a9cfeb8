// bench: runs one of the Google Benchmark suites of bench/ with repetitions and stores what it measured
// as a result -- per benchmark the raw wall time of every repetition and its counters -- so benchmark
// numbers are compared across commits with `harness diff` (Mann-Whitney U) and bundled like any result.
// It reads no input files: the weights are the suites' own random ones.
#include <chrono>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <unistd.h>

#include "artifact/google_benchmark.h"
#include "artifact/process.h"
#include "experiments/cases/cases.h"
#include "experiments/result.h"
#include "runtime/device.h"
#include "runtime/error.h"
#include "runtime/json_file.h"
#include "runtime/sha256.h"

namespace harness {

namespace {

namespace fs = std::filesystem;

// The suites are built beside the harness: <build>/tools/harness and <build>/bench/<suite>.
fs::path suite_path(const case_args& args) {
  const std::string& suite = args.get("suite");
  if (suite.empty() || suite.find('/') != std::string::npos) fail("bench: --suite '{}' is not a suite name", suite);
  fs::path dir = args.get("bench-dir").empty() ? fs::read_symlink("/proc/self/exe").parent_path().parent_path() / "bench"
                                                : fs::path(args.get("bench-dir"));
  fs::path binary = dir / suite;
  if (!fs::is_regular_file(binary)) fail("bench: no benchmark suite {} (build it, or give --bench-dir)", binary.string());
  return binary;
}

void run_bench(const case_args& args) {
  constexpr int64_t mann_whitney_minimum = 9;
  fs::path binary = suite_path(args);
  int64_t repetitions = args.get_int("repetitions");
  double min_time = args.get_double("min-time");
  if (repetitions < 1) fail("bench: --repetitions must be at least 1");
  if (!(min_time > 0)) fail("bench: --min-time must be positive");

  fs::path out_json = fs::temp_directory_path() / fmt::format("harness-bench-{}.json", ::getpid());
  std::vector<std::string> command = {binary.string(), "--benchmark_repetitions=" + std::to_string(repetitions),
                                      fmt::format("--benchmark_min_time={}", min_time),
                                      "--benchmark_out=" + out_json.string(), "--benchmark_out_format=json"};
  if (!args.get("filter").empty()) command.push_back("--benchmark_filter=" + args.get("filter"));
  std::cout << fmt::format("bench: {} ({} repetitions of each benchmark{})\n", binary.string(), repetitions,
                           args.get("filter").empty() ? "" : ", filter " + args.get("filter"));
  std::cout.flush();
  auto t0 = std::chrono::steady_clock::now();
  process_result r = run_process(command, "", /*capture=*/false);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (r.exit_code != 0) {
    fs::remove(out_json);
    fail("bench: {} failed (exit {})", binary.string(), r.exit_code);
  }
  nlohmann::json output = read_json_file(out_json.string());
  fs::remove(out_json);

  result_document doc(find_case("bench"), args);
  doc.set_environment(describe_environment(at::Device(at::kCPU)));
  doc.metrics() = google_benchmark_metrics(output, binary.string());
  doc.metrics()["suite"] = args.get("suite");
  // The suite binary is the code under measurement (named by `code`), not an input: its hash is
  // recorded for reference only, so `harness diff` compares the same suite across commits.
  doc.metrics()["suite_sha256"] = sha256_file(binary.string());
  doc.add_timing("benchmark", seconds);
  if (repetitions < mann_whitney_minimum)
    doc.mark_invalid(fmt::format("{} repetitions: fewer than the {} a Mann-Whitney comparison needs", repetitions,
                                 mann_whitney_minimum));
  std::cout << "result: " << doc.write(args.get("out"), args.get("suite")) << "\n";
}

}  // namespace

experiment_case bench_case() {
  return {"bench",
          1,
          "kernel speed tables (sparse MLP, head-sparse and anchor/reuse attention) and their comparison across commits",
          "run a Google Benchmark suite of bench/ with repetitions; store every repetition's time and counters",
          {{"suite", "bench_kernels", "bench_kernels, bench_head_sparse_attention, bench_anchor_reuse_attention, bench_gpu_kernels (CUDA), bench_runtime, bench_predictors, ..."},
           {"filter", "", "Google Benchmark regex of the benchmarks to run (empty: all)"},
           {"repetitions", "10", "repetitions of each benchmark (at least 9 for harness diff's Mann-Whitney test)"},
           {"min-time", "0.5", "seconds each repetition runs at least"},
           {"bench-dir", "", "folder of the suites (default: bench/ of the build the harness comes from)"},
           {"out", "results", "results directory"}},
          run_bench};
}

}  // namespace harness
