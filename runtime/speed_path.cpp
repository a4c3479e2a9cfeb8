#include "runtime/speed_path.h"

#include "runtime/error.h"
#include "runtime/layers.h"

namespace harness {

namespace {

// The kept indices [K] int64 (ascending) of row `row` of keep ([W] shared, or [B, 1, W]).
at::Tensor kept_indices(const at::Tensor& keep, int64_t row, const at::Device& device) {
  at::Tensor k = keep.dim() == 1 ? keep : keep[row][0];
  return k.nonzero().flatten().to(device);
}

// Runs `kernel(rows, kept)` once for a shared mask, or row by row for a per-token one: [B, d].
template <typename Kernel>
at::Tensor by_rows(const at::Tensor& keep, int64_t batch, const at::Device& device, Kernel kernel) {
  if (keep.dim() == 1 || batch == 1) return kernel(0, batch, kept_indices(keep, 0, device));
  std::vector<at::Tensor> rows;
  for (int64_t b = 0; b < batch; ++b) rows.push_back(kernel(b, 1, kept_indices(keep, b, device)));
  return at::cat(rows, 0);
}

}  // namespace

speed_path::speed_path(const forward_options& opt, const forward_input& in, int64_t new_tokens, const model_config& config)
    : opt_(opt), neurons_(config.intermediate_size), heads_(config.num_heads) {
  active_ = opt.kernels != nullptr && opt.cache != nullptr && new_tokens == 1;
  if (!active_) return;
  if (opt.masks && opt.dynamic_masks) fail("forward: fixed masks and a mask source cannot both be given");
  if (opt.dynamic_masks && opt.dynamic_masks->reads_values())
    fail("forward: the speed path (decode kernels) needs each layer's mask before the sub-block runs, but this mask "
         "source reads the dense values it masks (oracle top-K); use fixed masks or predicted masks");
  padded_ = in.attention_mask.defined() && !in.attention_mask.all().item<bool>();
}

at::Tensor speed_path::keep_before(int64_t layer, bool mlp) const {
  if (opt_.masks) return mlp ? opt_.masks->at(layer).mlp_keep : opt_.masks->at(layer).head_keep;
  if (!opt_.dynamic_masks) return {};
  return mlp ? opt_.dynamic_masks->mlp_keep(layer, {}) : opt_.dynamic_masks->head_keep(layer, {});
}

at::Tensor speed_path::mlp(int64_t layer, const at::Tensor& x) const {
  if (!active_) return {};
  at::Tensor keep = keep_before(layer, /*mlp=*/true);
  if (!keep.defined()) return {};
  int64_t batch = x.size(0), d = x.size(2);
  check_keep_mask(keep, batch, 1, neurons_, "MLP neuron", layer);
  at::Tensor rows = x.reshape({batch, d});  // [B, d]
  return by_rows(keep, batch, x.device(), [&](int64_t first, int64_t count, const at::Tensor& kept) {
           return opt_.kernels->mlp(layer, rows.narrow(0, first, count), kept);
         })
      .view({batch, 1, d});
}

at::Tensor speed_path::attention(int64_t layer, const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin,
                                 double score_scale) const {
  if (!active_) return {};
  at::Tensor keep = keep_before(layer, /*mlp=*/false);
  if (!keep.defined()) return {};
  int64_t batch = x.size(0), d = x.size(2);
  check_keep_mask(keep, batch, 1, heads_, "attention head", layer);
  if (padded_)
    fail("forward: the speed path's attention kernels attend to every cached position, so a batch with padding "
         "cannot use them (layer {} has a head mask)",
         layer);
  kv_cache& cache = *opt_.cache;
  if (cache.length() >= cache.capacity())
    fail("kv cache: {} + 1 tokens exceed its capacity {}", cache.length(), cache.capacity());
  at::Tensor rows = x.reshape({batch, d});  // [B, d]
  return by_rows(keep, batch, x.device(), [&](int64_t first, int64_t count, const at::Tensor& kept) {
           decode_step step;
           step.x = rows.narrow(0, first, count);  // [count, d]
           if (cos.defined()) {
             step.cos = cos.narrow(0, first, count).flatten(0, 1);  // [count, hd]
             step.sin = sin.narrow(0, first, count).flatten(0, 1);
           }
           step.k_cache = cache.keys(layer).narrow(0, first, count);  // [count, KV, capacity, hd], contiguous
           step.v_cache = cache.values(layer).narrow(0, first, count);
           step.past = cache.length();
           step.score_scale = score_scale;
           return opt_.kernels->attention(layer, step, kept);
         })
      .view({batch, 1, d});
}

}  // namespace harness
