// weight_binder.h: binds model tensors to their Hugging Face checkpoint names, checking each shape
// against what config.json implies. The one loader step where checkpoint layouts differ: key prefixes
// ("model." present or not) and tied heads.
#pragma once
#include <string>
#include <vector>

#include "runtime/checkpoint.h"
#include "runtime/model_config.h"
#include "runtime/safetensors_writer.h"

namespace harness {

class weight_binder {
 public:
  // prefix_candidates: the module prefixes a checkpoint may use, e.g. {"model.decoder.", "decoder."};
  // the first under which `probe` exists is used.
  weight_binder(const std::string& model_dir, const std::vector<std::string>& prefix_candidates,
                const std::string& probe, at::ScalarType dtype, const at::Device& device);

  // Tensors bound from now on load onto `device` (the constructor's until this is called).
  void place_on(const at::Device& device) { device_ = device; }
  // Tensor `prefix + name` with the given shape.
  at::Tensor get(const std::string& name, const std::vector<int64_t>& shape);
  // Same, but undefined when `enabled` is false (optional biases).
  at::Tensor get_if(bool enabled, const std::string& name, const std::vector<int64_t>& shape);
  // A tensor named without the module prefix (e.g. "lm_head.weight").
  at::Tensor get_unprefixed(const std::string& name, const std::vector<int64_t>& shape);
  // The embedding of a model whose head is tied to it: stored under `name`, or only as lm_head.weight
  // (some checkpoints save the tied matrix once, under the head's name).
  at::Tensor get_tied_embedding(const std::string& name, const std::vector<int64_t>& shape);
  const checkpoint& source() const { return checkpoint_; }
  // Every tensor bound so far, under its checkpoint name, in binding order (a tied head appears once,
  // as the embedding). Each shares storage with what the model holds.
  const named_tensors& bound() const { return bound_; }

 private:
  at::Tensor bind(const std::string& full_name, const std::vector<int64_t>& shape);

  checkpoint checkpoint_;
  std::string prefix_;
  at::ScalarType dtype_;
  at::Device device_;
  named_tensors bound_;
};

// The binder for a decoder of `config`'s architecture, names relative to its module: Llama's "model."
// (or no prefix), OPT's "model.decoder." (or "decoder."), found by layer 0's q_proj.
weight_binder decoder_weight_binder(const std::string& model_dir, const model_config& config, at::ScalarType dtype,
                                    const at::Device& device);

}  // namespace harness
