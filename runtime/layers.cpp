#include "runtime/layers.h"

#include <limits>

#include "runtime/error.h"
#include "runtime/tensor_util.h"

namespace harness {

at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  at::Tensor x32 = x.to(at::kFloat);
  at::Tensor variance = x32.pow(2).mean(-1, /*keepdim=*/true);
  x32 = x32 * at::rsqrt(variance + eps);
  return weight * x32.to(x.scalar_type());
}

at::Tensor causal_padding_mask(const at::Tensor& attention_mask, int64_t batch, int64_t past, int64_t new_tokens,
                               at::ScalarType dtype, const at::Device& device) {
  int64_t total = past + new_tokens;
  auto long_options = at::TensorOptions().dtype(at::kLong).device(device);
  at::Tensor query_pos = at::arange(past, total, long_options).view({new_tokens, 1});  // [T, 1]
  at::Tensor key_pos = at::arange(0, total, long_options).view({1, total});           // [1, S]
  at::Tensor allowed = (key_pos <= query_pos).view({1, 1, new_tokens, total});         // [1, 1, T, S]
  if (attention_mask.defined()) {
    if (attention_mask.dim() != 2 || attention_mask.size(0) != batch || attention_mask.size(1) != total)
      fail("attention_mask has shape {} but [{}, {}] (batch, cached + new tokens) is needed",
           shape_str(attention_mask.sizes()), batch, total);
    allowed = allowed & (attention_mask.to(device) != 0).view({batch, 1, 1, total});
  }
  at::Tensor zeros = at::zeros({}, at::TensorOptions().dtype(dtype).device(device));
  return at::where(allowed, zeros, at::full({}, masked_score(dtype), zeros.options()));
}

double masked_score(at::ScalarType dtype) {
  return dtype == at::kBFloat16 ? -3.3895313892515355e38 : std::numeric_limits<float>::lowest();
}

at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& mask,
                     double score_scale) {
  int64_t groups = q.size(1) / k.size(1);
  at::Tensor keys = groups == 1 ? k : k.repeat_interleave(groups, 1);    // [B, H, S, hd]
  at::Tensor values = groups == 1 ? v : v.repeat_interleave(groups, 1);  // [B, H, S, hd]
  at::Tensor scores = at::matmul(q, keys.transpose(2, 3));               // [B, H, T, S]
  if (score_scale != 1.0) scores = scores * score_scale;
  scores = scores + mask;
  at::Tensor probs = at::softmax(scores, -1, at::kFloat).to(q.scalar_type());
  return at::matmul(probs, values).transpose(1, 2);  // [B, T, H, hd]
}

void check_keep_mask(const at::Tensor& keep, int64_t batch, int64_t tokens, int64_t width, const char* what,
                     int64_t layer) {
  if (keep.scalar_type() != at::kBool) fail("layer {}: {} mask must be bool, got {}", layer, what, dtype_str(keep.scalar_type()));
  bool shared = keep.dim() == 1 && keep.size(0) == width;
  bool per_token = keep.dim() == 3 && keep.size(0) == batch && keep.size(1) == tokens && keep.size(2) == width;
  if (!shared && !per_token)
    fail("layer {}: {} mask has shape {}; expected [{}] or [{}, {}, {}]", layer, what, shape_str(keep.sizes()), width,
         batch, tokens, width);
}

namespace {
at::Tensor keep_factor(const at::Tensor& keep, const at::Tensor& x, int64_t width, const char* what, int64_t layer) {
  check_keep_mask(keep, x.size(0), x.size(1), width, what, layer);
  return keep.to(x.device()).to(x.scalar_type());
}
}  // namespace

at::Tensor apply_mlp_keep(const at::Tensor& act, const at::Tensor& keep, int64_t layer) {
  if (!keep.defined()) return act;
  return act * keep_factor(keep, act, act.size(2), "MLP neuron", layer);
}

at::Tensor apply_head_keep(const at::Tensor& heads, const at::Tensor& keep, int64_t layer) {
  if (!keep.defined()) return heads;
  return heads * keep_factor(keep, heads, heads.size(2), "attention head", layer).unsqueeze(-1);
}

}  // namespace harness
