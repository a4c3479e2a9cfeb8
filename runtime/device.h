// device.h: parse --device and --dtype, and describe the machine for results.
#pragma once
#include <string>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "runtime/placement.h"

namespace harness {

at::Device parse_device(const std::string& text);    // "cpu", "cuda", "cuda:N"; errors if CUDA is absent
at::ScalarType parse_dtype(const std::string& text);  // "f32" or "bf16"
nlohmann::json describe_environment(const at::Device& device);
// The same for a run on a model: device is its primary device, and `placement` records its layers' devices.
nlohmann::json describe_environment(const device_placement& placement);
// The peak memory libtorch's CUDA allocator has held on each device this process used so far (bytes in
// live tensors, and reserved from the driver); null in a build without CUDA.
nlohmann::json describe_cuda_memory_peaks();

}  // namespace harness
