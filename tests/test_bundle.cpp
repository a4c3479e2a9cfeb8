// The artifact bundle: built from crafted results with a small deterministic rendering, it verifies;
// a changed file, a changed result with its checksum redone, and an undeclared INVALID result are each
// caught; INVALID results are refused unless declared.
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "artifact/bundle.h"
#include "artifact/process.h"
#include "artifact/result_set.h"
#include "runtime/json_file.h"
#include "runtime/sha256.h"
#include "runtime/text_file.h"
#include "tests/crafted_result.h"
#include "tests/test_paths.h"

namespace fs = std::filesystem;

namespace {

nlohmann::json result(const std::string& case_name, const std::string& subject, double x, bool valid) {
  return harness::test::crafted_result(case_name, subject, "2026-11-28T01:00:05Z", {{"x", x}},
                                       valid ? std::vector<std::string>{} : std::vector<std::string>{"--limit used"});
}


// A table of metric x per subject of case "ppl"; a second rendering reads a case that never ran.
harness::rendering_kind test_tables() {
  return {"tables",
          {"x-table", "never"},
          [](const std::string& name) { return std::vector<std::string>{name == "never" ? "absent_case" : "ppl"}; },
          [](const std::string& name, const std::string& results, const std::string& out) {
            std::string text = "| subject | x |\n";
            for (const auto& r : harness::latest_per_subject(harness::read_result_folder(results), "ppl"))
              text += "| " + r.subject() + " | " + r.doc["metrics"]["x"].dump() + " |\n";
            fs::create_directories(out);
            std::ofstream(fs::path(out) / (name + ".md")) << text;
          }};
}

// Replaces one file inside the bundle (and, when asked, its line in SHA256SUMS), then re-packs it.
void tamper(const fs::path& bundle, const std::string& rel, const std::string& content, bool redo_sum) {
  harness::test::temp_dir work("bundle-tamper");
  harness::run_checked({"tar", "-xzf", bundle.string(), "-C", work.path().string()});
  fs::path root = work.path() / "harness-artifact";
  std::string old_sum = harness::sha256_file((root / rel).string());
  std::ofstream(root / rel, std::ios::trunc) << content;
  if (redo_sum) {
    std::string sums = harness::read_text_file((root / "SHA256SUMS").string());
    sums.replace(sums.find(old_sum), 64, harness::sha256_file((root / rel).string()));
    std::ofstream(root / "SHA256SUMS", std::ios::trunc) << sums;
  }
  harness::run_checked({"tar", "-czf", bundle.string(), "-C", work.path().string(), "harness-artifact"});
}

struct bundle_fixture {
  harness::test::temp_dir dir{"bundle"};
  fs::path results = dir.path() / "results", file = dir.path() / "out/artifact.tar.gz";

  harness::bundle_options options(const std::string& invalid_reason = "") const {
    harness::bundle_options o;
    o.results_dir = results.string();
    o.source_dir = harness::test::project_dir().string();
    o.out_file = file.string();
    o.commit = "c0ffee";
    o.invalid_reason = invalid_reason;
    return o;
  }
};

}  // namespace

CATCH_TEST_CASE("bundle builds and verifies and names what it skipped") {
  bundle_fixture f;
  harness::write_json_file_atomic((f.results / "ppl/m1/box/r1.json").string(), result("ppl", "m1", 1.5, true));
  harness::write_json_file_atomic((f.results / "ppl/m2/box/r2.json").string(), result("ppl", "m2", 2.5, true));
  std::ofstream(f.results / "provenance.jsonl") << "{\"case\": \"ppl\"}\n";
  harness::build_bundle(f.options(), {test_tables()});
  CATCH_REQUIRE(harness::verify_bundle(f.file.string(), {test_tables()}).empty());

  harness::test::temp_dir look("bundle-look");
  harness::run_checked({"tar", "-xzf", f.file.string(), "-C", look.path().string()});
  fs::path root = look.path() / "harness-artifact";
  for (const char* p : {"README.md", "results/provenance.jsonl", "docs/result.schema.json", "environment/setup.sh",
                        "environment/machines.json", "tables/x-table.md"})
    CATCH_CHECK(fs::is_regular_file(root / p));
  CATCH_CHECK(harness::read_text_file((root / "tables/x-table.md").string()) == "| subject | x |\n| m1 | 1.5 |\n| m2 | 2.5 |\n");
  auto manifest = harness::read_json_file((root / "bundle.json").string());
  CATCH_CHECK(manifest["renderings"]["tables"] == nlohmann::json::array({"x-table"}));
  CATCH_CHECK(manifest["skipped_renderings"]["tables"]["never"] == "no results of absent_case");
  // The checksums are in sha256sum's own format.
  CATCH_CHECK(harness::run_process({"sha256sum", "--quiet", "-c", "SHA256SUMS"}, root.string()).exit_code == 0);
}

CATCH_TEST_CASE("verify bundle catches a changed file and a table that no longer regenerates") {
  bundle_fixture f;
  harness::write_json_file_atomic((f.results / "ppl/m1/box/r1.json").string(), result("ppl", "m1", 1.5, true));
  harness::build_bundle(f.options(), {test_tables()});
  std::string changed = result("ppl", "m1", 9.0, true).dump(2);

  tamper(f.file, "results/ppl/m1/box/r1.json", changed, false);
  auto problems = harness::verify_bundle(f.file.string(), {test_tables()});
  CATCH_CHECK(problems == std::vector<std::string>{
                              "results/ppl/m1/box/r1.json: sha256 differs from SHA256SUMS (the file was changed)",
                              "tables/x-table.md: regenerated file differs from the bundled one"});

  harness::build_bundle(f.options(), {test_tables()});
  tamper(f.file, "results/ppl/m1/box/r1.json", changed, true);  // a careful forger redoes the checksum
  CATCH_CHECK(harness::verify_bundle(f.file.string(), {test_tables()}) ==
              std::vector<std::string>{"tables/x-table.md: regenerated file differs from the bundled one"});

  harness::build_bundle(f.options(), {test_tables()});
  tamper(f.file, "results/ppl/m1/box/r1.json", "{\"schema_version\": 2}", true);
  problems = harness::verify_bundle(f.file.string(), {test_tables()});
  CATCH_REQUIRE(!problems.empty());
  CATCH_CHECK(problems[0] == "results/ppl/m1/box/r1.json: schema: /: missing required field 'case'");
}

CATCH_TEST_CASE("bundle refuses undeclared INVALID results and verify checks the declaration") {
  bundle_fixture f;
  harness::write_json_file_atomic((f.results / "ppl/m1/box/r1.json").string(), result("ppl", "m1", 1.5, false));
  CATCH_REQUIRE_THROWS_WITH(harness::build_bundle(f.options(), {test_tables()}),
                            Catch::Contains("results/ppl/m1/box/r1.json is INVALID (--limit used)"));
  CATCH_CHECK(!fs::exists(f.file));
  harness::build_bundle(f.options("CPU smoke runs, not paper numbers"), {test_tables()});
  CATCH_CHECK(harness::verify_bundle(f.file.string(), {test_tables()}).empty());

  harness::test::temp_dir look("bundle-manifest");
  harness::run_checked({"tar", "-xzf", f.file.string(), "-C", look.path().string()});
  auto manifest = harness::read_json_file((look.path() / "harness-artifact/bundle.json").string());
  CATCH_CHECK(manifest["declared_invalid"][0]["declared"] == "CPU smoke runs, not paper numbers");
  manifest["declared_invalid"] = nlohmann::json::array();
  tamper(f.file, "bundle.json", manifest.dump(2), true);
  CATCH_CHECK(harness::verify_bundle(f.file.string(), {test_tables()}) ==
              std::vector<std::string>{"results/ppl/m1/box/r1.json: INVALID but not declared in bundle.json"});
}
