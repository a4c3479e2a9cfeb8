// The pieces `harness diff` is built from: metrics flattened to dotted paths, the tolerance rules
// (glob matching, first match wins, the shipped file).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "artifact/diff_tolerance.h"
#include "artifact/metric_paths.h"
#include "runtime/error.h"
#include "tests/test_paths.h"

CATCH_TEST_CASE("metrics flatten to dotted paths of numbers statistics timings text and record lists") {
  auto metrics = nlohmann::json::parse(R"({
    "perplexity": 12.5, "mode": "lm-eval", "cached": true, "none": null,
    "tasks": {"piqa": {"acc": {"value": 0.5, "stderr": 0.1, "docs": 20}, "samples": [{"gold": 1}]}},
    "window_mean_nll": [1.0, 2.0],
    "evaluate_s": {"value": 2.0, "samples": [3.0, 1.0, 2.0], "unit": "s"},
    "text": {"wiki": {"protocol": "ppl.nonoverlap@1{seqlen=512}", "mean_nll": 2.25}},
    "levels": [{"recall": 0.75, "ppl": {"protocol": "ppl.nonoverlap@1{seqlen=64}"}}, {"recall": 0.5}]})");
  auto leaves = harness::flatten_metrics(metrics);
  std::vector<std::string> paths;
  for (const auto& [path, leaf] : leaves) paths.push_back(path);
  CATCH_CHECK(paths == std::vector<std::string>{"cached", "evaluate_s", "evaluate_s.unit", "levels[0].recall",
                                                "levels[1].recall", "mode", "perplexity", "tasks.piqa.acc",
                                                "tasks.piqa.acc.docs", "text.wiki.mean_nll"});
  CATCH_CHECK(leaves["levels[1].recall"].value == 0.5);
  CATCH_CHECK(leaves["perplexity"].kind == harness::metric_kind::number);
  CATCH_CHECK(leaves["perplexity"].value == 12.5);
  CATCH_CHECK(leaves["cached"].text == "true");
  CATCH_CHECK(leaves["tasks.piqa.acc"].kind == harness::metric_kind::statistic);
  CATCH_CHECK(leaves["tasks.piqa.acc"].value == 0.5);
  CATCH_CHECK(leaves["tasks.piqa.acc"].std_error == 0.1);
  CATCH_CHECK(leaves["evaluate_s"].kind == harness::metric_kind::timing);
  CATCH_CHECK(leaves["evaluate_s"].samples == std::vector<double>{3.0, 1.0, 2.0});
  CATCH_CHECK(leaves["evaluate_s.unit"].text == "s");
  auto protocols = harness::protocol_ids(metrics);
  CATCH_REQUIRE(protocols.size() == 2);
  CATCH_CHECK(protocols["text.wiki.protocol"] == "ppl.nonoverlap@1{seqlen=512}");
  CATCH_CHECK(protocols["levels[0].ppl.protocol"] == "ppl.nonoverlap@1{seqlen=64}");
}

CATCH_TEST_CASE("tolerance globs match whole dotted paths") {
  CATCH_CHECK(harness::glob_match("*", "a.b.c"));
  CATCH_CHECK(harness::glob_match("*.acc", "tasks.piqa.acc"));
  CATCH_CHECK_FALSE(harness::glob_match("*.acc", "tasks.piqa.acc_norm"));
  CATCH_CHECK_FALSE(harness::glob_match("*.acc", "acc"));
  CATCH_CHECK(harness::glob_match("*.recall_at_k.*", "p.mlp.recall_at_k.0.5"));
  CATCH_CHECK(harness::glob_match("a?c", "abc"));
  CATCH_CHECK_FALSE(harness::glob_match("a?c", "ac"));
}

CATCH_TEST_CASE("the shipped tolerance rules give directions by metric name and kind") {
  auto rules = harness::read_tolerance_rules(harness::default_tolerance_file());
  using harness::metric_direction;
  using harness::metric_kind;
  const auto& timing = harness::rule_for(rules, "evaluate_s", metric_kind::timing);
  CATCH_CHECK(timing.direction == metric_direction::lower_better);
  CATCH_CHECK(timing.rel == 0.05);
  CATCH_CHECK(harness::rule_for(rules, "perplexity", metric_kind::number).direction == metric_direction::lower_better);
  CATCH_CHECK(harness::rule_for(rules, "x.wiki.mean_nll", metric_kind::statistic).direction ==
              metric_direction::lower_better);
  const auto& acc = harness::rule_for(rules, "tasks.piqa.acc_norm", metric_kind::statistic);
  CATCH_CHECK(acc.direction == metric_direction::higher_better);
  CATCH_CHECK(acc.stderr_k == 2);
  const auto& fallback = harness::rule_for(rules, "tokens_scored", metric_kind::number);
  CATCH_CHECK(fallback.direction == metric_direction::none);
  CATCH_CHECK(fallback.rel == 1e-9);
  CATCH_CHECK(fallback.origin.find("rule 5") != std::string::npos);
  // Ratios of median timings: higher is better, 10% is noise.
  for (const char* ratio : {"decode_speedup", "sparse_inference.3.decode_speedup", "mlp_speedup.0"}) {
    const auto& speedup = harness::rule_for(rules, ratio, metric_kind::number);
    CATCH_CHECK(speedup.direction == metric_direction::higher_better);
    CATCH_CHECK(speedup.rel == 0.1);
  }
}

CATCH_TEST_CASE("bad tolerance rules are named") {
  auto parse = [](const char* text) { return harness::parse_tolerance_rules(nlohmann::json::parse(text), "t.json"); };
  CATCH_REQUIRE_THROWS_WITH(parse(R"({"rules": [{"metric": "acc", "direction": "none"}]})"),
                            Catch::Contains("t.json rule 1") && Catch::Contains("last rule must be the default"));
  CATCH_REQUIRE_THROWS_WITH(parse(R"({"rules": [{"metric": "*", "direction": "up"}]})"),
                            Catch::Contains("direction \"up\""));
  CATCH_REQUIRE_THROWS_WITH(parse(R"({"rules": [{"metric": "*", "direction": "none", "tol": 1}]})"),
                            Catch::Contains("unknown field 'tol'"));
  CATCH_REQUIRE_THROWS_WITH(parse(R"({"rules": [{"metric": "*", "direction": "none", "rel": -1}]})"),
                            Catch::Contains("rel must be a number >= 0"));
  CATCH_REQUIRE_THROWS_WITH(parse(R"({"rule": []})"), Catch::Contains("no \"rules\" list"));
}
