#include "runtime/device.h"

#include <cstdlib>
#include <fstream>
#include <thread>

#include <ATen/Parallel.h>
#include <ATen/Context.h>
#include <torch/version.h>

#include "runtime/error.h"
#ifdef HARNESS_WITH_CUDA
#include "runtime/cuda_info.h"
#endif

namespace harness {

at::Device parse_device(const std::string& text) {
  if (text == "cpu") return at::Device(at::kCPU);
  if (text.rfind("cuda", 0) == 0) {
    if (!at::hasCUDA()) fail("--device {}: no CUDA device is available on this machine", text);
    return at::Device(text);
  }
  fail("--device '{}': expected cpu, cuda or cuda:N", text);
}

at::ScalarType parse_dtype(const std::string& text) {
  if (text == "f32") return at::kFloat;
  if (text == "bf16") return at::kBFloat16;
  fail("--dtype '{}': expected f32 or bf16", text);
}

namespace {
std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}
}  // namespace

nlohmann::json describe_environment(const at::Device& device) {
  nlohmann::json env;
  env["cpu"] = cpu_model();
  env["hardware_threads"] = std::thread::hardware_concurrency();
  env["torch_threads"] = at::get_num_threads();
  env["libtorch"] = TORCH_VERSION;
  env["device"] = device.str();
  env["cuda_available"] = at::hasCUDA();
  env["compiler"] = fmt::format("{} {}", HARNESS_COMPILER_ID, HARNESS_COMPILER_VERSION);
  env["build_type"] = HARNESS_BUILD_TYPE;
#ifdef HARNESS_WITH_CUDA
  cuda_info cuda = query_cuda();
  env["cuda"] = {{"driver_version", cuda.driver_version}, {"runtime_version", cuda.runtime_version},
                 {"error", cuda.error}, {"devices", nlohmann::json::array()}};
  for (const auto& d : cuda.devices)
    env["cuda"]["devices"].push_back({{"name", d.name},
                                      {"compute_capability", fmt::format("{}.{}", d.compute_major, d.compute_minor)},
                                      {"memory_bytes", d.total_memory_bytes}});
#else
  env["cuda"] = nullptr;  // built without CUDA
#endif
  for (const char* var : {"OMP_NUM_THREADS", "MKL_NUM_THREADS", "CUDA_VISIBLE_DEVICES"}) {
    const char* value = std::getenv(var);
    env["env"][var] = value ? value : "";
  }
  return env;
}

nlohmann::json describe_environment(const device_placement& placement) {
  nlohmann::json env = describe_environment(placement.first());
  env["placement"] = placement.describe();
  return env;
}

nlohmann::json describe_cuda_memory_peaks() {
#ifdef HARNESS_WITH_CUDA
  nlohmann::json peaks = nlohmann::json::array();
  for (const cuda_memory_peak& p : cuda_memory_peaks())
    peaks.push_back({{"device", fmt::format("cuda:{}", p.device)},
                     {"peak_allocated_bytes", p.allocated_bytes},
                     {"peak_reserved_bytes", p.reserved_bytes}});
  return peaks;
#else
  return nullptr;  // built without CUDA
#endif
}

}  // namespace harness
