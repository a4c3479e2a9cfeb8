// The schema validator on docs/result.schema.json: a well-formed result passes, each kind of damage is
// named with its JSON pointer, and a schema using an unsupported keyword is refused.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "artifact/json_schema.h"
#include "tests/crafted_result.h"
#include "tests/test_paths.h"

namespace {

nlohmann::json valid_result() {
  return harness::test::crafted_result("drift", "tiny", "2026-11-28T01:00:05Z", nlohmann::json::object());
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
