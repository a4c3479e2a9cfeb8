// paper_figures.cpp: the figures of the registry (renderings.h), built from stored results: drift of
// the residual stream, predictor recall per layer and against look-ahead distance, and perplexity
// against MLP sparsity. One panel per
// model (and eval text); an INVALID result's panel title carries a dagger and the word INVALID.
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "artifact/dejavu_metrics.h"
#include "artifact/renderings.h"
#include "runtime/error.h"

namespace harness {

namespace {

std::string panel_title(const stored_result& r) { return r.valid() ? r.subject() : r.subject() + " \u2020 INVALID"; }

}  // namespace

figure_doc drift_figure(const render_input& in) {
  figure_doc f;
  for (const stored_result& r : in.results("drift")) {
    figure_panel p;
    p.title = panel_title(r);
    p.xlabel = "layer l";
    p.ylabel = "cos(h_l, h_l+n)";
    p.integer_x = true;
    std::map<int64_t, figure_series> by_n;  // look-ahead n -> its line
    for (const result_field& layer : result_field(r, in.user())["metrics"]["per_layer"].elements()) {
      double l = layer["layer"].number();
      for (const auto& [n, s] : layer["cos_with_next"].members()) {
        result_field ci = s["ci95"];
        std::vector<result_field> bounds = ci.elements();
        if (bounds.size() != 2) ci.reject("is not a [low, high] pair");
        figure_series& line = by_n[std::stoll(n)];
        line.points.push_back({l, s["median"].number(), bounds[0].number(), bounds[1].number()});
      }
    }
    for (auto& [n, line] : by_n) {
      line.title = fmt::format("n = {}", n);
      line.bounds = true;
      p.series.push_back(line);
    }
    f.panels.push_back(p);
  }
  return f;
}

figure_doc recall_by_layer_figure(const render_input& in) {
  figure_doc f;
  for (const stored_result* r : dejavu_results(in)) {
    figure_panel p;
    p.title = panel_title(*r);
    p.xlabel = "layer";
    p.ylabel = "MLP predictor recall (%)";
    p.integer_x = true;
    p.y_min = 0;
    p.y_max = 100;
    result_field mlp = result_field(*r, in.user())["metrics"]["predictors"]["mlp"];
    std::vector<std::string> inputs;
    for (const auto& [input, layers] : mlp.members()) inputs.push_back(input);
    for (const std::string& input : ordered_inputs(inputs)) {
      figure_series line{input, {}, false};
      for (const result_field& layer : mlp[input].elements())
        line.points.push_back({layer["layer"].number(), 100 * layer["test"]["recall"].number(), 0, 0});
      p.series.push_back(line);
    }
    f.panels.push_back(p);
  }
  return f;
}

// Mean test recall over the layers every look-ahead input of `target` has (attn_in is k = 0,
// attn_in-k is k), so each point averages the same layers; mlp_in is not a look-ahead and is left out.
figure_series lookahead_series(const result_field& target, const std::string& title) {
  std::map<int64_t, std::map<int64_t, double>> recall;  // k -> layer -> recall
  for (const auto& [input, layers] : target.members()) {
    if (input != "attn_in" && input.rfind("attn_in-", 0) != 0) continue;
    int64_t k = input == "attn_in" ? 0 : std::stoll(input.substr(8));
    for (const result_field& layer : layers.elements())
      recall[k][static_cast<int64_t>(layer["layer"].number())] = layer["test"]["recall"].number();
  }
  figure_series line{title, {}, false};
  if (recall.empty()) return line;
  std::vector<int64_t> common;
  for (const auto& [layer, value] : recall.rbegin()->second) {
    bool everywhere = std::all_of(recall.begin(), recall.end(), [&](const auto& kv) { return kv.second.count(layer) > 0; });
    if (everywhere) common.push_back(layer);
  }
  if (common.empty()) return line;
  for (const auto& [k, by_layer] : recall) {
    double sum = 0;
    for (int64_t layer : common) sum += by_layer.at(layer);
    line.points.push_back({static_cast<double>(k), 100 * sum / static_cast<double>(common.size()), 0, 0});
  }
  return line;
}

figure_doc recall_vs_lookahead_figure(const render_input& in) {
  figure_panel p{"", "look-ahead k (blocks earlier)", "predictor recall (%)", {}, {}, false, 0.0, 100.0, true};
  for (const stored_result* r : dejavu_results(in)) {
    result_field predictors = result_field(*r, in.user())["metrics"]["predictors"];
    for (const char* target : {"mlp", "heads"}) {
      if (!predictors.has(target)) continue;
      figure_series line = lookahead_series(predictors[target], fmt::format("{} {}", panel_title(*r), target == std::string("mlp") ? "MLP" : "heads"));
      if (!line.points.empty()) p.series.push_back(line);
    }
  }
  if (p.series.empty()) fail("figure recall-vs-lookahead: no result has attn_in predictors on a common layer");
  return {{p}};
}

figure_doc sparsity_ppl_figure(const render_input& in) {
  figure_doc f;
  for (const stored_result* r : dejavu_results(in)) {
    std::vector<sparse_level> levels = sparse_levels(result_field(*r, in.user()));
    auto dense = std::find_if(levels.begin(), levels.end(), [](const sparse_level& l) { return l.masks == "dense"; });
    if (dense == levels.end())
      result_field(*r, in.user())["metrics"]["sparse_inference"].reject("has no dense level");
    for (const auto& [text, dense_ppl] : dense->perplexity) {
      figure_panel p;
      p.title = fmt::format("{}, {}", panel_title(*r), text);
      p.xlabel = "MLP sparsity (% of neurons dropped)";
      p.ylabel = "perplexity";
      p.log_y = true;
      for (const char* masks : {"oracle", "predicted"}) {
        figure_series line{masks, {}, false};
        for (const sparse_level& l : levels)
          if (l.masks == masks && l.head_sparsity == 0 && l.mlp_sparsity > 0 && l.perplexity.count(text))
            line.points.push_back({100 * l.mlp_sparsity, l.perplexity.at(text).perplexity, 0, 0});
        if (!line.points.empty()) p.series.push_back(line);
      }
      p.hlines.push_back({"dense", dense_ppl.perplexity});
      if (!p.series.empty()) f.panels.push_back(p);  // a text with no MLP level has nothing to compare
    }
  }
  if (f.panels.empty()) fail("figure sparsity-ppl: no result has a sparse level with an MLP sparsity above 0");
  return f;
}

}  // namespace harness
