// The drift study's renderings and the look-ahead figure from crafted results: the table of medians
// equals hand-worked Markdown, the overlay puts every model on a relative depth axis (and the
// normalised input on its own panel when measured), and recall against look-ahead averages the same
// layers for every k.
#include <filesystem>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "artifact/render.h"
#include "runtime/json_file.h"
#include "runtime/text_file.h"
#include "tests/crafted_result.h"
#include "tests/test_paths.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json result(const std::string& case_name, const std::string& subject, const json& metrics) {
  return harness::test::crafted_result(case_name, subject, "2026-02-01T00:00:00Z", metrics);
}


json summary(double median) { return {{"median", median}, {"ci95", {median, median}}, {"tokens", 64}}; }

// One drift layer: cos_with_next per n, the normalised n = 1 when given, and the same ratio everywhere.
json drift_layer(int layer, const std::map<std::string, double>& cos, double normed, double ratio_attn, double ratio_mlp) {
  json l = {{"layer", layer}, {"cos_with_next", json::object()}, {"norm_x", summary(2)}, {"norm_attn_out", summary(1)},
            {"norm_mlp_out", summary(3)}, {"ratio_attn", summary(ratio_attn)}, {"ratio_mlp", summary(ratio_mlp)}};
  for (const auto& [n, c] : cos) l["cos_with_next"][n] = summary(c);
  if (normed >= 0) l["cos_with_next_normed"]["1"] = summary(normed);
  return l;
}

json predictor_layer(int layer, double recall) { return {{"layer", layer}, {"test", {{"recall", recall}, {"precision", 0.5}}}}; }

void write_results(const fs::path& root) {
  // opt-tiny: 2 layers, no normalised input measured, max distance 2.
  json opt = {{"per_layer", {drift_layer(0, {{"1", 0.5}, {"2", 0.3}}, -1, 0.5, 1.5), drift_layer(1, {{"1", 0.8}}, -1, 0.25, 0.5)}}};
  harness::write_json_file_atomic((root / "drift/opt-tiny/m/d.json").string(), result("drift", "opt-tiny", opt));
  // llama-tiny: 4 layers; n = 4 only from layer 0; normalised input for layers 0..2.
  json llama = {{"per_layer",
                 {drift_layer(0, {{"1", 0.2}, {"4", 0.1}}, 0.1, 1, 2), drift_layer(1, {{"1", 0.3}}, 0.2, 1, 2),
                  drift_layer(2, {{"1", 0.4}}, 0.3, 1, 2), drift_layer(3, {{"1", 0.9}}, -1, 1, 2)}}};
  harness::write_json_file_atomic((root / "drift/llama-tiny/m/d.json").string(), result("drift", "llama-tiny", llama));
  // Look-ahead: llama MLP has attn_in on layers 0, 1 and attn_in-1 on layer 1 (common layer: 1);
  // its heads have attn_in only. mlp_in is not a look-ahead input.
  json predictors = {{"mlp",
                      {{"mlp_in", {predictor_layer(0, 0.99), predictor_layer(1, 0.99)}},
                       {"attn_in", {predictor_layer(0, 0.25), predictor_layer(1, 0.35)}},
                       {"attn_in-1", {predictor_layer(1, 0.75)}}}},
                     {"heads", {{"attn_in", {predictor_layer(0, 0.5), predictor_layer(1, 0.7)}}}}};
  harness::write_json_file_atomic((root / "llama_sparse/llama-tiny/m/p.json").string(),
                                  result("llama_sparse", "llama-tiny", {{"predictors", predictors}}));
}

std::string read(const fs::path& path) { return harness::read_text_file(path.string()); }

}  // namespace

CATCH_TEST_CASE("drift medians table equals the hand-worked Markdown") {
  harness::test::temp_dir dir("render-drift-table");
  write_results(dir.path() / "results");
  harness::render("drift-medians", (dir.path() / "results").string(), (dir.path() / "out").string());
  // llama-tiny: cos n=1 median of {0.2, 0.3, 0.4, 0.9} = 0.35; n=4 only layer 0: 0.1; normalised
  // {0.1, 0.2, 0.3}: 0.2. opt-tiny: {0.5, 0.8}: 0.65; ratios {0.5, 0.25}: 0.375 and {1.5, 0.5}: 1.
  CATCH_CHECK(read(dir.path() / "out/drift-medians.md") ==
              "Table: Drift of the residual stream per model: medians over layers of similarity with later layers and "
              "of sub-block ratios\n"
              "\n"
              "| Model | Layers | cos(x_l, x_l+1) | cos(x_l, x_l+4) | cos normalised, n = 1 | attn ratio | MLP ratio |\n"
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n"
              "| llama-tiny | 4 | 0.350 | 0.100 | 0.200 | 1.000 | 2.000 |\n"
              "| opt-tiny | 2 | 0.650 | \u2013 | \u2013 | 0.375 | 1.000 |\n"
              "\n"
              "Each entry is the median over layers of the per-layer median over tokens. x_l is the residual stream "
              "entering block l; normalised: after the block's input norm, what the attention projections see. "
              "Ratios: the norm of a sub-block's output over the norm of its input (DejaVu's Fig. 5c/d).\n");
}

CATCH_TEST_CASE("drift overlay and norms put every model on relative depth") {
  harness::test::temp_dir dir("render-drift-figures");
  write_results(dir.path() / "results");
  harness::render("drift-overlay", (dir.path() / "results").string(), (dir.path() / "out").string());
  CATCH_CHECK(read(dir.path() / "out/drift-overlay.dat") ==
              "# index 0: block input x_l / llama-tiny\n# x y\n0 0.2\n0.25 0.3\n0.5 0.4\n0.75 0.9\n"
              "\n\n# index 1: block input x_l / opt-tiny\n# x y\n0 0.5\n0.5 0.8\n"
              "\n\n# index 2: normalised input / llama-tiny\n# x y\n0 0.1\n0.25 0.2\n0.5 0.3\n");
  harness::render("drift-norms", (dir.path() / "results").string(), (dir.path() / "out").string());
  CATCH_CHECK(read(dir.path() / "out/drift-norms.png").substr(0, 8) == "\x89PNG\r\n\x1a\n");
  std::string script = read(dir.path() / "out/drift-norms.gp");
  CATCH_CHECK(script.find("set title 'median |F_mlp| / |x_l|'") != std::string::npos);
  CATCH_CHECK(script.find("set logscale y") != std::string::npos);
  // The MLP ratio panel overlays both models on relative depth.
  std::string data = read(dir.path() / "out/drift-norms.dat");
  CATCH_CHECK(data.find("# index 4: median |F_mlp| / |x_l| / llama-tiny\n# x y\n0 2\n0.25 2\n0.5 2\n0.75 2\n") != std::string::npos);
  CATCH_CHECK(data.find("# index 5: median |F_mlp| / |x_l| / opt-tiny\n# x y\n0 1.5\n0.5 0.5\n") != std::string::npos);
}

CATCH_TEST_CASE("recall against look-ahead averages the layers every k has") {
  harness::test::temp_dir dir("render-lookahead");
  write_results(dir.path() / "results");
  harness::render("recall-vs-lookahead", (dir.path() / "results").string(), (dir.path() / "out").string());
  // MLP: common layer 1: attn_in 35%, attn_in-1 75%. Heads: attn_in only, layers 0 and 1: 60%.
  CATCH_CHECK(read(dir.path() / "out/recall-vs-lookahead.dat") ==
              "# index 0:  / llama-tiny MLP\n# x y\n0 35\n1 75\n"
              "\n\n# index 1:  / llama-tiny heads\n# x y\n0 60\n");
}
