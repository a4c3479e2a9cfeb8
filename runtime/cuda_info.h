// cuda_info.h: the CUDA driver, runtime and devices this process sees (compiled only with HARNESS_CUDA).
#pragma once
#include <string>
#include <vector>

namespace harness {

struct cuda_device_info {
  std::string name;
  int compute_major = 0, compute_minor = 0;
  size_t total_memory_bytes = 0;
};

struct cuda_info {
  int driver_version = 0;   // e.g. 13000 for 13.0; 0 when no driver is installed
  int runtime_version = 0;  // the CUDA runtime this binary was built against
  std::string error;        // why no device is visible, if none is
  std::vector<cuda_device_info> devices;
};

cuda_info query_cuda();

}  // namespace harness
