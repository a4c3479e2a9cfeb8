// The schema validator on docs/result.schema.json: a well-formed result passes, each kind of damage is
// named with its JSON pointer, and a schema using an unsupported keyword is refused.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "artifact/json_schema.h"
#include "tests/test_paths.h"

namespace {

nlohmann::json valid_result() {
  std::string hash(64, 'a');
  return {{"schema_version", 2},
          {"case", {{"name", "drift"}, {"version", 1}, {"feeds", "F1"}}},
          {"subject", "tiny"},
          {"machine", "box"},
          {"config", {{"docs", "4"}}},
          {"config_hash", hash},
          {"seeds", {{"bootstrap", 0}}},
          {"code", {{"commit", "abc"}, {"dirty", false}, {"diff_sha256", hash}, {"source_sha256", {{"a.cpp", hash}}}}},
          {"started_at", "2026-11-28T01:00:00Z"},
          {"finished_at", "2026-11-28T01:00:05Z"},
          {"inputs", {{"model", {{"config.json", hash}}}}},
          {"environment",
           {{"cpu", "x"}, {"hardware_threads", 2}, {"torch_threads", 2}, {"libtorch", "2.14"}, {"device", "cpu"},
            {"cuda_available", false}, {"compiler", "g++"}, {"build_type", "Release"}, {"env", nlohmann::json::object()},
            {"cuda", nullptr}}},
          {"metrics", nlohmann::json::object()},
          {"timings_s", {{"load", 0.5}}},
          {"status", "VALID"},
          {"status_reasons", nlohmann::json::array()}};
}

harness::json_schema result_schema() {
  return harness::read_json_schema((harness::test::project_dir() / "docs/result.schema.json").string());
}

}  // namespace

CATCH_TEST_CASE("result schema accepts a well formed result") {
  CATCH_CHECK(result_schema().violations(valid_result()).empty());
  auto invalid = valid_result();
  invalid["status"] = "INVALID";
  invalid["status_reasons"] = {"--limit used"};
  CATCH_CHECK(result_schema().violations(invalid).empty());
}

CATCH_TEST_CASE("result schema names each kind of damage") {
  auto schema = result_schema();
  auto doc = valid_result();
  doc.erase("code");
  CATCH_CHECK(schema.violations(doc) == std::vector<std::string>{"/: missing required field 'code'"});
  doc = valid_result();
  doc["config_hash"] = "xyz";
  CATCH_CHECK(schema.violations(doc) == std::vector<std::string>{"/config_hash: 'xyz' does not match ^[0-9a-f]{64}$"});
  doc = valid_result();
  doc["status"] = "INVALID";  // INVALID needs a reason
  CATCH_CHECK(schema.violations(doc) == std::vector<std::string>{"/status_reasons: needs at least 1 items"});
  doc = valid_result();
  doc["status_reasons"] = {"dirty"};  // VALID must have none
  CATCH_CHECK(schema.violations(doc) == std::vector<std::string>{"/status_reasons: allows at most 0 items"});
  doc = valid_result();
  doc["timings_s"]["load"] = -1;
  CATCH_CHECK(schema.violations(doc) == std::vector<std::string>{"/timings_s/load: below the minimum 0"});
  doc = valid_result();
  doc["environment"]["torch_threads"] = "two";
  CATCH_CHECK(schema.violations(doc) ==
              std::vector<std::string>{"/environment/torch_threads: expected type \"integer\", found string"});
  doc = valid_result();
  doc["schema_version"] = 1;
  doc["machine"] = "../up";
  CATCH_CHECK(schema.violations(doc).size() == 2);
}

CATCH_TEST_CASE("schema validator refuses keywords it does not implement") {
  CATCH_REQUIRE_THROWS_WITH(harness::json_schema({{"type", "object"}, {"patternProperties", {{"^a", true}}}}, "s.json"),
                            Catch::Contains("s.json") && Catch::Contains("'patternProperties'"));
  CATCH_REQUIRE_THROWS_WITH(harness::json_schema({{"$ref", "#/$defs/none"}}, "s.json"), Catch::Contains("$ref"));
}
