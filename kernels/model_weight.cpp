#include "kernels/model_weight.h"

#include "runtime/error.h"
#include "runtime/tensor_util.h"

namespace harness {

at::Tensor model_weight(const causal_lm& model, const std::string& name, const std::vector<int64_t>& shape) {
  for (const auto& [full, tensor] : model.weights()) {
    bool named = full == name || (full.size() > name.size() && full.ends_with(name) && full[full.size() - name.size() - 1] == '.');
    if (!named) continue;
    if (tensor.sizes() != at::IntArrayRef(shape))
      fail("model weight {}: shape {}, the kernels need {}", full, shape_str(tensor.sizes()), shape_str(shape));
    return tensor;
  }
  fail("the model has no weight {} (under any module prefix)", name);
}

at::Tensor model_weight_if(const causal_lm& model, bool enabled, const std::string& name, const std::vector<int64_t>& shape) {
  return enabled ? model_weight(model, name, shape) : at::Tensor();
}

}  // namespace harness
