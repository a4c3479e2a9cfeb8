// drift_renderings.cpp: the drift study's table and figures (renderings.h), from stored drift results:
// a table of medians per model, similarity against relative depth with OPT and Llama overlaid (block
// input and, when measured, the normalised input the projections see), and norms and ratios against
// relative depth, also overlaid. Each per-layer value is the median over tokens the drift case stored.
#include <vector>

#include <fmt/format.h>

#include "artifact/mann_whitney.h"
#include "artifact/renderings.h"
#include "artifact/result_fields.h"
#include "runtime/error.h"

namespace harness {

namespace {

std::string series_title(const stored_result& r) { return r.valid() ? r.subject() : r.subject() + " \u2020 INVALID"; }

// The per-layer medians of `field` (e.g. "ratio_attn", or "cos_with_next" with `n`), for the layers that
// have it; empty when none does.
std::vector<std::pair<double, double>> per_layer(const result_field& layers, const std::string& field,
                                                 const std::string& n = "") {
  std::vector<std::pair<double, double>> values;  // (layer, median)
  for (const result_field& layer : layers.elements()) {
    if (!layer.has(field)) continue;
    result_field f = layer[field];
    if (!n.empty()) {
      if (!f.has(n)) continue;
      f = f[n];
    }
    values.emplace_back(layer["layer"].number(), f["median"].number());
  }
  return values;
}

std::string median_text(const std::vector<std::pair<double, double>>& values) {
  if (values.empty()) return "";
  std::vector<double> medians;
  for (const auto& [layer, m] : values) medians.push_back(m);
  return fmt::format("{:.3f}", median(medians));
}

}  // namespace

table_doc drift_table(const render_input& in) {
  table_doc t;
  t.columns = {{"Model"}, {"Layers", true}, {"cos(x_l, x_l+1)", true}, {"cos(x_l, x_l+4)", true},
               {"cos normalised, n = 1", true}, {"attn ratio", true}, {"MLP ratio", true}};
  for (const stored_result& r : in.results("drift")) {
    result_field layers = result_field(r, in.user())["metrics"]["per_layer"];
    table_row row{{{r.subject(), ""}, {std::to_string(layers.elements().size()), ""}}, !r.valid()};
    for (const auto& [field, n] : std::vector<std::pair<std::string, std::string>>{
             {"cos_with_next", "1"}, {"cos_with_next", "4"}, {"cos_with_next_normed", "1"}, {"ratio_attn", ""}, {"ratio_mlp", ""}})
      row.cells.push_back({median_text(per_layer(layers, field, n)), ""});
    t.rows.push_back(row);
  }
  t.notes = {"Each entry is the median over layers of the per-layer median over tokens. x_l is the residual stream "
             "entering block l; normalised: after the block's input norm, what the attention projections see. "
             "Ratios: the norm of a sub-block's output over the norm of its input (DejaVu's Fig. 5c/d)."};
  for (const std::string& note : in.invalid_notes()) t.notes.push_back(note);
  return t;
}

figure_doc drift_overlay_figure(const render_input& in) {
  figure_doc f;
  for (const auto& [field, title] : std::vector<std::pair<std::string, std::string>>{
           {"cos_with_next", "block input x_l"}, {"cos_with_next_normed", "normalised input"}}) {
    figure_panel p;
    p.title = title;
    p.xlabel = "relative depth l / L";
    p.ylabel = "median cos(x_l, x_l+1)";
    for (const stored_result& r : in.results("drift")) {
      result_field layers = result_field(r, in.user())["metrics"]["per_layer"];
      double depth = static_cast<double>(layers.elements().size());
      figure_series line{series_title(r), {}, false};
      for (const auto& [layer, m] : per_layer(layers, field, "1")) line.points.push_back({layer / depth, m, 0, 0});
      if (!line.points.empty()) p.series.push_back(line);
    }
    // Cosines end at 1; the axis starts at 0 unless a median falls below it, so panels compare at a glance.
    p.y_max = 1.0;
    p.y_min = 0.0;
    for (const figure_series& line : p.series)
      for (const figure_point& pt : line.points) p.y_min = std::min(*p.y_min, pt.y);
    if (!p.series.empty()) f.panels.push_back(p);  // results made before normalised inputs were measured
  }
  if (f.panels.empty()) fail("figure drift-overlay: no drift result has cos_with_next for n = 1");
  return f;
}

figure_doc drift_norms_figure(const render_input& in) {
  figure_doc f;
  for (const auto& [field, title] : std::vector<std::pair<std::string, std::string>>{
           {"norm_x", "median |x_l|"}, {"ratio_attn", "median |F_attn| / |x_l|"}, {"ratio_mlp", "median |F_mlp| / |x_l|"}}) {
    figure_panel p{title, "relative depth l / L", title, {}, {}, true, std::nullopt, std::nullopt, false};
    for (const stored_result& r : in.results("drift")) {
      result_field layers = result_field(r, in.user())["metrics"]["per_layer"];
      double depth = static_cast<double>(layers.elements().size());
      figure_series line{series_title(r), {}, false};
      for (const auto& [layer, m] : per_layer(layers, field)) line.points.push_back({layer / depth, m, 0, 0});
      if (line.points.empty()) layers.reject("has no layer with " + field);
      p.series.push_back(line);
    }
    f.panels.push_back(p);
  }
  return f;
}

}  // namespace harness
