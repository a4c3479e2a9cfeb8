// tensor_util.h: small conversions of tensors for messages and results.
#pragma once
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

namespace harness {

inline std::string shape_str(at::IntArrayRef shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }
inline std::string dtype_str(at::ScalarType dtype) { return c10::toString(dtype); }

// The elements of a tensor of C++ type T (any device, any layout), flattened.
template <typename T>
std::vector<T> to_vector(const at::Tensor& t) {
  at::Tensor c = t.to(at::kCPU).contiguous();
  return std::vector<T>(c.data_ptr<T>(), c.data_ptr<T>() + c.numel());
}

}  // namespace harness
