// cuda_info.h: the CUDA driver, runtime and devices this process sees, and the peak memory libtorch's
// CUDA allocator has held on each (compiled only with HARNESS_CUDA).
#pragma once
#include <cstdint>
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

// The high-water marks of libtorch's CUDA caching allocator since this process started: bytes in live
// tensors (allocated) and bytes the allocator held from the driver (reserved). Only devices it has used.
struct cuda_memory_peak {
  int device = 0;
  uint64_t allocated_bytes = 0, reserved_bytes = 0;
};
std::vector<cuda_memory_peak> cuda_memory_peaks();

}  // namespace harness
