// Paper tables and figures from crafted result folders (laid out as the cases write them): tables
// equal hand-worked Markdown, figures render to PDF and PNG byte-identically twice, INVALID results are
// marked, and a missing case, metric or gnuplot is an error that names what is missing.
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "artifact/render.h"
#include "runtime/json_file.h"
#include "runtime/sha256.h"
#include "runtime/text_file.h"
#include "tests/crafted_result.h"
#include "tests/test_paths.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json result(const std::string& case_name, const std::string& subject, const std::string& finished, const json& metrics,
            const std::vector<std::string>& invalid_reasons = {}) {
  return harness::test::crafted_result(case_name, subject, finished, metrics, invalid_reasons);
}


// One layer's predictor report (only the fields the renderings read, plus rows).
json layer(int layer, double recall, double precision) {
  return {{"layer", layer}, {"input", "x"}, {"test", {{"recall", recall}, {"precision", precision}, {"rows", 100}}}};
}

// An MLP predictor's layer with its top-k set overlap (case v3).
json layer(int layer_index, double recall, double precision, double jaccard) {
  json j = layer(layer_index, recall, precision);
  j["topk_jaccard"] = {{"k", 4}, {"value", jaccard}, {"stderr", 0.01}, {"rows", 100}};
  return j;
}

json level(const std::string& masks, double mlp, json perplexity) {
  return {{"masks", masks}, {"mlp_sparsity", mlp}, {"head_sparsity", 0.0}, {"perplexity", perplexity}};
}

json ppl(double value, double nll_stderr) {
  return {{"protocol", "ppl.nonoverlap@1{seqlen=64}"}, {"perplexity", value}, {"mean_nll", std::log(value)},
          {"nll_stderr", nll_stderr}, {"tokens_scored", 252}, {"windows", 4}};
}

void write(const fs::path& root, const std::string& rel, const json& doc) {
  harness::write_json_file_atomic((root / rel).string(), doc);
}

// opt-tiny (opt_baseline, VALID, and an older run that must not be read) and llama-tiny (llama_sparse,
// INVALID); drift of opt-tiny; zero_shot and few_shot of opt-tiny.
void write_results(const fs::path& root) {
  json opt = {{"predictors",
               {{"mlp", {{"mlp_in", {layer(0, 0.5, 0.25), layer(1, 0.7, 0.35)}}, {"attn_in", {layer(0, 0.4, 0.2, 0.3), layer(1, 0.6, 0.3, 0.45)}}}},
                {"heads", {{"attn_in", {layer(0, 0.9, 0.45), layer(1, 0.7, 0.35)}}, {"attn_in-1", {layer(1, 0.8, 0.5)}}}}}},
              {"sparse_inference",
               {level("dense", 0, {{"wiki", ppl(20, 0.05)}}), level("oracle", 0.5, {{"wiki", ppl(22, 0.1)}}),
                level("oracle", 0.9, {{"wiki", ppl(40, 0.1)}}), level("predicted", 0.5, {{"wiki", ppl(30, 0.1)}}),
                level("predicted", 0.9, {{"wiki", ppl(80, 0.1)}})}}};
  write(root, "opt_baseline/opt-tiny/m/b.json", result("opt_baseline", "opt-tiny", "2026-02-01T00:00:00Z", opt));
  json old = opt;
  old["predictors"]["mlp"]["mlp_in"] = {layer(0, 0.1, 0.1), layer(1, 0.1, 0.1)};
  write(root, "opt_baseline/opt-tiny/m/a.json", result("opt_baseline", "opt-tiny", "2026-01-01T00:00:00Z", old, {"old"}));
  json llama = {{"predictors", {{"mlp", {{"attn_in-1", {layer(1, 0.75, 0.125)}}, {"attn_in", {layer(0, 0.25, 0.5), layer(1, 0.35, 0.5)}}}}}},
                {"sparse_inference",
                 {level("dense", 0, {{"wiki", ppl(12.5, 0.2)}, {"c4", ppl(10, 0.1)}}),
                  level("oracle", 0.5, {{"wiki", ppl(15, 0.2)}, {"c4", ppl(11, 0.1)}})}}};
  write(root, "llama_sparse/llama-tiny/m/run.json",
        result("llama_sparse", "llama-tiny", "2026-02-01T00:00:00Z", llama, {"--eval-windows limits the perplexity windows"}));
  auto cos = [](double median) { return json{{"median", median}, {"ci95", {median - 0.05, median + 0.05}}, {"tokens", 256}}; };
  json drift = {{"architecture", "opt"},
                {"per_layer",
                 {{{"layer", 0}, {"cos_with_next", {{"1", cos(0.5)}, {"2", cos(0.3)}}}, {"norm_x", cos(2)}, {"norm_attn_out", cos(1)},
                   {"norm_mlp_out", cos(3)}, {"ratio_attn", cos(0.5)}, {"ratio_mlp", cos(1.5)}},
                  {{"layer", 1}, {"cos_with_next", {{"1", cos(0.8)}}}, {"norm_x", cos(4)}, {"norm_attn_out", cos(1)},
                   {"norm_mlp_out", cos(2)}, {"ratio_attn", cos(0.25)}, {"ratio_mlp", cos(0.5)}}}}};
  write(root, "drift/opt-tiny/m/d.json", result("drift", "opt-tiny", "2026-02-01T00:00:00Z", drift));
  auto task = [](double acc, double se, int shots) { return json{{"acc", {{"value", acc}, {"stderr", se}}}, {"shots", shots}}; };
  write(root, "zero_shot/opt-tiny/m/z.json",
        result("zero_shot", "opt-tiny", "2026-02-01T00:00:00Z",
               {{"mode", "lm-eval"}, {"tasks", {{"piqa", task(0.5, 0.1, 0)}, {"arc_easy", task(0.25, 0.05, 0)}}}}));
  write(root, "few_shot/opt-tiny/m/f.json",
        result("few_shot", "opt-tiny", "2026-02-01T00:00:00Z", {{"mode", "lm-eval"}, {"tasks", {{"mmlu", task(0.375, 0.07, 5)}}}}));
}

std::string read(const fs::path& path) { return harness::read_text_file(path.string()); }

}  // namespace

CATCH_TEST_CASE("recall table equals the hand-worked Markdown") {
  harness::test::temp_dir dir("render-recall");
  write_results(dir.path() / "results");
  harness::render("recall", (dir.path() / "results").string(), (dir.path() / "out").string());
  // Means over layers, in %: opt-tiny mlp_in (0.5+0.7)/2 = 60.0, precision 30.0; its attn_in top-k
  // Jaccard (0.3+0.45)/2 = 37.5 (mlp_in has none: "-"); llama-tiny's one attn_in-1 layer 75.0 / 12.5.
  // The older opt-tiny run (a.json) is not read.
  CATCH_CHECK(read(dir.path() / "out/recall.md") ==
              "Table: DejaVu predictor recall, precision and top-k overlap (%) on held-out tokens, mean over layers, per "
              "predictor input\n"
              "\n"
              "| Model | Input | MLP recall | MLP precision | MLP top-k Jaccard | Heads recall | Heads precision |\n"
              "| --- | --- | ---: | ---: | ---: | ---: | ---: |\n"
              "| llama-tiny\u2020 | attn_in | 30.0 | 50.0 | \u2013 | \u2013 | \u2013 |\n"
              "| llama-tiny\u2020 | attn_in-1 | 75.0 | 12.5 | \u2013 | \u2013 | \u2013 |\n"
              "| opt-tiny | mlp_in | 60.0 | 30.0 | \u2013 | \u2013 | \u2013 |\n"
              "| opt-tiny | attn_in | 50.0 | 25.0 | 37.5 | 80.0 | 40.0 |\n"
              "| opt-tiny | attn_in-1 | \u2013 | \u2013 | \u2013 | 80.0 | 50.0 |\n"
              "\n"
              "Each layer's predictor is scored on its held-out test rows; the table gives the mean over layers. Input "
              "attn_in-k: the attention input k blocks earlier (look-ahead). MLP top-k Jaccard: overlap of the layer's "
              "true top-k neurons by absolute activation (those that fire) with as many picked by the predictor (k as in "
              "set stability; results before case v3 have none).\n"
              "\n"
              "\u2020 INVALID: llama_sparse/llama-tiny/m/run.json: --eval-windows limits the perplexity windows\n");
  std::string tex = read(dir.path() / "out/recall.tex");
  CATCH_CHECK(tex.find("\\begin{tabular}{llrrrrr}\n\\toprule\n"
                       "Model & Input & MLP recall & MLP precision & MLP top-k Jaccard & Heads recall & Heads precision \\\\\n\\midrule\n"
                       "llama-tiny$^\\dagger$ & attn\\_in & 30.0 & 50.0 & -- & -- & -- \\\\\n"
                       " & attn\\_in-1 & 75.0 & 12.5 & -- & -- & -- \\\\\n\\midrule\n"
                       "opt-tiny & mlp\\_in & 60.0 & 30.0 & -- & -- & -- \\\\\n"
                       " & attn\\_in & 50.0 & 25.0 & 37.5 & 80.0 & 40.0 \\\\\n") != std::string::npos);
  CATCH_CHECK(tex.find("$^\\dagger$ INVALID: llama\\_sparse/llama-tiny/m/run.json: -{}-eval-windows limits") != std::string::npos);
  CATCH_CHECK(tex.find("\\label{tab:recall}") != std::string::npos);
}

CATCH_TEST_CASE("sparse-ppl and zero-shot tables equal the hand-worked Markdown") {
  harness::test::temp_dir dir("render-tables");
  write_results(dir.path() / "results");
  CATCH_REQUIRE(harness::table_command({"all", "--results", (dir.path() / "results").string(), "--out",
                                        (dir.path() / "out").string()}) == 0);
  // +- is perplexity * stderr(NLL): 22 * 0.1 = 2.20. Rows by MLP sparsity, dense < oracle < predicted.
  CATCH_CHECK(read(dir.path() / "out/sparse-ppl.md") ==
              "Table: Perplexity per evaluation text at each sparsity level with dense, oracle and predicted masks\n"
              "\n"
              "| Model | Masks | MLP sparsity (%) | Head sparsity (%) | c4 | wiki |\n"
              "| --- | --- | ---: | ---: | ---: | ---: |\n"
              "| llama-tiny\u2020 | dense | 0 | 0 | 10.00 \u00b1 1.00 | 12.50 \u00b1 2.50 |\n"
              "| llama-tiny\u2020 | oracle | 50 | 0 | 11.00 \u00b1 1.10 | 15.00 \u00b1 3.00 |\n"
              "| opt-tiny | dense | 0 | 0 | \u2013 | 20.00 \u00b1 1.00 |\n"
              "| opt-tiny | oracle | 50 | 0 | \u2013 | 22.00 \u00b1 2.20 |\n"
              "| opt-tiny | predicted | 50 | 0 | \u2013 | 30.00 \u00b1 3.00 |\n"
              "| opt-tiny | oracle | 90 | 0 | \u2013 | 40.00 \u00b1 4.00 |\n"
              "| opt-tiny | predicted | 90 | 0 | \u2013 | 80.00 \u00b1 8.00 |\n"
              "\n"
              "Perplexity under ppl.nonoverlap@1{seqlen=64}; \u00b1 is the perplexity times the standard error of the mean NLL "
              "(delta method). Sparsity: the fraction of MLP neurons or attention heads dropped.\n"
              "\n"
              "\u2020 INVALID: llama_sparse/llama-tiny/m/run.json: --eval-windows limits the perplexity windows\n");
  CATCH_CHECK(read(dir.path() / "out/zero-shot.md") ==
              "Table: Accuracy (%) per task and model, zero-shot and few-shot\n"
              "\n"
              "| Model | Shots | arc_easy | mmlu | piqa |\n"
              "| --- | ---: | ---: | ---: | ---: |\n"
              "| opt-tiny | 0 | 25.0 \u00b1 5.0 | \u2013 | 50.0 \u00b1 10.0 |\n"
              "| opt-tiny | 5 | \u2013 | 37.5 \u00b1 7.0 | \u2013 |\n"
              "\n"
              "Accuracy (acc) scored as in lm-evaluation-harness (mode: lm-eval); \u00b1 is the standard error over documents.\n");
  CATCH_CHECK(read(dir.path() / "out/zero-shot.tex").find("opt-tiny & 0 & 25.0 $\\pm$ 5.0 & -- & 50.0 $\\pm$ 10.0 \\\\\n"
                                                          " & 5 & -- & 37.5 $\\pm$ 7.0 & -- \\\\\n") != std::string::npos);
}

CATCH_TEST_CASE("sources json lists the results read with relative paths and sha256") {
  harness::test::temp_dir dir("render-sources");
  fs::path results = dir.path() / "results";
  write_results(results);
  harness::render("recall", results.string(), (dir.path() / "out").string());
  json sources = harness::read_json_file((dir.path() / "out/recall.sources.json").string());
  CATCH_CHECK(sources["rendering"] == "recall");
  CATCH_CHECK(sources["kind"] == "table");
  CATCH_REQUIRE(sources["results"].size() == 2);  // the latest run per model only
  CATCH_CHECK(sources["results"][0]["path"] == "llama_sparse/llama-tiny/m/run.json");
  CATCH_CHECK(sources["results"][0]["status"] == "INVALID");
  CATCH_CHECK(sources["results"][0]["status_reasons"] == json::array({"--eval-windows limits the perplexity windows"}));
  CATCH_CHECK(sources["results"][1]["path"] == "opt_baseline/opt-tiny/m/b.json");
  CATCH_CHECK(sources["results"][1]["sha256"] == harness::sha256_file((results / "opt_baseline/opt-tiny/m/b.json").string()));
  CATCH_CHECK(sources.dump().find(dir.path().string()) == std::string::npos);
}

CATCH_TEST_CASE("figures render to pdf and png and byte-identically twice") {
  harness::test::temp_dir dir("render-figures");
  fs::path results = dir.path() / "results";
  write_results(results);
  std::vector<std::string> names = harness::rendering_names("figure");
  CATCH_REQUIRE(names == std::vector<std::string>{"drift", "drift-overlay", "drift-norms", "recall-by-layer",
                                                  "recall-vs-lookahead", "sparsity-ppl"});
  for (const std::string& name : names) harness::render(name, results.string(), (dir.path() / "a").string(), "two");
  // cairo stamps PDFs with the wall clock to the second: let a second pass before the second render.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  CATCH_REQUIRE(harness::plot_command({"all", "--results", results.string(), "--out", (dir.path() / "b").string(),
                                       "--width", "two"}) == 0);
  for (const std::string& name : names) {
    for (const char* ext : {".pdf", ".png", ".gp", ".dat", ".sources.json"}) {
      CATCH_INFO(name + ext);
      std::string a = read(dir.path() / "a" / (name + ext)), b = read(dir.path() / "b" / (name + ext));
      CATCH_CHECK(a.size() > 40);
      CATCH_CHECK(a == b);
    }
    CATCH_CHECK(read(dir.path() / "a" / (name + ".png")).substr(0, 8) == "\x89PNG\r\n\x1a\n");
    std::string pdf = read(dir.path() / "a" / (name + ".pdf"));
    CATCH_CHECK(pdf.substr(0, 5) == "%PDF-");
    CATCH_CHECK(pdf.find("/CreationDate (D:19700101000000") != std::string::npos);
    CATCH_CHECK(read(dir.path() / "a" / (name + ".gp")).find(dir.path().string()) == std::string::npos);
  }
  // The drift data: one block per look-ahead n, median with its 95% interval per layer.
  CATCH_CHECK(read(dir.path() / "a/drift.dat") ==
              "# index 0: opt-tiny / n = 1\n# x y low high\n0 0.5 0.45 0.55\n1 0.8 0.75 0.85\n"
              "\n\n# index 1: opt-tiny / n = 2\n# x y low high\n0 0.3 0.25 0.35\n");
  // Two columns: 7 in wide; the INVALID llama-tiny panel is marked.
  std::string script = read(dir.path() / "a/sparsity-ppl.gp");
  CATCH_CHECK(script.find("set terminal pdfcairo size 7.00in,2.50in") != std::string::npos);
  CATCH_CHECK(script.find("set title 'llama-tiny \u2020 INVALID, c4'") != std::string::npos);
  CATCH_CHECK(script.find("20 with lines ls 9 title 'dense'") != std::string::npos);
}

CATCH_TEST_CASE("missing case or metric is an error naming the file and field") {
  harness::test::temp_dir dir("render-missing");
  fs::path results = dir.path() / "results";
  write(results, "drift/opt-tiny/m/d.json", result("drift", "opt-tiny", "2026-02-01T00:00:00Z", {{"architecture", "opt"}}));
  CATCH_REQUIRE_THROWS_WITH(harness::render("recall", results.string(), (dir.path() / "out").string()),
                            Catch::Contains("no result of case opt_baseline or llama_sparse") && Catch::Contains("table recall"));
  CATCH_REQUIRE_THROWS_WITH(harness::render("drift", results.string(), (dir.path() / "out").string()),
                            Catch::Contains("d.json") && Catch::Contains("no 'metrics.per_layer'") &&
                                Catch::Contains("figure drift"));
  json metrics = {{"predictors", {{"mlp", {{"attn_in", {layer(0, 0.5, 0.5), {{"layer", 1}, {"test", {{"recall", 0.5}}}}}}}}}}};
  write(results, "opt_baseline/opt-tiny/m/x.json", result("opt_baseline", "opt-tiny", "2026-02-01T00:00:00Z", metrics));
  CATCH_REQUIRE_THROWS_WITH(harness::render("recall", results.string(), (dir.path() / "out").string()),
                            Catch::Contains("x.json") && Catch::Contains("no 'metrics.predictors.mlp.attn_in[1].test.precision'"));
  CATCH_REQUIRE_THROWS_WITH(harness::render("sparse-ppl", results.string(), (dir.path() / "out").string()),
                            Catch::Contains("x.json") && Catch::Contains("no 'metrics.sparse_inference'"));
}

CATCH_TEST_CASE("missing gnuplot is an error saying to install gnuplot-nox") {
  harness::test::temp_dir dir("render-no-gnuplot");
  write_results(dir.path() / "results");
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  ::setenv("PATH", (dir.path() / "empty").string().c_str(), 1);
  auto draw = [&] { harness::render("drift", (dir.path() / "results").string(), (dir.path() / "out").string()); };
  CATCH_CHECK_THROWS_WITH(draw(), Catch::Contains("gnuplot not found on PATH") && Catch::Contains("gnuplot-nox"));
  ::setenv("PATH", path.c_str(), 1);
}

CATCH_TEST_CASE("table and plot commands list names and check their options") {
  harness::test::temp_dir dir("render-commands");
  CATCH_CHECK(harness::table_command({"--list"}) == 0);
  CATCH_CHECK(harness::plot_command({"--list"}) == 0);
  CATCH_CHECK(harness::rendering_names("table") == std::vector<std::string>{"recall", "sparse-ppl", "zero-shot", "drift-medians"});
  CATCH_REQUIRE_THROWS_WITH(harness::table_command({"drift-norms"}), Catch::Contains("no table named 'drift-norms'"));
  CATCH_REQUIRE_THROWS_WITH(harness::plot_command({"drift", "--width", "three"}), Catch::Contains("--width"));
  CATCH_REQUIRE_THROWS_WITH(harness::table_command({}), Catch::Contains("give one table name or 'all'"));
  CATCH_REQUIRE_THROWS_WITH(harness::table_command({"recall", "--width", "one"}), Catch::Contains("width"));
}
