// safetensors_writer.h: write tensors to a .safetensors file (header padded to 8 bytes, data contiguous
// in the order given), atomically. Used for synthetic checkpoints in tests, benchmarks and scale checks.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

namespace harness {

using named_tensors = std::vector<std::pair<std::string, at::Tensor>>;

void write_safetensors(const std::string& path, const named_tensors& tensors,
                       const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

}  // namespace harness
