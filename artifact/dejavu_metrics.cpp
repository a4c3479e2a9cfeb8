#include "artifact/dejavu_metrics.h"

#include <algorithm>
#include <tuple>

#include "runtime/error.h"

namespace harness {

std::vector<const stored_result*> dejavu_results(const render_input& in) {
  std::vector<const stored_result*> out;
  for (const char* c : {"opt_baseline", "llama_sparse"})
    for (const stored_result& r : in.results(c)) out.push_back(&r);
  std::stable_sort(out.begin(), out.end(), [](const auto* a, const auto* b) { return a->subject() < b->subject(); });
  return out;
}

std::vector<std::string> ordered_inputs(std::vector<std::string> inputs) {
  // mlp_in first, then attn_in with look-back 0, 1, 2, ...; anything else after, by name.
  auto rank = [](const std::string& name) -> std::pair<int64_t, std::string> {
    if (name == "mlp_in") return {-1, ""};
    if (name == "attn_in") return {0, ""};
    if (name.rfind("attn_in-", 0) == 0 && name.size() > 8 &&
        std::all_of(name.begin() + 8, name.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return {std::stoll(name.substr(8)), ""};
    return {1 << 30, name};
  };
  std::sort(inputs.begin(), inputs.end(), [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
  return inputs;
}

double mean_over_layers(const result_field& layers, const std::string& metric) {
  std::vector<result_field> list = layers.elements();
  if (list.empty()) layers.reject("has no layers");
  double sum = 0;
  for (const result_field& layer : list) sum += layer["test"][metric].number();
  return sum / static_cast<double>(list.size());
}

std::optional<double> mean_topk_jaccard(const result_field& layers) {
  std::vector<result_field> list = layers.elements();
  if (list.empty()) layers.reject("has no layers");
  double sum = 0;
  for (const result_field& layer : list) {
    if (!layer.has("topk_jaccard")) return std::nullopt;
    sum += layer["topk_jaccard"]["value"].number();
  }
  return sum / static_cast<double>(list.size());
}

std::vector<sparse_level> sparse_levels(const result_field& root) {
  std::vector<sparse_level> levels;
  for (const result_field& l : root["metrics"]["sparse_inference"].elements()) {
    sparse_level level{l["masks"].text(), l["mlp_sparsity"].number(), l["head_sparsity"].number(), {}};
    for (const auto& [text, p] : l["perplexity"].members()) {
      double ppl = p["perplexity"].number();
      level.perplexity[text] = {ppl, ppl * p["nll_stderr"].number(), p["protocol"].text()};
    }
    levels.push_back(level);
  }
  auto order = [](const std::string& masks) { return masks == "dense" ? 0 : masks == "oracle" ? 1 : masks == "predicted" ? 2 : 3; };
  std::stable_sort(levels.begin(), levels.end(), [&](const auto& a, const auto& b) {
    return std::make_tuple(a.head_sparsity, a.mlp_sparsity, order(a.masks)) <
           std::make_tuple(b.head_sparsity, b.mlp_sparsity, order(b.masks));
  });
  return levels;
}

}  // namespace harness
