// kv_cache.h: per-layer key/value buffers for incremental decoding, preallocated to a capacity, each on
// its layer's device.
#pragma once
#include <vector>

#include <ATen/ATen.h>

namespace harness {

class kv_cache {
 public:
  // Buffers are [B, kv_heads, capacity, head_dim] per layer, layer l's on layer_devices[l].
  kv_cache(const std::vector<at::Device>& layer_devices, int64_t batch, int64_t kv_heads, int64_t capacity,
           int64_t head_dim, at::ScalarType dtype);

  int64_t length() const { return length_; }  // tokens stored (equal for all layers)
  int64_t capacity() const { return capacity_; }
  // Appends k, v [B, kv_heads, T, hd] for `layer` and returns the full keys and values so far.
  std::pair<at::Tensor, at::Tensor> append(int64_t layer, const at::Tensor& k, const at::Tensor& v);
  // Layer `layer`'s whole buffers [B, kv_heads, capacity, hd]; positions from length() on are unset.
  const at::Tensor& keys(int64_t layer) const { return keys_.at(static_cast<size_t>(layer)); }
  const at::Tensor& values(int64_t layer) const { return values_.at(static_cast<size_t>(layer)); }
  // Called once per forward after every layer appended its T new tokens.
  void advance(int64_t new_tokens);
  // A copy whose batch holds each of this cache's rows `times` times in a row (row b becomes rows
  // b * times .. b * times + times - 1), with the same length and capacity: one prompt prefix, cached
  // once, continued several ways.
  kv_cache repeat_rows(int64_t times) const;

 private:
  kv_cache() = default;
  std::vector<at::Tensor> keys_, values_;
  int64_t length_ = 0;
  int64_t capacity_ = 0;
};

}  // namespace harness
