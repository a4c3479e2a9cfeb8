// safetensors.h: a memory-mapped .safetensors file. The header is validated on open; tensors are read
// one at a time straight from the mapping into their final dtype and device, and the mapped pages are
// released after each copy, so loading a model never holds two full copies of its weights.
#pragma once
#include <string>
#include <unordered_map>

#include <ATen/ATen.h>

#include "runtime/safetensors_header.h"

namespace harness {

at::ScalarType to_scalar_type(st_dtype dtype);

class safetensors_file {
 public:
  explicit safetensors_file(const std::string& path);
  ~safetensors_file();
  safetensors_file(const safetensors_file&) = delete;
  safetensors_file& operator=(const safetensors_file&) = delete;

  const std::string& path() const { return path_; }
  const st_header& header() const { return header_; }
  bool contains(const std::string& name) const { return index_.count(name) != 0; }
  const st_tensor_info& info(const std::string& name) const;

  // A CPU tensor that aliases the mapping (valid while this object lives; do not write to it).
  at::Tensor view(const std::string& name) const;
  // An owned copy in `dtype` on `device`; the source pages are dropped from memory afterwards.
  at::Tensor load(const std::string& name, at::ScalarType dtype, const at::Device& device) const;

 private:
  std::string path_;
  const uint8_t* data_ = nullptr;  // the whole file, mapped read-only
  size_t size_ = 0;
  st_header header_;
  std::unordered_map<std::string, size_t> index_;  // name -> position in header_.tensors
};

}  // namespace harness
