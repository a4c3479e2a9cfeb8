// google_benchmark.h: Google Benchmark's JSON output (--benchmark_out_format=json, run with
// --benchmark_repetitions) turned into result metrics, so benchmark suites are stored, compared
// (`harness diff`: Mann-Whitney U on the raw repetitions) and bundled like every other result.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace harness {

// {"context": the machine as Google Benchmark saw it (cpus, MHz, caches, scaling, load, library build
//  type), "benchmarks": {name: {"repetitions", "iterations" (per repetition, median),
//  "real_time_s" and "cpu_time_s" as {"value": median, "samples": [seconds per iteration, one per
//  repetition], "unit": "s"}, "counters": {name: {"value": mean, "stderr"}}}}}.
// Aggregate rows (mean, median, stddev, cv) are ignored and recomputed from the repetitions. A
// benchmark that reported an error, or malformed output, is an error naming `origin`.
nlohmann::json google_benchmark_metrics(const nlohmann::json& output, const std::string& origin);

}  // namespace harness
