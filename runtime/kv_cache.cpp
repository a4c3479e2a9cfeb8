#include "runtime/kv_cache.h"

#include "runtime/error.h"

namespace harness {

kv_cache::kv_cache(const std::vector<at::Device>& layer_devices, int64_t batch, int64_t kv_heads, int64_t capacity,
                   int64_t head_dim, at::ScalarType dtype)
    : capacity_(capacity) {
  for (const at::Device& device : layer_devices) {
    auto options = at::TensorOptions().dtype(dtype).device(device);
    keys_.push_back(at::empty({batch, kv_heads, capacity, head_dim}, options));
    values_.push_back(at::empty({batch, kv_heads, capacity, head_dim}, options));
  }
}

std::pair<at::Tensor, at::Tensor> kv_cache::append(int64_t layer, const at::Tensor& k, const at::Tensor& v) {
  int64_t t = k.size(2);
  if (length_ + t > capacity_) fail("kv cache: {} + {} tokens exceed its capacity {}", length_, t, capacity_);
  keys_[layer].narrow(2, length_, t).copy_(k);
  values_[layer].narrow(2, length_, t).copy_(v);
  return {keys_[layer].narrow(2, 0, length_ + t), values_[layer].narrow(2, 0, length_ + t)};
}

void kv_cache::advance(int64_t new_tokens) { length_ += new_tokens; }

kv_cache kv_cache::repeat_rows(int64_t times) const {
  if (times < 1) fail("kv cache: cannot repeat rows {} times", times);
  kv_cache copy;
  for (size_t l = 0; l < keys_.size(); ++l) {
    copy.keys_.push_back(keys_[l].repeat_interleave(times, 0));  // [B * times, KV, capacity, hd]
    copy.values_.push_back(values_[l].repeat_interleave(times, 0));
  }
  copy.length_ = length_;
  copy.capacity_ = capacity_;
  return copy;
}

}  // namespace harness
