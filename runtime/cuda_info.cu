#include "runtime/cuda_info.h"

#include <cuda_runtime.h>

namespace harness {

cuda_info query_cuda() {
  cuda_info info;
  cudaDriverGetVersion(&info.driver_version);
  cudaRuntimeGetVersion(&info.runtime_version);
  int count = 0;
  cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    info.error = cudaGetErrorString(status);
    cudaGetLastError();  // clear the sticky error so later CUDA calls are not affected
    return info;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
    info.devices.push_back({prop.name, prop.major, prop.minor, prop.totalGlobalMem});
  }
  return info;
}

}  // namespace harness
