// dejavu_metrics.h: what the DejaVu renderings read from opt_baseline and llama_sparse results --
// the results of both cases, the predictor inputs in look-ahead order, and the sparse-inference
// levels with their perplexities (docs/results.md).
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "artifact/render_input.h"
#include "artifact/result_fields.h"

namespace harness {

// The latest opt_baseline and llama_sparse result of each model, by model then case.
std::vector<const stored_result*> dejavu_results(const render_input& in);

// Predictor inputs in reading order: mlp_in, attn_in, attn_in-1, attn_in-2, ...
std::vector<std::string> ordered_inputs(std::vector<std::string> inputs);

// The mean of each layer's test.<metric> under metrics.predictors.<target>.<input>.
double mean_over_layers(const result_field& layers, const std::string& metric);
// The mean of each layer's topk_jaccard.value (MLP predictors, case v3); nullopt when a layer has none.
std::optional<double> mean_topk_jaccard(const result_field& layers);

struct text_perplexity {
  double perplexity = 0, stderr_ = 0;  // stderr: perplexity * stderr(mean NLL), the delta method
  std::string protocol;
};

struct sparse_level {
  std::string masks;  // dense, oracle or predicted
  double mlp_sparsity = 0, head_sparsity = 0;
  std::map<std::string, text_perplexity> perplexity;  // per eval text
};

// metrics.sparse_inference, ordered by (head sparsity, MLP sparsity, masks dense < oracle < predicted).
std::vector<sparse_level> sparse_levels(const result_field& root);

}  // namespace harness
