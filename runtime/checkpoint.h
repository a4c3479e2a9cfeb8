// checkpoint.h: a Hugging Face model directory's weights: one model.safetensors, or shards listed in
// model.safetensors.index.json. Tensors are fetched by name with their expected shape checked.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "runtime/safetensors.h"

namespace harness {

class checkpoint {
 public:
  explicit checkpoint(const std::string& model_dir);

  const std::string& dir() const { return dir_; }
  bool contains(const std::string& name) const;
  // Files that make up the weights (for hashing into results).
  std::vector<std::string> files() const;
  // Loads `name` as `dtype` on `device`; throws naming the file if it is missing, its shape differs, or
  // it holds NaN/Inf.
  at::Tensor load(const std::string& name, const std::vector<int64_t>& shape, at::ScalarType dtype,
                  const at::Device& device) const;
  // Sum of the bytes of all tensors as stored.
  uint64_t stored_bytes() const;
  // Each tensor's bytes as stored, by name.
  std::map<std::string, uint64_t> tensor_bytes() const;

 private:
  const safetensors_file* file_for(const std::string& name) const;

  std::string dir_;
  std::string index_path_;  // empty for a single-file checkpoint
  std::vector<std::unique_ptr<safetensors_file>> shards_;
  std::unordered_map<std::string, size_t> shard_of_;  // tensor name -> index into shards_
};

}  // namespace harness
