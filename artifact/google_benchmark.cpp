#include "artifact/google_benchmark.h"

#include <cmath>
#include <map>
#include <set>
#include <vector>

#include "artifact/mann_whitney.h"
#include "runtime/error.h"

namespace harness {

namespace {

// Fields of a Google Benchmark row that are not user counters.
const std::set<std::string> row_fields = {"name", "family_index", "per_family_instance_index", "run_name", "run_type",
                                          "repetitions", "repetition_index", "threads", "iterations", "real_time",
                                          "cpu_time", "time_unit", "aggregate_name", "aggregate_unit", "label",
                                          "error_occurred", "error_message"};

double seconds_per(const std::string& unit, const std::string& where) {
  if (unit == "ns") return 1e-9;
  if (unit == "us") return 1e-6;
  if (unit == "ms") return 1e-3;
  if (unit == "s") return 1;
  fail("{}: unknown time_unit '{}'", where, unit);
}

nlohmann::json timing(const std::vector<double>& samples) {
  return {{"value", median(samples)}, {"samples", samples}, {"unit", "s"}};
}

nlohmann::json mean_stderr(const std::vector<double>& values) {
  double n = static_cast<double>(values.size()), mean = 0, var = 0;
  for (double v : values) mean += v / n;
  for (double v : values) var += (v - mean) * (v - mean);
  double se = values.size() > 1 ? std::sqrt(var / (n - 1) / n) : 0.0;
  return {{"value", mean}, {"stderr", se}};
}

struct repetitions {
  std::vector<double> real_s, cpu_s, iterations;
  std::map<std::string, std::vector<double>> counters;
};

}  // namespace

nlohmann::json google_benchmark_metrics(const nlohmann::json& output, const std::string& origin) {
  if (!output.is_object() || !output.contains("benchmarks") || !output["benchmarks"].is_array())
    fail("{}: not Google Benchmark JSON output (no \"benchmarks\" list)", origin);
  std::map<std::string, repetitions> runs;
  for (const auto& row : output["benchmarks"]) {
    std::string name = row.value("run_name", row.value("name", ""));
    std::string where = origin + ": benchmark '" + name + "'";
    if (name.empty()) fail("{}: a benchmark row has no name", origin);
    if (row.value("error_occurred", false)) fail("{} reported an error: {}", where, row.value("error_message", "?"));
    if (row.value("run_type", "iteration") != "iteration") continue;
    for (const char* field : {"real_time", "cpu_time", "iterations"})
      if (!row.contains(field) || !row[field].is_number()) fail("{}: no numeric '{}'", where, field);
    double scale = seconds_per(row.value("time_unit", "ns"), where);
    repetitions& r = runs[name];
    r.real_s.push_back(row["real_time"].get<double>() * scale);
    r.cpu_s.push_back(row["cpu_time"].get<double>() * scale);
    r.iterations.push_back(row["iterations"].get<double>());
    for (const auto& [key, value] : row.items())
      if (!row_fields.count(key) && value.is_number()) r.counters[key].push_back(value.get<double>());
  }
  if (runs.empty()) fail("{}: no benchmark ran (check the filter)", origin);

  nlohmann::json metrics;
  const nlohmann::json context = output.value("context", nlohmann::json::object());
  for (const char* key : {"num_cpus", "mhz_per_cpu", "cpu_scaling_enabled", "caches", "load_avg", "library_build_type"})
    if (context.contains(key)) metrics["context"][key] = context[key];
  for (const auto& [name, r] : runs) {
    nlohmann::json& b = metrics["benchmarks"][name];
    b["repetitions"] = r.real_s.size();
    b["iterations"] = median(r.iterations);
    b["real_time_s"] = timing(r.real_s);
    b["cpu_time_s"] = timing(r.cpu_s);
    b["counters"] = nlohmann::json::object();
    for (const auto& [counter, values] : r.counters) b["counters"][counter] = mean_stderr(values);
  }
  return metrics;
}

}  // namespace harness
