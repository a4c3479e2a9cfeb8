// Google Benchmark output becomes result metrics: repetitions in seconds with their median, counters
// as mean and standard error, aggregate rows ignored, errors named.
#include <cmath>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "artifact/google_benchmark.h"

namespace {

nlohmann::json row(const std::string& name, double real_us, double cpu_us, double speedup, int index) {
  return {{"name", name}, {"run_name", name}, {"run_type", "iteration"}, {"repetitions", 3},
          {"repetition_index", index}, {"threads", 1}, {"iterations", 10 + index}, {"real_time", real_us},
          {"cpu_time", cpu_us}, {"time_unit", "us"}, {"speedup", speedup}};
}

}  // namespace

CATCH_TEST_CASE("google benchmark repetitions become timing samples and counter statistics") {
  nlohmann::json out = {{"context", {{"num_cpus", 2}, {"library_build_type", "release"}, {"host_name", "x"}}},
                        {"benchmarks",
                         {row("mlp/s=0.5", 300, 290, 2.0, 0), row("mlp/s=0.5", 100, 90, 4.0, 1),
                          row("mlp/s=0.5", 200, 190, 3.0, 2),
                          {{"name", "mlp/s=0.5_mean"}, {"run_name", "mlp/s=0.5"}, {"run_type", "aggregate"},
                           {"aggregate_name", "mean"}, {"real_time", 999}, {"cpu_time", 999}, {"time_unit", "us"},
                           {"iterations", 3}}}}};
  auto m = harness::google_benchmark_metrics(out, "b.json");
  CATCH_CHECK(m["context"] == nlohmann::json({{"num_cpus", 2}, {"library_build_type", "release"}}));
  const auto& b = m["benchmarks"]["mlp/s=0.5"];
  CATCH_CHECK(b["repetitions"] == 3);
  CATCH_CHECK(b["iterations"] == 11.0);
  auto samples = b["real_time_s"]["samples"].get<std::vector<double>>();  // in repetition order, in seconds
  CATCH_REQUIRE(samples.size() == 3);
  CATCH_CHECK(samples[0] == Approx(300e-6));
  CATCH_CHECK(samples[1] == Approx(100e-6));
  CATCH_CHECK(samples[2] == Approx(200e-6));
  CATCH_CHECK(b["real_time_s"]["unit"] == "s");
  CATCH_CHECK(b["real_time_s"]["value"].get<double>() == Approx(200e-6));
  CATCH_CHECK(b["cpu_time_s"]["value"].get<double>() == Approx(190e-6));
  // speedup 2, 4, 3: mean 3, sample variance 1, standard error 1/sqrt(3).
  CATCH_CHECK(b["counters"]["speedup"]["value"].get<double>() == Approx(3.0));
  CATCH_CHECK(b["counters"]["speedup"]["stderr"].get<double>() == Approx(1 / std::sqrt(3.0)));
  CATCH_CHECK(m["benchmarks"].size() == 1);
}

CATCH_TEST_CASE("google benchmark errors and foreign output are named") {
  nlohmann::json failed = {{"benchmarks", {{{"name", "x"}, {"run_type", "iteration"}, {"error_occurred", true},
                                            {"error_message", "out of memory"}}}}};
  CATCH_REQUIRE_THROWS_WITH(harness::google_benchmark_metrics(failed, "b.json"),
                            Catch::Contains("b.json: benchmark 'x' reported an error: out of memory"));
  CATCH_REQUIRE_THROWS_WITH(harness::google_benchmark_metrics({{"x", 1}}, "b.json"), Catch::Contains("not Google Benchmark"));
  CATCH_REQUIRE_THROWS_WITH(harness::google_benchmark_metrics({{"benchmarks", nlohmann::json::array()}}, "b.json"),
                            Catch::Contains("no benchmark ran"));
  auto bad_unit = row("y", 1, 1, 1, 0);
  bad_unit["time_unit"] = "fortnights";
  CATCH_REQUIRE_THROWS_WITH(harness::google_benchmark_metrics({{"benchmarks", {bad_unit}}}, "b.json"),
                            Catch::Contains("unknown time_unit 'fortnights'"));
}
