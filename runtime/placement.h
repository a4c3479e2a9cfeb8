// placement.h: which device holds each decoder layer of a model, for models larger than one GPU. The
// layers are cut into contiguous blocks, one per listed device, in order; the first device also holds
// the embeddings (and a tied LM head, which is the embedding matrix), the last the final norm and an
// untied LM head. The blocks are chosen to make the largest device's share of the weight bytes as small
// as possible.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

namespace harness {

class checkpoint;
struct model_config;

class device_placement {
 public:
  // devices [N] with layer_counts [N] (each >= 1): device n holds the next layer_counts[n] layers.
  device_placement(std::vector<at::Device> devices, std::vector<int64_t> layer_counts);
  // Every one of `layers` layers on `device` (none: a model without decoder layers, as test doubles are).
  device_placement(const at::Device& device, int64_t layers);

  const std::vector<at::Device>& devices() const { return devices_; }
  const std::vector<int64_t>& layer_counts() const { return layer_counts_; }
  int64_t num_layers() const { return static_cast<int64_t>(by_layer_.size()); }
  const at::Device& layer_device(int64_t layer) const { return by_layer_.at(layer); }
  const std::vector<at::Device>& layer_devices() const { return by_layer_; }  // [L]
  const at::Device& first() const { return devices_.front(); }  // embeddings, inputs, logits: the primary device
  const at::Device& last() const { return devices_.back(); }    // final norm, untied LM head
  // {"devices": ["cuda:0", "cuda:1"], "layers": [16, 16]}, as results record it.
  nlohmann::json describe() const;

 private:
  std::vector<at::Device> devices_;
  std::vector<int64_t> layer_counts_;
  std::vector<at::Device> by_layer_;  // [L]
};

// Weight bytes by where they must live: the embeddings' device, each layer, the final norm and head's.
struct placement_bytes {
  uint64_t first = 0;
  std::vector<uint64_t> layers;  // [L]
  uint64_t last = 0;
};
// The checkpoint's tensors, as stored, by where the model binds them (a tied head counts once, as the
// embedding).
placement_bytes weight_bytes(const checkpoint& weights, const model_config& config);

// Contiguous blocks, at least one layer per device, minimising the largest device's bytes (ties: the
// earliest cut). Fails when there are more devices than layers.
device_placement plan_placement(const std::vector<at::Device>& devices, const placement_bytes& bytes);

// "cuda:0,cuda:1" -> those devices, in order; entries are cpu or cuda:N and may repeat ("cpu,cpu" splits
// a model on the CPU, for tests). "cuda" alone means every visible GPU. Fails naming the entry for an
// unknown device, a GPU index beyond those visible, or any GPU when CUDA is absent.
std::vector<at::Device> parse_device_list(const std::string& text);
// A case's model devices: --devices (parse_device_list) when given, else --device (parse_device) alone.
std::vector<at::Device> model_devices(const std::string& device, const std::string& devices);

}  // namespace harness
