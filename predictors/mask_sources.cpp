#include "predictors/mask_sources.h"

#include <cmath>

#include "predictors/labels.h"
#include "runtime/error.h"

namespace harness {

namespace {

std::vector<bool> layers_except(int64_t layers, const std::vector<int64_t>& dense, const char* what) {
  std::vector<bool> sparse(layers, true);
  for (int64_t l : dense) {
    if (l < 0 || l >= layers) fail("dense {} layer {} is not one of the model's {} layers", what, l, layers);
    sparse[l] = false;
  }
  return sparse;
}

int64_t kept_of(double sparsity, int64_t width, const char* what) {
  if (!(sparsity >= 0 && sparsity < 1)) fail("{} sparsity {} is not in [0, 1)", what, sparsity);
  return sparsity == 0 ? 0 : std::max<int64_t>(1, std::llround((1 - sparsity) * static_cast<double>(width)));
}

}  // namespace

sparsity_plan make_sparsity_plan(const model_config& c, double mlp_sparsity, double head_sparsity, bool kv_groups,
                                 const std::vector<int64_t>& dense_mlp_layers, const std::vector<int64_t>& dense_head_layers) {
  sparsity_plan p;
  p.kv_groups = kv_groups;
  p.mlp_keep = kept_of(mlp_sparsity, c.intermediate_size, "MLP");
  p.head_keep = kept_of(head_sparsity, kv_groups ? c.num_kv_heads : c.num_heads, "head");
  p.mlp_layers = layers_except(c.num_layers, dense_mlp_layers, "MLP");
  p.head_layers = layers_except(c.num_layers, dense_head_layers, "attention");
  return p;
}

std::string predictor_input::name() const {
  std::string base = hook_point_name(point);
  return lookback == 0 ? base : base + "-" + std::to_string(lookback);
}

predictor_input parse_predictor_input(const std::string& name) {
  predictor_input in;
  size_t dash = name.find('-');
  in.point = hook_point_from_name(name.substr(0, dash));
  if (in.point != hook_point::attn_in && in.point != hook_point::mlp_in)
    fail("predictor input '{}': only attn_in and mlp_in (optionally -k for k layers earlier) can feed a predictor", name);
  if (dash != std::string::npos) {
    std::string k = name.substr(dash + 1);
    if (k.empty() || k.find_first_not_of("0123456789") != std::string::npos) fail("predictor input '{}': bad look-back", name);
    in.lookback = std::stoll(k);
  }
  return in;
}

at::Tensor top_k_keep(const at::Tensor& scores, int64_t keep) {
  int64_t b = scores.size(0), t = scores.size(1), c = scores.size(2);
  return top_k_mask(scores.reshape({b * t, c}), keep).view({b, t, c});
}

at::Tensor expand_groups(const at::Tensor& group_keep, int64_t heads) {
  int64_t group = heads / group_keep.size(2);
  return group_keep.repeat_interleave(group, /*dim=*/2);  // [B, T, H]
}

oracle_masks::oracle_masks(const model_config& config, sparsity_plan plan) : config_(config), plan_(std::move(plan)) {}

at::Tensor oracle_masks::head_keep(int64_t layer, const at::Tensor& heads) {
  if (plan_.head_keep == 0 || !plan_.head_layers.at(layer)) return {};
  at::Tensor norms = heads.to(at::kFloat).norm(2, {-1});  // [B, T, H]
  if (!plan_.kv_groups) return top_k_keep(norms, plan_.head_keep);
  int64_t b = norms.size(0), t = norms.size(1);
  at::Tensor groups = kv_group_norms(norms.reshape({b * t, -1}), config_.num_kv_heads).view({b, t, -1});  // [B, T, KV]
  return expand_groups(top_k_keep(groups, plan_.head_keep), config_.num_heads);
}

at::Tensor oracle_masks::mlp_keep(int64_t layer, const at::Tensor& act) {
  if (plan_.mlp_keep == 0 || !plan_.mlp_layers.at(layer)) return {};
  return top_k_keep(act.abs(), plan_.mlp_keep);  // [B, T, F]
}

predicted_masks::predicted_masks(const model_config& config, sparsity_plan plan, std::map<int64_t, predictor> mlp,
                                 predictor_input mlp_input, std::map<int64_t, predictor> heads, predictor_input head_input)
    : config_(config), plan_(std::move(plan)), mlp_(std::move(mlp)), heads_(std::move(heads)),
      mlp_input_(mlp_input), head_input_(head_input) {
  for (int64_t l = 0; l < config_.num_layers; ++l) {
    if (plan_.mlp_keep > 0 && plan_.mlp_layers.at(l) && !mlp_.count(l)) fail("layer {}: sparse MLP but no MLP predictor", l);
    if (plan_.head_keep > 0 && plan_.head_layers.at(l) && !heads_.count(l)) fail("layer {}: sparse attention but no head predictor", l);
  }
}

void predicted_masks::observe(hook_point point, int64_t layer, const at::Tensor& value) {
  if (point != hook_point::attn_in && point != hook_point::mlp_in) return;
  seen_[{static_cast<int>(point), layer}] = value;
  // Keep only what a later layer may still read.
  int64_t horizon = std::max(mlp_input_.lookback, head_input_.lookback);
  seen_.erase({static_cast<int>(point), layer - horizon - 1});
}

at::Tensor predicted_masks::predict(predictor& net, const predictor_input& input, int64_t layer, int64_t keep) {
  auto it = seen_.find({static_cast<int>(input.point), layer - input.lookback});
  if (it == seen_.end())
    fail("layer {}: the predictor's input {} of layer {} was not seen in this pass", layer, input.name(), layer - input.lookback);
  const at::Tensor& x = it->second;  // [B, T, d]
  torch::NoGradGuard no_grad;
  net->to(x.device());  // a no-op after the first call
  at::Tensor logits = net->forward(x.reshape({-1, x.size(-1)}).to(at::kFloat));  // [B*T, out]
  return top_k_mask(logits, keep).view({x.size(0), x.size(1), -1});
}

at::Tensor predicted_masks::head_keep(int64_t layer, const at::Tensor& heads) {
  if (plan_.head_keep == 0 || !plan_.head_layers.at(layer)) return {};
  at::Tensor keep = predict(heads_.at(layer), head_input_, layer, plan_.head_keep);
  return plan_.kv_groups ? expand_groups(keep, config_.num_heads) : keep;
}

at::Tensor predicted_masks::mlp_keep(int64_t layer, const at::Tensor& act) {
  if (plan_.mlp_keep == 0 || !plan_.mlp_layers.at(layer)) return {};
  return predict(mlp_.at(layer), mlp_input_, layer, plan_.mlp_keep);
}

}  // namespace harness
