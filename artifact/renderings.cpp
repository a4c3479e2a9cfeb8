#include "artifact/renderings.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "runtime/error.h"

namespace harness {

const std::vector<rendering>& all_renderings() {
  static const std::vector<rendering> list = {
      {"recall", "table", {"opt_baseline", "llama_sparse"}, {"opt_baseline", "llama_sparse"},
       "DejaVu predictor recall, precision and top-k overlap (%) on held-out tokens, mean over layers, per predictor input",
       recall_table, nullptr},
      {"sparse-ppl", "table", {"opt_baseline", "llama_sparse"}, {"opt_baseline", "llama_sparse"},
       "Perplexity per evaluation text at each sparsity level with dense, oracle and predicted masks",
       sparse_ppl_table, nullptr},
      {"zero-shot", "table", {"zero_shot", "few_shot"}, {"zero_shot"},
       "Accuracy (%) per task and model, zero-shot and few-shot", zero_shot_table, nullptr},
      {"drift-medians", "table", {"drift"}, {"drift"},
       "Drift of the residual stream per model: medians over layers of similarity with later layers and of sub-block ratios",
       drift_table, nullptr},
      {"drift", "figure", {"drift"}, {"drift"},
       "Cosine similarity of the hidden states of layer l and layer l+n against l, one line per look-ahead n",
       nullptr, drift_figure},
      {"drift-overlay", "figure", {"drift"}, {"drift"},
       "Cosine similarity of consecutive layers' inputs against relative depth, all models overlaid (block input; "
       "normalised input when measured)",
       nullptr, drift_overlay_figure},
      {"drift-norms", "figure", {"drift"}, {"drift"},
       "Norm of the block input and the ratios of the attention and MLP outputs' norms to it, against relative depth, "
       "all models overlaid",
       nullptr, drift_norms_figure},
      {"recall-by-layer", "figure", {"opt_baseline", "llama_sparse"}, {"opt_baseline", "llama_sparse"},
       "Recall of the MLP predictors per layer, one line per predictor input", nullptr, recall_by_layer_figure},
      {"recall-vs-lookahead", "figure", {"opt_baseline", "llama_sparse"}, {"opt_baseline", "llama_sparse"},
       "Predictor recall against look-ahead distance k (input attn_in-k), mean over the layers every k has",
       nullptr, recall_vs_lookahead_figure},
      {"sparsity-ppl", "figure", {"opt_baseline", "llama_sparse"}, {"opt_baseline", "llama_sparse"},
       "Perplexity against MLP sparsity with oracle and predicted masks; the dense model as a dashed line",
       nullptr, sparsity_ppl_figure},
  };
  return list;
}

const rendering& find_rendering(std::string_view name, std::string_view kind) {
  std::vector<std::string> names;
  for (const rendering& r : all_renderings()) {
    if (!kind.empty() && r.kind != kind) continue;
    if (r.name == name) return r;
    names.push_back(r.name);
  }
  fail("no {} named '{}' (known: {})", kind.empty() ? "rendering" : kind, name, fmt::join(names, ", "));
}

}  // namespace harness
