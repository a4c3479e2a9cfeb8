// device.h: parse --device and --dtype, and describe the machine for results.
#pragma once
#include <string>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

namespace harness {

at::Device parse_device(const std::string& text);    // "cpu", "cuda", "cuda:N"; errors if CUDA is absent
at::ScalarType parse_dtype(const std::string& text);  // "f32" or "bf16"
nlohmann::json describe_environment(const at::Device& device);

}  // namespace harness
