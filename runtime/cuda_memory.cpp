// cuda_memory.cpp: cuda_memory_peaks (cuda_info.h), read from libtorch's CUDA caching allocator.
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>

#include "runtime/cuda_info.h"

namespace harness {

std::vector<cuda_memory_peak> cuda_memory_peaks() {
  namespace allocator = c10::cuda::CUDACachingAllocator;
  std::vector<cuda_memory_peak> peaks;
  if (!allocator::get()->initialized()) return peaks;  // CUDA never used: nothing to read, nothing to start
  const auto all = static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE);  // every pool together
  for (c10::DeviceIndex d = 0; d < c10::cuda::device_count(); ++d) {
    const allocator::DeviceStats stats = allocator::getDeviceStats(d);
    if (stats.reserved_bytes[all].peak == 0) continue;
    peaks.push_back({d, static_cast<uint64_t>(stats.allocated_bytes[all].peak), static_cast<uint64_t>(stats.reserved_bytes[all].peak)});
  }
  return peaks;
}

}  // namespace harness
