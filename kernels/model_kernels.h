// model_kernels.h: the decode kernels (runtime/decode_kernels.h) of a whole model, for the forward's speed
// path: every layer's MLP prepared for the sparse MLP kernel and its attention for the head-sparse one,
// each on its layer's device, run by the CPU or CUDA variant as that device is. They share the model's
// gate/up (fc1) and q/k/v tensors; down^T (fc2^T) and o^T, transposed so a kept neuron's or head's
// columns are contiguous rows, are copies: d x (F + H x hd) elements per layer.
#pragma once
#include <string>
#include <vector>

#include "kernels/head_sparse_attention.h"
#include "kernels/sparse_mlp.h"
#include "runtime/model.h"

namespace harness {

// What the speed path does with the new token's keys and values of a KV group whose query heads are all
// dropped: `write` computes and caches them (the cache the accuracy path builds, so later steps see the
// same keys; costs those groups' K/V projections), `skip` leaves their cache slot unwritten, as DejaVu's
// decode does (later steps then attend to whatever that slot holds).
enum class dropped_kv { write, skip };

class model_kernels final : public decode_kernels {
 public:
  explicit model_kernels(const causal_lm& model, dropped_kv dropped = dropped_kv::write);

  at::Tensor mlp(int64_t layer, const at::Tensor& x, const at::Tensor& kept) override;
  at::Tensor attention(int64_t layer, const decode_step& step, const at::Tensor& kept) override;

 private:
  std::vector<sparse_mlp_weights> mlp_;               // per layer, on its device
  std::vector<head_sparse_attention_weights> attention_;  // per layer, on its device
  dropped_kv dropped_;
};

dropped_kv parse_dropped_kv(const std::string& name);  // "write" or "skip"

}  // namespace harness
