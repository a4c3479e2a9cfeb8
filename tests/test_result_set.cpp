// Reading stored results: every result under a folder, non-results skipped, damage named, and the
// latest run per (case, subject) picked.
#include <fstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "artifact/result_set.h"
#include "runtime/error.h"
#include "runtime/json_file.h"
#include "tests/crafted_result.h"
#include "tests/test_paths.h"

namespace {

nlohmann::json result(const std::string& case_name, const std::string& subject, const std::string& finished) {
  return harness::test::crafted_result(case_name, subject, finished, {{"x", 1}});
}


}  // namespace

CATCH_TEST_CASE("result folder reads every result and skips other JSON and traces") {
  harness::test::temp_dir dir("result-set");
  harness::write_json_file_atomic((dir.path() / "a/m1/one.json").string(), result("ppl", "m1", "2026-01-01T00:00:00Z"));
  harness::write_json_file_atomic((dir.path() / "a/m1/two.json").string(), result("ppl", "m1", "2026-01-02T00:00:00Z"));
  harness::write_json_file_atomic((dir.path() / "b/m2/three.json").string(), result("ppl", "m2", "2026-01-01T00:00:00Z"));
  harness::write_json_file_atomic((dir.path() / "machines/m.json").string(), {{"cpu", "x"}});
  std::filesystem::create_directories(dir.path() / "a/m1/traces");
  std::ofstream(dir.path() / "a/m1/traces/1-2.trace.json") << "not even JSON: a trace is never parsed";
  auto all = harness::read_result_folder(dir.path().string());
  CATCH_REQUIRE(all.size() == 3);
  auto latest = harness::latest_per_subject(all);
  CATCH_REQUIRE(latest.size() == 2);
  CATCH_CHECK(latest[0].subject() == "m1");
  CATCH_CHECK(latest[0].path.find("two.json") != std::string::npos);
  CATCH_CHECK(latest[1].subject() == "m2");
  CATCH_CHECK(harness::latest_per_subject(all, "drift").empty());
}

CATCH_TEST_CASE("result folder names a damaged or foreign result") {
  harness::test::temp_dir dir("result-set-bad");
  auto old = result("ppl", "m1", "2026-01-01T00:00:00Z");
  old["schema_version"] = 1;
  harness::write_json_file_atomic((dir.path() / "old.json").string(), old);
  CATCH_REQUIRE_THROWS_WITH(harness::read_result_folder(dir.path().string()),
                            Catch::Contains("old.json") && Catch::Contains("schema_version 1"));
  std::filesystem::remove(dir.path() / "old.json");
  std::ofstream(dir.path() / "broken.json") << "{\"schema_version\": 2, ";
  CATCH_REQUIRE_THROWS_WITH(harness::read_result_folder(dir.path().string()), Catch::Contains("broken.json"));
  CATCH_REQUIRE_THROWS_WITH(harness::read_result_folder((dir.path() / "none").string()),
                            Catch::Contains("no such results folder"));
}
