// model_weight.h: a loaded model's weight by its name under the decoder ("layers.0.fc1.weight"), whatever
// module prefix its checkpoint used. The kernels' per-layer weights take these tensors as they are, so
// they share the model's storage wherever the kernels' layout is the checkpoint's.
#pragma once
#include <string>
#include <vector>

#include "runtime/model.h"

namespace harness {

// Fails, naming the weight, if the model has none so named or its shape is not `shape`.
at::Tensor model_weight(const causal_lm& model, const std::string& name, const std::vector<int64_t>& shape);
// Same, but undefined when `enabled` is false (optional biases).
at::Tensor model_weight_if(const causal_lm& model, bool enabled, const std::string& name, const std::vector<int64_t>& shape);

}  // namespace harness
