// mask_sources.h: the two ways sparse inference picks what to keep, per token and per layer, during the
// forward pass (runtime/hooks.h mask_source):
//   oracle    -- the true top-K: MLP neurons by |act|, heads by the norm of their output (DejaVu's
//                attention label), from the dense values of this very pass; the ceiling a predictor
//                could reach.
//   predicted -- each layer's trained predictor reads a hidden state seen earlier in the pass (its own
//                sub-block input, or the block input of k layers before) and its top-K logits are kept.
// Layers not marked sparse stay dense. With GQA, heads may be chosen per KV group (all query heads of
// a group are kept or dropped together, so the group's K/V work can be skipped).
#pragma once
#include <map>
#include <string>
#include <vector>

#include "predictors/predictor.h"
#include "runtime/hooks.h"
#include "runtime/model_config.h"

namespace harness {

struct sparsity_plan {
  int64_t mlp_keep = 0;         // neurons kept per token; 0 = dense MLP
  int64_t head_keep = 0;        // heads kept per token (KV groups with kv_groups); 0 = dense attention
  bool kv_groups = false;
  std::vector<bool> mlp_layers;   // [L] which layers' MLPs are sparse
  std::vector<bool> head_layers;  // [L] which layers' attention is sparse
};
// Every layer sparse except those listed in `dense` (e.g. DejaVu leaves its first attention layers dense).
sparsity_plan make_sparsity_plan(const model_config& config, double mlp_sparsity, double head_sparsity, bool kv_groups,
                                 const std::vector<int64_t>& dense_mlp_layers, const std::vector<int64_t>& dense_head_layers);

// Where a predictor's input comes from: the `kind` hidden state (attn_in or mlp_in) of layer l - lookback.
struct predictor_input {
  hook_point point = hook_point::attn_in;
  int64_t lookback = 0;
  std::string name() const;  // "mlp_in", "attn_in", "attn_in-1", ...
};
predictor_input parse_predictor_input(const std::string& name);

class oracle_masks final : public mask_source {
 public:
  oracle_masks(const model_config& config, sparsity_plan plan);
  void observe(hook_point, int64_t, const at::Tensor&) override {}
  at::Tensor head_keep(int64_t layer, const at::Tensor& heads) override;
  at::Tensor mlp_keep(int64_t layer, const at::Tensor& act) override;

 private:
  model_config config_;
  sparsity_plan plan_;
};

class predicted_masks final : public mask_source {
 public:
  // Predictors by layer; a sparse layer without one is an error.
  predicted_masks(const model_config& config, sparsity_plan plan, std::map<int64_t, predictor> mlp,
                  predictor_input mlp_input, std::map<int64_t, predictor> heads, predictor_input head_input);
  void observe(hook_point point, int64_t layer, const at::Tensor& value) override;
  // Both read only the earlier hidden states the pass showed (so the speed path can run them).
  at::Tensor head_keep(int64_t layer, const at::Tensor& heads) override;
  at::Tensor mlp_keep(int64_t layer, const at::Tensor& act) override;
  bool reads_values() const override { return false; }

 private:
  at::Tensor predict(predictor& net, const predictor_input& input, int64_t layer, int64_t keep);  // -> [B, T, out]

  model_config config_;
  sparsity_plan plan_;
  std::map<int64_t, predictor> mlp_, heads_;
  predictor_input mlp_input_, head_input_;
  std::map<std::pair<int, int64_t>, at::Tensor> seen_;  // (hook point, layer) -> [B, T, d] of this pass
};

// Per token, the keep mask of the top `keep` entries of scores [B, T, C] -> [B, T, C] bool.
at::Tensor top_k_keep(const at::Tensor& scores, int64_t keep);
// A per-KV-group keep [B, T, KV] widened to its query heads [B, T, H].
at::Tensor expand_groups(const at::Tensor& group_keep, int64_t heads);

}  // namespace harness
