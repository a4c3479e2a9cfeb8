#include "tests/crafted_result.h"

#include "experiments/result_schema.h"

namespace harness::test {

nlohmann::json crafted_result(const std::string& case_name, const std::string& subject, const std::string& finished_at,
                              const nlohmann::json& metrics, const std::vector<std::string>& invalid_reasons) {
  const std::string hash(64, 'a');
  return {{"schema_version", result_schema_version},
          {"case", {{"name", case_name}, {"version", 1}, {"feeds", "T1"}}},
          {"subject", subject},
          {"machine", "m"},
          {"config", {{"n", "1"}}},
          {"config_hash", hash},
          {"seeds", nlohmann::json::object()},
          {"code", {{"commit", "c0ffee"}, {"dirty", false}, {"diff_sha256", hash}, {"source_sha256", {{"a.cpp", hash}}}}},
          {"started_at", "2026-01-01T00:00:00Z"},
          {"finished_at", finished_at},
          {"inputs", nlohmann::json::object()},
          {"environment",
           {{"cpu", "x"}, {"hardware_threads", 2}, {"torch_threads", 2}, {"libtorch", "2.14"}, {"device", "cpu"},
            {"cuda_available", false}, {"compiler", "g++"}, {"build_type", "Release"}, {"env", nlohmann::json::object()},
            {"cuda", nullptr}}},
          {"metrics", metrics},
          {"timings_s", nlohmann::json::object()},
          {"status", invalid_reasons.empty() ? "VALID" : "INVALID"},
          {"status_reasons", invalid_reasons}};
}

}  // namespace harness::test
