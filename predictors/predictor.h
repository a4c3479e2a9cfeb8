// predictor.h: DejaVu's per-layer predictor: two bias-free linears d -> r -> out with no activation
// between them (as in their code; a low-rank linear map), or, as a named variant, a ReLU between them.
// It maps a token's hidden state to one logit per MLP neuron or attention head.
#pragma once
#include <string>

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>

namespace harness {

struct predictor_shape {
  int64_t in = 0;    // d
  int64_t rank = 0;  // r (DejaVu: 1000)
  int64_t out = 0;   // F neurons or H heads (or KV groups)
  bool relu = false;
};

class predictor_impl : public torch::nn::Module {
 public:
  explicit predictor_impl(const predictor_shape& shape);
  at::Tensor forward(const at::Tensor& x);  // x [N, in] float32 -> logits [N, out]
  const predictor_shape& shape() const { return shape_; }
  torch::nn::Linear down{nullptr};  // weight [rank, in]
  torch::nn::Linear up{nullptr};    // weight [out, rank]

 private:
  predictor_shape shape_;
};
TORCH_MODULE_IMPL(predictor, predictor_impl);

// safetensors with tensors "down.weight", "up.weight" and the shape in the metadata.
void save_predictor(predictor& net, const std::string& path);
predictor load_predictor(const std::string& path);

}  // namespace harness
