#include "evals/block_error.h"

#include <cmath>

namespace harness {

namespace {

// Keeps each layer's block output of one pass.
struct block_out_keeper final : forward_observer {
  std::vector<at::Tensor> out;  // [L] of [B, T, d]
  explicit block_out_keeper(int64_t layers) : out(layers) {}
  void observe(hook_point point, int64_t layer, const at::Tensor& value) override {
    if (point == hook_point::block_out) out[layer] = value.to(at::kFloat);
  }
};

}  // namespace

std::vector<double> block_output_error(causal_lm& model, const at::Tensor& windows, mask_source& masks, int64_t batch) {
  int64_t layers = model.config().num_layers;
  std::vector<double> diff_sq(layers, 0), ref_sq(layers, 0);
  for (int64_t start = 0; start < windows.size(0); start += batch) {
    at::Tensor ids = windows.narrow(0, start, std::min(batch, windows.size(0) - start));  // [b, T]
    block_out_keeper dense(layers), sparse(layers);
    forward_options opt;
    opt.last_position_only = true;
    opt.observer = &dense;
    model.forward({ids, {}, {}}, opt);
    opt.observer = &sparse;
    opt.dynamic_masks = &masks;
    model.forward({ids, {}, {}}, opt);
    for (int64_t l = 0; l < layers; ++l) {
      diff_sq[l] += (sparse.out[l] - dense.out[l]).square().sum().item<double>();
      ref_sq[l] += dense.out[l].square().sum().item<double>();
    }
  }
  std::vector<double> error(layers);
  for (int64_t l = 0; l < layers; ++l) error[l] = ref_sq[l] > 0 ? std::sqrt(diff_sq[l] / ref_sq[l]) : 0;
  return error;
}

}  // namespace harness
