// renderings.h: the registry of named paper tables and figures. Each is data -- a name, its kind, the
// cases it reads (latest run per model), the cases of which at least one result must exist, a
// caption -- plus the function that builds it from the stored results.
#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "artifact/figure_doc.h"
#include "artifact/render_input.h"
#include "artifact/table_doc.h"

namespace harness {

struct rendering {
  std::string name;
  std::string kind;                      // "table" or "figure"
  std::vector<std::string> cases;        // read: the latest result of each model
  std::vector<std::string> need_one_of;  // at least one result of one of these must exist
  std::string caption;
  std::function<table_doc(const render_input&)> table;    // kind "table"
  std::function<figure_doc(const render_input&)> figure;  // kind "figure"
};

// Every rendering, tables first, in a fixed order.
const std::vector<rendering>& all_renderings();

// The rendering called `name`; unknown: an error listing the names of `kind` ("table", "figure" or
// "" for both).
const rendering& find_rendering(std::string_view name, std::string_view kind = "");

// The builders the registry names (paper_tables.cpp, paper_figures.cpp).
table_doc recall_table(const render_input& in);
table_doc sparse_ppl_table(const render_input& in);
table_doc zero_shot_table(const render_input& in);
table_doc drift_table(const render_input& in);
figure_doc drift_figure(const render_input& in);
figure_doc recall_by_layer_figure(const render_input& in);
figure_doc recall_vs_lookahead_figure(const render_input& in);
figure_doc drift_overlay_figure(const render_input& in);
figure_doc drift_norms_figure(const render_input& in);
figure_doc sparsity_ppl_figure(const render_input& in);

}  // namespace harness
