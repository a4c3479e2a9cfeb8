// model.h: the interface every architecture implements (runtime/models/opt.cpp, llama.cpp), and the
// loader that picks one from config.json.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "runtime/decode_kernels.h"
#include "runtime/hooks.h"
#include "runtime/kv_cache.h"
#include "runtime/model_config.h"
#include "runtime/placement.h"
#include "runtime/safetensors_writer.h"

namespace harness {

struct forward_input {
  at::Tensor input_ids;       // [B, T] int64: the new tokens
  at::Tensor attention_mask;  // [B, P + T] 1 = real token, 0 = (left) padding; P = tokens already cached.
                              // Undefined means all ones.
  at::Tensor position_ids;    // [B, T] int64, Llama only; undefined = derived from the mask as HF generate does
};

struct forward_options {
  kv_cache* cache = nullptr;                      // read and extended when set
  forward_observer* observer = nullptr;           // sees every hook point
  const std::vector<layer_mask>* masks = nullptr;  // one per layer when set
  mask_source* dynamic_masks = nullptr;            // decides masks during the pass (not with `masks`)
  // Speed path (runtime/speed_path.h): on decode steps, masked sub-blocks run through these kernels.
  decode_kernels* kernels = nullptr;
  bool output_hidden_states = false;              // fill forward_output::hidden_states (HF's convention)
  bool last_position_only = false;                // logits only for the last position
};

struct forward_output {
  at::Tensor logits;  // [B, T, V] (or [B, 1, V] with last_position_only), in the model's dtype
  // HF's output_hidden_states: [embeddings, output of layers 0..L-2, output of layer L-1 after the final
  // norm and (OPT with word_embed_proj_dim != d) project_out] -- exactly what the LM head reads.
  std::vector<at::Tensor> hidden_states;
};

class causal_lm {
 public:
  causal_lm(model_config config, at::ScalarType dtype, device_placement placement)
      : config_(std::move(config)), dtype_(dtype), placement_(std::move(placement)) {}
  // Every layer on `device`.
  causal_lm(model_config config, at::ScalarType dtype, const at::Device& device)
      : config_(std::move(config)), dtype_(dtype), placement_(device, config_.num_layers) {}
  virtual ~causal_lm() = default;

  const model_config& config() const { return config_; }
  at::ScalarType dtype() const { return dtype_; }
  // The primary device: the embeddings, and where logits and hidden states are returned.
  const at::Device& device() const { return placement_.first(); }
  // Where layer `layer`'s weights, KV cache and compute live; hook points see that layer's tensors there.
  const at::Device& layer_device(int64_t layer) const { return placement_.layer_device(layer); }
  const device_placement& placement() const { return placement_; }

  virtual forward_output forward(const forward_input& input, const forward_options& options) = 0;
  kv_cache make_cache(int64_t batch, int64_t capacity) const;
  // The weights the forward reads, under their checkpoint names (a tied head once, as the embedding).
  // They share storage with the model: training sets requires_grad on them and updates them in place,
  // and writing them to a .safetensors file gives a checkpoint this model's config.json loads.
  const named_tensors& weights() const { return weights_; }

 protected:
  model_config config_;
  at::ScalarType dtype_;
  device_placement placement_;
  named_tensors weights_;  // set by each architecture's constructor from its weight_binder
};

// Reads model_dir/config.json and the safetensors weights; dtype is kFloat or kBFloat16. Every layer on
// `device`; or the layers cut into blocks across `devices` as plan_placement balances them; or as `placement`
// says. Each weight loads straight onto its own device.
std::unique_ptr<causal_lm> load_model(const std::string& model_dir, at::ScalarType dtype, const at::Device& device);
std::unique_ptr<causal_lm> load_model(const std::string& model_dir, at::ScalarType dtype,
                                      const std::vector<at::Device>& devices);
std::unique_ptr<causal_lm> load_model(const std::string& model_dir, at::ScalarType dtype,
                                      const device_placement& placement);

}  // namespace harness
