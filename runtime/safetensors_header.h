// safetensors_header.h: parse and validate the header of a .safetensors file (no libtorch here, so the
// fuzzer can link it alone). Format: 8-byte little-endian header length N, N bytes of JSON, then the
// data section. Every tensor's [begin, end) is relative to the data section; together they must tile it
// exactly from 0, and each size must equal numel x element size.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace harness {

enum class st_dtype { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };

struct st_tensor_info {
  std::string name;
  st_dtype dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // byte offset into the data section
  uint64_t end = 0;    // one past the last byte
};

struct st_header {
  std::vector<st_tensor_info> tensors;  // in file order (ascending begin)
  std::map<std::string, std::string> metadata;
  uint64_t data_start = 0;  // file offset of the data section (8 + header length)
};

// The safetensors reference implementation refuses headers above 100 MB; so do we.
constexpr uint64_t st_max_header_bytes = 100ull << 20;

size_t st_dtype_size(st_dtype dtype);
const char* st_dtype_name(st_dtype dtype);

// Parses the first bytes of a file of file_size bytes; `file` names it in errors. Throws harness_error.
st_header parse_safetensors_header(const uint8_t* bytes, size_t file_size, const std::string& file);

}  // namespace harness
