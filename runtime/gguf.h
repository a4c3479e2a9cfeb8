// gguf.h: a reader of GGUF files (llama.cpp's model format), versions 2 and 3, little-endian. The file is
// memory-mapped; the header, the metadata (key -> typed value, arrays included) and the tensor infos are
// parsed with every length and offset checked against the file size, so a truncated or damaged file is
// an error naming the file and what is wrong, never a crash. Torch-free; dequantisation is gguf_dequant.h.
//
// Layout: "GGUF", u32 version, u64 tensor count, u64 metadata count, metadata (string key, u32 value
// type, value), tensor infos (string name, u32 n_dims, u64 dims[n_dims] innermost first, u32 ggml type,
// u64 offset), padding to general.alignment (default 32), then the tensor data; each tensor's offset is
// relative to the start of the data and a multiple of the alignment. Strings are u64 length + bytes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "runtime/gguf_dequant.h"

namespace harness {

// GGUF metadata value types, numbered as in the file.
enum class gguf_value_type : uint32_t {
  u8 = 0, i8 = 1, u16 = 2, i16 = 3, u32 = 4, i32 = 5, f32 = 6, boolean = 7, string = 8, array = 9,
  u64 = 10, i64 = 11, f64 = 12,
};
const char* gguf_value_type_name(gguf_value_type t);

// One metadata value. Scalars and array elements are kept by kind: integers (any width, bool as 0/1) in
// `ints` or `uints`, floats in `floats`, strings in `strings`; a scalar is a one-element vector.
struct gguf_value {
  gguf_value_type type = gguf_value_type::u8;
  gguf_value_type element_type = gguf_value_type::u8;  // for arrays: the type of the elements
  std::vector<int64_t> ints;       // i8, i16, i32, i64
  std::vector<uint64_t> uints;     // u8, u16, u32, u64, bool
  std::vector<double> floats;      // f32, f64
  std::vector<std::string> strings;
  bool is_array() const { return type == gguf_value_type::array; }
};

struct gguf_tensor_info {
  std::string name;
  std::vector<uint64_t> dims;  // ggml order: dims[0] is the innermost (contiguous) dimension
  ggml_type type = ggml_type::f32;
  uint64_t offset = 0;         // from the start of the data section
  uint64_t bytes = 0;          // stored size
  uint64_t elements() const;
  // Torch/Hugging Face order: dims reversed, e.g. a [out, in] weight.
  std::vector<int64_t> shape() const;
};

class gguf_file {
 public:
  explicit gguf_file(const std::string& path);
  ~gguf_file();
  gguf_file(const gguf_file&) = delete;
  gguf_file& operator=(const gguf_file&) = delete;

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }
  const std::map<std::string, gguf_value>& metadata() const { return metadata_; }
  const std::vector<gguf_tensor_info>& tensors() const { return tensors_; }

  bool has(const std::string& key) const { return metadata_.count(key) > 0; }
  const gguf_value& value(const std::string& key) const;  // fails naming the file and key if absent
  // Typed scalar getters; fail naming the file and key if absent or of another kind.
  uint64_t get_uint(const std::string& key) const;  // any non-negative integer type
  int64_t get_int(const std::string& key) const;    // any integer type that fits
  double get_float(const std::string& key) const;   // f32, f64
  bool get_bool(const std::string& key) const;
  std::string get_string(const std::string& key) const;
  const std::vector<std::string>& get_string_array(const std::string& key) const;
  std::vector<int64_t> get_int_array(const std::string& key) const;  // an array of any integer type

  const gguf_tensor_info* find_tensor(const std::string& name) const;
  const gguf_tensor_info& tensor(const std::string& name) const;  // fails naming the file if absent
  // The stored bytes of a tensor (inside the mapping).
  const uint8_t* tensor_data(const gguf_tensor_info& t) const;
  // The tensor as float32 values, ggml order (dims[0] fastest); fails naming the file, tensor and type
  // if the type cannot be dequantised.
  std::vector<float> dequantize(const gguf_tensor_info& t) const;

 private:
  std::string path_;
  const uint8_t* map_ = nullptr;
  size_t size_ = 0;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::map<std::string, gguf_value> metadata_;
  std::vector<gguf_tensor_info> tensors_;
};

}  // namespace harness
