#include "runtime/safetensors_header.h"

#include <algorithm>
#include <cstring>

#include <nlohmann/json.hpp>

#include "runtime/error.h"

namespace harness {

namespace {

const std::map<std::string, st_dtype>& dtype_names() {
  static const std::map<std::string, st_dtype> names = {
      {"F64", st_dtype::F64}, {"F32", st_dtype::F32}, {"F16", st_dtype::F16}, {"BF16", st_dtype::BF16},
      {"I64", st_dtype::I64}, {"I32", st_dtype::I32}, {"I16", st_dtype::I16}, {"I8", st_dtype::I8},
      {"U8", st_dtype::U8},   {"BOOL", st_dtype::BOOL}};
  return names;
}

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

uint64_t checked_json_u64(const nlohmann::json& v, const std::string& file, const std::string& what) {
  if (!v.is_number_unsigned()) fail("{}: {} must be a non-negative integer, got {}", file, what, v.dump());
  return v.get<uint64_t>();
}

st_tensor_info parse_tensor(const std::string& name, const nlohmann::json& entry, const std::string& file) {
  if (!entry.is_object()) fail("{}: tensor '{}': header entry is not a JSON object", file, name);
  st_tensor_info info;
  info.name = name;
  auto dtype_it = entry.find("dtype");
  if (dtype_it == entry.end() || !dtype_it->is_string()) fail("{}: tensor '{}': missing string 'dtype'", file, name);
  auto known = dtype_names().find(dtype_it->get<std::string>());
  if (known == dtype_names().end())
    fail("{}: tensor '{}': unknown dtype '{}'", file, name, dtype_it->get<std::string>());
  info.dtype = known->second;

  auto shape_it = entry.find("shape");
  if (shape_it == entry.end() || !shape_it->is_array()) fail("{}: tensor '{}': missing array 'shape'", file, name);
  uint64_t numel = 1;
  for (const auto& d : *shape_it) {
    uint64_t dim = checked_json_u64(d, file, fmt::format("tensor '{}': shape entry", name));
    if (dim > (1ull << 48) || (dim != 0 && numel > (1ull << 62) / dim))
      fail("{}: tensor '{}': shape {} is too large", file, name, shape_it->dump());
    numel *= dim;
    info.shape.push_back(static_cast<int64_t>(dim));
  }

  auto offsets_it = entry.find("data_offsets");
  if (offsets_it == entry.end() || !offsets_it->is_array() || offsets_it->size() != 2)
    fail("{}: tensor '{}': 'data_offsets' must be an array [begin, end]", file, name);
  info.begin = checked_json_u64((*offsets_it)[0], file, fmt::format("tensor '{}': data_offsets[0]", name));
  info.end = checked_json_u64((*offsets_it)[1], file, fmt::format("tensor '{}': data_offsets[1]", name));
  if (info.end < info.begin)
    fail("{}: tensor '{}': data_offsets [{}, {}] end before begin", file, name, info.begin, info.end);
  uint64_t expected = numel * st_dtype_size(info.dtype);
  if (info.end - info.begin != expected)
    fail("{}: tensor '{}': data_offsets [{}, {}] hold {} bytes but shape {} x {} needs {}", file, name, info.begin,
         info.end, info.end - info.begin, shape_it->dump(), st_dtype_name(info.dtype), expected);
  return info;
}

}  // namespace

size_t st_dtype_size(st_dtype dtype) {
  switch (dtype) {
    case st_dtype::F64: case st_dtype::I64: return 8;
    case st_dtype::F32: case st_dtype::I32: return 4;
    case st_dtype::F16: case st_dtype::BF16: case st_dtype::I16: return 2;
    case st_dtype::I8: case st_dtype::U8: case st_dtype::BOOL: return 1;
  }
  return 0;
}

const char* st_dtype_name(st_dtype dtype) {
  for (const auto& [name, value] : dtype_names())
    if (value == dtype) return name.c_str();
  return "?";
}

st_header parse_safetensors_header(const uint8_t* bytes, size_t file_size, const std::string& file) {
  if (file_size < 8) fail("{}: truncated: {} bytes, shorter than the 8-byte header length", file, file_size);
  uint64_t header_len = read_u64_le(bytes);
  if (header_len > st_max_header_bytes)
    fail("{}: header length {} exceeds the {} byte limit", file, header_len, st_max_header_bytes);
  if (header_len > file_size - 8)
    fail("{}: header length {} is larger than the file ({} bytes after the length field)", file, header_len,
         file_size - 8);

  nlohmann::json json;
  try {
    json = nlohmann::json::parse(bytes + 8, bytes + 8 + header_len);
  } catch (const nlohmann::json::exception& e) {
    fail("{}: header is not valid JSON: {}", file, e.what());
  }
  if (!json.is_object()) fail("{}: header is not a JSON object", file);

  st_header header;
  header.data_start = 8 + header_len;
  for (const auto& [key, value] : json.items()) {
    if (key == "__metadata__") {
      if (!value.is_object()) fail("{}: __metadata__ is not an object", file);
      for (const auto& [mk, mv] : value.items()) {
        if (!mv.is_string()) fail("{}: __metadata__ value for '{}' is not a string", file, mk);
        header.metadata[mk] = mv.get<std::string>();
      }
      continue;
    }
    header.tensors.push_back(parse_tensor(key, value, file));
  }

  // Offsets must tile the data section exactly: sorted, contiguous from 0, no overlap, no gap.
  std::sort(header.tensors.begin(), header.tensors.end(), [](const st_tensor_info& a, const st_tensor_info& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t cursor = 0;
  for (const auto& t : header.tensors) {
    if (t.begin < cursor)
      fail("{}: tensor '{}': data_offsets [{}, {}] overlap the previous tensor (which ends at {})", file, t.name,
           t.begin, t.end, cursor);
    if (t.begin > cursor)
      fail("{}: tensor '{}': data_offsets begin at {}, leaving a gap after byte {}", file, t.name, t.begin, cursor);
    cursor = t.end;
  }
  uint64_t data_bytes = file_size - header.data_start;
  if (cursor != data_bytes)
    fail("{}: tensors cover {} bytes of data but the file holds {} after the header ({})", file, cursor, data_bytes,
         cursor > data_bytes ? "truncated file or out-of-range offsets" : "trailing bytes");
  return header;
}

}  // namespace harness
