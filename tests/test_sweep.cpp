// Sweep files (tools/sweep.h): expansion into units (models times grid, in order), the exact `harness run`
// words of each, the work folder and --resume of resumable cases, and errors naming the file and entry.
#include <algorithm>
#include <fstream>

#include <catch2/catch.hpp>

#include "runtime/error.h"
#include "tests/test_paths.h"
#include "tools/sweep.h"

namespace harness {

namespace {
const sweep_places places{"/r", "/s/work"};
std::vector<sweep_unit> expand(const std::string& text) { return expand_sweep(nlohmann::json::parse(text), "f.json", places); }
}  // namespace

CATCH_TEST_CASE("a sweep entry expands to every model times every grid combination in order", "[sweep]") {
  auto units = expand(R"({"units": [{"case": "drift", "models": ["m/a", "m/b"], "options": {"docs": 4},
                                     "grid": {"seqlen": [32, 64], "bootstrap": [10, 20]}}]})");
  CATCH_REQUIRE(units.size() == 8);
  // Models vary slowest; the grid's options in name order, the last fastest.
  CATCH_CHECK(units[0].label == "drift model=m/a bootstrap=10 seqlen=32");
  CATCH_CHECK(units[1].label == "drift model=m/a bootstrap=10 seqlen=64");
  CATCH_CHECK(units[2].label == "drift model=m/a bootstrap=20 seqlen=32");
  CATCH_CHECK(units[7].label == "drift model=m/b bootstrap=20 seqlen=64");
  CATCH_CHECK(units[0].argv == std::vector<std::string>{"run", "drift", "--bootstrap", "10", "--docs", "4", "--model",
                                                        "m/a", "--out", "/r", "--seqlen", "32"});
  CATCH_CHECK(units[0].case_name == "drift");
  CATCH_CHECK_FALSE(units[0].paper);
}

CATCH_TEST_CASE("sweep units of cases that keep work get their own work folder and resume", "[sweep]") {
  auto units = expand(R"({"units": [{"case": "forward_check"},
                                    {"case": "zero_shot", "options": {"tasks": ["piqa", "arc_easy"], "limit": 5}},
                                    {"case": "drift", "paper": true, "options": {"preset": "paper", "dtype": "f32"},
                                     "model": "m/x"}]})");
  CATCH_REQUIRE(units.size() == 3);
  CATCH_CHECK(units[0].argv == std::vector<std::string>{"run", "forward_check", "--out", "/r"});
  CATCH_CHECK(units[0].label == "forward_check");
  CATCH_CHECK(units[1].argv == std::vector<std::string>{"run", "zero_shot", "--limit", "5", "--out", "/r", "--resume",
                                                        "true", "--tasks", "piqa,arc_easy", "--work", "/s/work/1"});
  CATCH_CHECK(units[2].paper);
  CATCH_CHECK(units[2].argv == std::vector<std::string>{"run", "drift", "--paper", "--dtype", "f32", "--model", "m/x",
                                                        "--out", "/r", "--preset", "paper"});
}

CATCH_TEST_CASE("sweep option values may be strings numbers booleans or lists", "[sweep]") {
  auto units = expand(R"({"units": [{"case": "llama_sparse", "model": "m",
                                     "options": {"mlp-sparsity": [0.5, 0.9], "epochs": 2, "tasks": ""}}]})");
  CATCH_REQUIRE(units.size() == 1);
  const auto& a = units[0].argv;
  auto value = [&](const std::string& option) { return *(std::find(a.begin(), a.end(), "--" + option) + 1); };
  CATCH_CHECK(value("mlp-sparsity") == "0.5,0.9");
  CATCH_CHECK(value("epochs") == "2");
  CATCH_CHECK(value("tasks") == "");
  CATCH_CHECK(value("resume") == "true");
}

CATCH_TEST_CASE("a bad sweep is an error naming the file and the entry", "[sweep]") {
  auto error = [](const std::string& text) {
    try {
      expand(text);
    } catch (const harness_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CATCH_CHECK(error(R"([1])") == "f.json: a sweep is an object with \"units\": [...]");
  CATCH_CHECK(error(R"({"units": []})") == "f.json: \"units\" must be a non-empty list of entries");
  CATCH_CHECK(error(R"({"unit": [{"case": "drift"}]})") == "f.json: unknown key 'unit' (a sweep has description, units)");
  CATCH_CHECK(error(R"({"units": [{"case": "drift"}, {"case": "nope"}]})") ==
              "f.json: units[1]: unknown case 'nope' (see `harness list`)");
  CATCH_CHECK(error(R"({"units": [{"case": "drift", "options": {"colour": "red"}}]})") ==
              "f.json: units[0]: case 'drift' has no option --colour (see `harness list`)");
  CATCH_CHECK(error(R"({"units": [{"case": "drift", "options": {"preset": "huge"}}]})") ==
              "f.json: units[0]: case 'drift' has no preset 'huge'");
  CATCH_CHECK(error(R"({"units": [{"case": "drift", "optons": {}}]})") ==
              "f.json: units[0]: unknown key 'optons' (an entry has case, model or models, options, grid, paper)");
  CATCH_CHECK(error(R"({"units": [{"case": "drift", "grid": {"seqlen": []}}]})") ==
              "f.json: units[0].grid.seqlen: a grid option needs a non-empty list of values");
  CATCH_CHECK(error(R"({"units": [{"case": "drift", "grid": {"seqlen": [1]}, "options": {"seqlen": 2}}]})") ==
              "f.json: units[0]: --seqlen is both in \"options\" and in \"grid\"");
  CATCH_CHECK(error(R"({"units": [{"case": "drift", "model": "a", "models": ["b"]}]})") ==
              "f.json: units[0]: give \"model\" or \"models\", not both");
  CATCH_CHECK(error(R"({"units": [{"case": "drift", "options": {"docs": {"n": 1}}}]})") ==
              "f.json: units[0].options.docs: a value must be a string, number, boolean or list of them, got {\"n\":1}");
  CATCH_CHECK_THAT(error(R"({"units": [{"case": "zero_shot", "options": {"work": "w"}}]})"),
                   Catch::StartsWith("f.json: units[0]: --work is set by `harness submit` for every unit"));
  CATCH_CHECK_THAT(error(R"({"units": [{"case": "drift", "grid": {"out": ["a", "b"]}}]})"),
                   Catch::StartsWith("f.json: units[0]: --out is set by `harness submit`"));
  CATCH_CHECK(error(R"({"units": [{"case": "drift", "paper": "yes"}]})") == "f.json: units[0]: \"paper\" must be true or false");
}

CATCH_TEST_CASE("read_sweep names a missing or malformed file", "[sweep]") {
  test::temp_dir dir("sweep");
  std::string bad = (dir.path() / "bad.json").string();
  std::ofstream(bad) << "{\"units\": [";
  CATCH_CHECK_THROWS_WITH(read_sweep(bad, places), Catch::StartsWith(bad + ": invalid JSON"));
  CATCH_CHECK_THROWS_WITH(read_sweep((dir.path() / "none.json").string(), places), Catch::Contains("none.json"));
}

}  // namespace harness
