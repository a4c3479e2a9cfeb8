// `harness diff` end to end on crafted result sets written to temporary folders (and to a temporary
// git repository): every verdict, results that cannot be compared, one-sided results, pooled timing
// samples under the U test, and the exit status of --fail-on-regression.
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "artifact/diff.h"
#include "artifact/git.h"
#include "runtime/error.h"
#include "runtime/json_file.h"
#include "tests/crafted_result.h"
#include "tests/test_paths.h"

namespace {

const std::string data_sha(64, 'd');

// A result of case "ppl" that read one data file.
nlohmann::json result(const std::string& subject, const std::string& finished, const nlohmann::json& metrics) {
  nlohmann::json doc = harness::test::crafted_result("ppl", subject, finished, metrics);
  doc["inputs"] = {{"data", {{"wiki.txt", data_sha}}}};
  return doc;
}

void put(const std::filesystem::path& dir, const std::string& name, const nlohmann::json& doc) {
  harness::write_json_file_atomic((dir / name).string(), doc);
}

struct diff_run {
  int rc = 0;
  nlohmann::json json;
  std::string markdown;
};

diff_run run_diff(const std::filesystem::path& a, const std::filesystem::path& b, std::vector<std::string> extra = {}) {
  harness::test::temp_dir out("diff-out");
  std::vector<std::string> args = {a.string(), b.string(), "--out", (out.path() / "d.md").string(), "--json",
                                   (out.path() / "d.json").string()};
  args.insert(args.end(), extra.begin(), extra.end());
  diff_run r;
  r.rc = harness::diff_command(args);
  r.json = harness::read_json_file((out.path() / "d.json").string());
  std::ifstream md(out.path() / "d.md");
  std::stringstream text;
  text << md.rdbuf();
  r.markdown = text.str();
  return r;
}

// The row of `metric` in the first paired result.
nlohmann::json row(const nlohmann::json& report, const std::string& metric) {
  for (const auto& m : report["paired"][0]["metrics"])
    if (m["metric"] == metric) return m;
  return nullptr;
}

std::vector<double> around(double centre, int n) {
  std::vector<double> samples;
  for (int i = 0; i < n; ++i) samples.push_back(centre + 0.01 * i);
  return samples;
}

}  // namespace

CATCH_TEST_CASE("diff marks metrics better worse within tolerance changed and same") {
  harness::test::temp_dir a("diff-a"), b("diff-b");
  put(a.path(), "r.json", result("m1", "2026-01-01T00:00:00Z", {{"perplexity", 10.0},
                                                                {"tasks", {{"piqa", {{"acc", {{"value", 0.5}, {"stderr", 0.05}}},
                                                                                     {"acc_norm", {{"value", 0.6}, {"stderr", 0.01}}}}}}},
                                                                {"windows", 4}, {"tokens", 100}, {"mode", "lm-eval"}}));
  put(b.path(), "r.json", result("m1", "2026-01-02T00:00:00Z", {{"perplexity", 9.0},
                                                                {"tasks", {{"piqa", {{"acc", {{"value", 0.55}, {"stderr", 0.05}}},
                                                                                     {"acc_norm", {{"value", 0.5}, {"stderr", 0.01}}}}}}},
                                                                {"windows", 5}, {"tokens", 100}, {"mode", "lm-eval"}}));
  diff_run r = run_diff(a.path(), b.path());
  CATCH_CHECK(r.rc == 0);
  // perplexity is lower_better: 10 -> 9 is better, change -1, ratio 0.9.
  auto ppl = row(r.json, "perplexity");
  CATCH_CHECK(ppl["verdict"] == "better");
  CATCH_CHECK(ppl["change"].get<double>() == Approx(-1));
  CATCH_CHECK(ppl["ratio"].get<double>() == Approx(0.9));
  // acc: change 0.05 <= 2 * sqrt(0.05^2 + 0.05^2) = 0.1414.
  auto acc = row(r.json, "tasks.piqa.acc");
  CATCH_CHECK(acc["verdict"] == "within tolerance");
  CATCH_CHECK(acc["detail"] == "2 x 0.0707 combined stderr");
  // acc_norm: change -0.1 is 7.1 combined stderr (0.01414) below: worse.
  auto acc_norm = row(r.json, "tasks.piqa.acc_norm");
  CATCH_CHECK(acc_norm["verdict"] == "worse");
  CATCH_CHECK(acc_norm["detail"] == "7.1 combined stderr");
  CATCH_CHECK(row(r.json, "windows")["verdict"] == "changed");  // no direction known for a count
  CATCH_CHECK(row(r.json, "tokens")["verdict"] == "same");
  CATCH_CHECK(row(r.json, "mode")["verdict"] == "same");
  CATCH_CHECK(r.json["summary"] == nlohmann::json{{"better", 1}, {"changed", 1}, {"same", 2}, {"within tolerance", 1},
                                                  {"worse", 1}});
  CATCH_CHECK(r.markdown.find("| perplexity | 10 | 9 | -1 | 0.9 | better (beyond ±1e-08) |") != std::string::npos);
  CATCH_CHECK(r.markdown.find("Summary: 1 paired results; 1 better, 1 changed, 2 same, 1 within tolerance, 1 worse.") !=
              std::string::npos);
  // A regression fails the command when asked; --only-changes hides the 'same' rows, not their count.
  diff_run strict = run_diff(a.path(), b.path(), {"--fail-on-regression", "--only-changes"});
  CATCH_CHECK(strict.rc == 1);
  CATCH_CHECK(row(strict.json, "tokens").is_null());
  CATCH_CHECK(strict.json["summary"]["same"] == 2);
  CATCH_CHECK(strict.markdown.find("| tokens |") == std::string::npos);
  // The other way round, the directions turn.
  diff_run reversed = run_diff(b.path(), a.path());
  CATCH_CHECK(row(reversed.json, "perplexity")["verdict"] == "worse");
  CATCH_CHECK(row(reversed.json, "tasks.piqa.acc_norm")["verdict"] == "better");
}

CATCH_TEST_CASE("diff reports results it cannot compare and says why") {
  harness::test::temp_dir a("diff-nc-a"), b("diff-nc-b");
  nlohmann::json metrics = {{"wiki", {{"protocol", "ppl.nonoverlap@1{seqlen=512}"}, {"mean_nll", 2.0}}}};
  put(a.path(), "v.json", result("version", "2026-01-01T00:00:00Z", metrics));
  put(a.path(), "p.json", result("protocol", "2026-01-01T00:00:00Z", metrics));
  put(a.path(), "i.json", result("inputs", "2026-01-01T00:00:00Z", metrics));
  auto newer = result("version", "2026-01-02T00:00:00Z", metrics);
  newer["case"]["version"] = 2;
  put(b.path(), "v.json", newer);
  auto other_protocol = metrics;
  other_protocol["wiki"]["protocol"] = "ppl.sliding@1{seqlen=512,stride=256}";
  put(b.path(), "p.json", result("protocol", "2026-01-02T00:00:00Z", other_protocol));
  auto other_data = result("inputs", "2026-01-02T00:00:00Z", metrics);
  other_data["inputs"]["data"]["wiki.txt"] = std::string(64, 'e');
  put(b.path(), "i.json", other_data);
  diff_run r = run_diff(a.path(), b.path(), {"--fail-on-regression"});
  CATCH_CHECK(r.rc == 0);  // not compared, so no regression
  CATCH_REQUIRE(r.json["paired"].size() == 3);  // in subject order: inputs, protocol, version
  CATCH_CHECK(r.json["paired"][0]["not_comparable"] ==
              nlohmann::json{"input data wiki.txt differs: dddddddddddd -> eeeeeeeeeeee"});
  CATCH_CHECK(r.json["paired"][1]["not_comparable"] ==
              nlohmann::json{"protocol differs at wiki.protocol: ppl.nonoverlap@1{seqlen=512} -> "
                             "ppl.sliding@1{seqlen=512,stride=256}"});
  CATCH_CHECK(r.json["paired"][2]["not_comparable"] == nlohmann::json{"case version differs: 1 -> 2"});
  for (const auto& p : r.json["paired"]) CATCH_CHECK(p["metrics"].empty());
  CATCH_CHECK(r.json["summary"] == nlohmann::json{{"not comparable", 3}});
  CATCH_CHECK(r.markdown.find("Not comparable:\n- case version differs: 1 -> 2\n") != std::string::npos);
}

CATCH_TEST_CASE("diff lists results and metrics found on one side only") {
  harness::test::temp_dir a("diff-one-a"), b("diff-one-b");
  put(a.path(), "m1.json", result("m1", "2026-01-01T00:00:00Z", {{"perplexity", 10.0}, {"old", 1}}));
  put(a.path(), "m2.json", result("m2", "2026-01-01T00:00:00Z", {{"perplexity", 10.0}}));
  put(b.path(), "m1.json", result("m1", "2026-01-02T00:00:00Z", {{"perplexity", 10.0}, {"new", 1}}));
  auto other_config = result("m1", "2026-01-02T00:00:00Z", {{"perplexity", 10.0}});
  other_config["config_hash"] = std::string(64, 'b');
  put(b.path(), "m1-b.json", other_config);
  diff_run r = run_diff(a.path(), b.path());
  CATCH_REQUIRE(r.json["paired"].size() == 1);
  CATCH_CHECK(r.json["paired"][0]["subject"] == "m1");
  CATCH_CHECK(row(r.json, "old")["verdict"] == "only in A");
  CATCH_CHECK(row(r.json, "new")["verdict"] == "only in B");
  CATCH_REQUIRE(r.json["only_in_a"].size() == 1);
  CATCH_CHECK(r.json["only_in_a"][0]["subject"] == "m2");
  CATCH_REQUIRE(r.json["only_in_b"].size() == 1);
  CATCH_CHECK(r.json["only_in_b"][0]["config_hash"] == std::string(64, 'b'));
  CATCH_CHECK(r.markdown.find("## Only in A\n\n- ppl / m2 / config aaaaaaaaaaaa:") != std::string::npos);
}

CATCH_TEST_CASE("diff pools timing samples of all runs and needs 9 per side") {
  harness::test::temp_dir a("diff-t-a"), b("diff-t-b");
  // A: two runs of 5 samples each (1.00..1.04), pooled to 10 (five pairs of ties); B: one run of 10
  // samples 1.50..1.59. Fully separated: U = 0 and 100, mu = 50; ties 5 * (2^3 - 2) = 30, so
  // sigma = sqrt(100/12 * (21 - 30/380)) = 13.20387, z = (100 - 50 - 0.5) / 13.20387 = 3.74890,
  // p = erfc(z / sqrt 2) = 1.7761e-4 < 0.01; median ratio 1.545 / 1.02 > 1.05.
  auto timing = [](std::vector<double> s) { return nlohmann::json{{"samples", s}, {"unit", "s"}}; };
  put(a.path(), "1.json", result("m1", "2026-01-01T00:00:00Z", {{"evaluate_s", timing(around(1.0, 5))},
                                                                {"load_s", timing(around(1.0, 5))}, {"tokens", 99}}));
  put(a.path(), "2.json", result("m1", "2026-01-02T00:00:00Z", {{"evaluate_s", timing(around(1.0, 5))},
                                                                {"load_s", timing(around(1.0, 5))}, {"tokens", 100}}));
  put(b.path(), "1.json", result("m1", "2026-01-03T00:00:00Z", {{"evaluate_s", timing(around(1.5, 10))},
                                                                {"load_s", timing(around(2.0, 5))}, {"tokens", 100}}));
  diff_run r = run_diff(a.path(), b.path(), {"--fail-on-regression"});
  CATCH_CHECK(r.rc == 1);
  CATCH_CHECK(r.json["paired"][0]["a"]["runs"] == 2);
  CATCH_CHECK(r.json["paired"][0]["a"]["path"].get<std::string>().find("2.json") != std::string::npos);
  auto evaluate = row(r.json, "evaluate_s");
  CATCH_CHECK(evaluate["verdict"] == "worse");
  CATCH_CHECK(evaluate["p"].get<double>() == Approx(1.7761e-4).epsilon(1e-4));
  CATCH_CHECK(evaluate["a"] == nlohmann::json{{"median", 1.02}, {"samples", 10}});
  CATCH_CHECK(evaluate["ratio"].get<double>() == Approx(1.545 / 1.02));
  // load_s: B has 5 samples only: no verdict on speed, and no regression by itself.
  auto load = row(r.json, "load_s");
  CATCH_CHECK(load["verdict"] == "too few repetitions");
  CATCH_CHECK(load["detail"] == "n=10/5, 9 needed on each side");
  // Values other than timings come from the latest run: 100 in both sets.
  CATCH_CHECK(row(r.json, "tokens")["verdict"] == "same");
  // At a level below that p-value the same samples are within tolerance.
  CATCH_CHECK(row(run_diff(a.path(), b.path(), {"--alpha", "1e-5"}).json, "evaluate_s")["verdict"] == "within tolerance");
}

CATCH_TEST_CASE("diff reads result sets from two commits of a git repository") {
  harness::test::temp_dir repo_dir("diff-git");
  const std::string repo = repo_dir.path().string();
  auto commit = [&](const std::string& message) {
    harness::git_output(repo, {"add", "-A"});
    harness::git_output(repo, {"-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false", "commit", "-q",
                               "-m", message});
  };
  harness::git_output(repo, {"init", "-q"});
  put(repo_dir.path(), "results/ppl/m1/run one.json", result("m1", "2026-01-01T00:00:00Z", {{"perplexity", 10.0}}));
  put(repo_dir.path(), "results/machines/m.json", {{"cpu", "x"}});
  put(repo_dir.path(), "elsewhere/r.json", result("m9", "2026-01-01T00:00:00Z", {{"perplexity", 1.0}}));
  commit("first");
  put(repo_dir.path(), "results/ppl/m1/run two.json", result("m1", "2026-01-02T00:00:00Z", {{"perplexity", 11.0}}));
  commit("second");
  harness::test::temp_dir out("diff-git-out");
  const std::string json = (out.path() / "d.json").string();
  CATCH_CHECK(harness::diff_command({"HEAD~1", "HEAD", "--repo", repo, "--json", json, "--out",
                                     (out.path() / "d.md").string(), "--fail-on-regression"}) == 1);
  auto report = harness::read_json_file(json);
  CATCH_CHECK(report["a"] == "HEAD~1");
  CATCH_REQUIRE(report["paired"].size() == 1);  // elsewhere/ is not under results/
  CATCH_CHECK(report["paired"][0]["a"] == nlohmann::json{{"path", "HEAD~1:results/ppl/m1/run one.json"}, {"runs", 1}});
  CATCH_CHECK(report["paired"][0]["b"] == nlohmann::json{{"path", "HEAD:results/ppl/m1/run two.json"}, {"runs", 2}});
  CATCH_CHECK(row(report, "perplexity")["verdict"] == "worse");
  // --under picks another folder; a name that is neither a folder nor a commit is one clear error.
  CATCH_CHECK(harness::diff_command({"HEAD", "HEAD", "--repo", repo, "--under", "elsewhere", "--json", json, "--out",
                                     (out.path() / "d.md").string()}) == 0);
  CATCH_CHECK(harness::read_json_file(json)["paired"][0]["subject"] == "m9");
  CATCH_REQUIRE_THROWS_WITH(harness::diff_command({"no-such-thing", "HEAD", "--repo", repo}),
                            Catch::Contains("'no-such-thing' is neither a results folder nor a commit of the repository") &&
                                Catch::Contains("rev-parse"));
}

CATCH_TEST_CASE("diff names bad arguments") {
  CATCH_REQUIRE_THROWS_WITH(harness::diff_command({"a"}), Catch::Contains("needs two result sets"));
  harness::test::temp_dir a("diff-args");
  CATCH_REQUIRE_THROWS_WITH(harness::diff_command({a.path().string(), a.path().string(), "--alpha", "x"}),
                            Catch::Contains("--alpha x is not a number"));
  CATCH_REQUIRE_THROWS_WITH(harness::diff_command({a.path().string(), a.path().string(), "--alpha", "2"}),
                            Catch::Contains("--alpha must lie between 0 and 1"));
  CATCH_REQUIRE_THROWS_WITH(harness::diff_command({a.path().string(), a.path().string(), "--colour", "red"}),
                            Catch::Contains("unknown option --colour"));
}
