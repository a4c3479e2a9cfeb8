// gguf.cpp: parsing a GGUF file's header, metadata and tensor infos from a read-only memory map, with a
// cursor that checks every read against the file size.
#include "runtime/gguf.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <set>

#include "runtime/error.h"

namespace harness {

namespace {

constexpr uint32_t gguf_magic = 0x46554747;  // "GGUF" read as a little-endian u32
constexpr uint64_t max_dims = 4;             // GGML_MAX_DIMS

// Reads little-endian values from [data, data + size), failing with the file's name on overrun.
class cursor {
 public:
  cursor(const std::string& path, const uint8_t* data, size_t size) : path_(path), data_(data), size_(size) {}

  size_t position() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }

  void need(uint64_t bytes, const std::string& what) const {
    if (bytes > remaining())
      fail("{}: truncated file: {} needs {} bytes at offset {}, but the file ends at {}", path_, what, bytes, pos_,
           size_);
  }
  template <typename T>
  T read(const std::string& what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string read_string(const std::string& what) {
    uint64_t length = read<uint64_t>(what + " (length)");
    need(length, what);
    std::string s(reinterpret_cast<const char*>(data_ + pos_), length);
    pos_ += length;
    return s;
  }

 private:
  const std::string& path_;
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

bool is_known_value_type(uint32_t t) { return t <= static_cast<uint32_t>(gguf_value_type::f64); }

// The smallest number of bytes one value of the type occupies (for checking array counts before
// allocating: a string is at least its 8-byte length).
uint64_t min_value_bytes(gguf_value_type t) {
  switch (t) {
    case gguf_value_type::u8: case gguf_value_type::i8: case gguf_value_type::boolean: return 1;
    case gguf_value_type::u16: case gguf_value_type::i16: return 2;
    case gguf_value_type::u32: case gguf_value_type::i32: case gguf_value_type::f32: return 4;
    default: return 8;
  }
}

// Appends one value of scalar type `t` to `v`.
void read_scalar(cursor& c, gguf_value_type t, gguf_value& v, const std::string& what) {
  switch (t) {
    case gguf_value_type::u8: v.uints.push_back(c.read<uint8_t>(what)); break;
    case gguf_value_type::i8: v.ints.push_back(c.read<int8_t>(what)); break;
    case gguf_value_type::u16: v.uints.push_back(c.read<uint16_t>(what)); break;
    case gguf_value_type::i16: v.ints.push_back(c.read<int16_t>(what)); break;
    case gguf_value_type::u32: v.uints.push_back(c.read<uint32_t>(what)); break;
    case gguf_value_type::i32: v.ints.push_back(c.read<int32_t>(what)); break;
    case gguf_value_type::f32: v.floats.push_back(c.read<float>(what)); break;
    case gguf_value_type::boolean: v.uints.push_back(c.read<uint8_t>(what) != 0 ? 1 : 0); break;
    case gguf_value_type::string: v.strings.push_back(c.read_string(what)); break;
    case gguf_value_type::u64: v.uints.push_back(c.read<uint64_t>(what)); break;
    case gguf_value_type::i64: v.ints.push_back(c.read<int64_t>(what)); break;
    case gguf_value_type::f64: v.floats.push_back(c.read<double>(what)); break;
    case gguf_value_type::array: break;  // handled by the caller
  }
}

gguf_value read_value(cursor& c, const std::string& path, const std::string& key) {
  std::string what = "metadata '" + key + "'";
  uint32_t type = c.read<uint32_t>(what + " (type)");
  if (!is_known_value_type(type)) fail("{}: metadata '{}' has unknown value type {}", path, key, type);
  gguf_value v;
  v.type = static_cast<gguf_value_type>(type);
  if (v.type != gguf_value_type::array) {
    read_scalar(c, v.type, v, what);
    return v;
  }
  uint32_t element = c.read<uint32_t>(what + " (array element type)");
  if (!is_known_value_type(element)) fail("{}: metadata '{}' is an array of unknown value type {}", path, key, element);
  v.element_type = static_cast<gguf_value_type>(element);
  if (v.element_type == gguf_value_type::array) fail("{}: metadata '{}' is an array of arrays (not supported)", path, key);
  uint64_t count = c.read<uint64_t>(what + " (array length)");
  if (count > c.remaining() / min_value_bytes(v.element_type))
    fail("{}: truncated file: metadata '{}' claims {} elements, more than the {} bytes left can hold", path, key, count,
         c.remaining());
  for (uint64_t i = 0; i < count; ++i) read_scalar(c, v.element_type, v, what);
  return v;
}

gguf_tensor_info read_tensor_info(cursor& c, const std::string& path, uint64_t index) {
  gguf_tensor_info t;
  t.name = c.read_string(fmt::format("tensor info {} (name)", index));
  std::string what = "tensor '" + t.name + "'";
  uint32_t n_dims = c.read<uint32_t>(what + " (dimension count)");
  if (n_dims == 0 || n_dims > max_dims) fail("{}: {} has {} dimensions (1 to {} allowed)", path, what, n_dims, max_dims);
  uint64_t elements = 1;
  for (uint32_t d = 0; d < n_dims; ++d) {
    uint64_t n = c.read<uint64_t>(what + " (dimensions)");
    if (n == 0 || n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / elements)
      fail("{}: {} has an invalid dimension {}", path, what, n);
    elements *= n;
    t.dims.push_back(n);
  }
  uint32_t type = c.read<uint32_t>(what + " (type)");
  auto traits = ggml_traits(type);
  if (!traits) fail("{}: {} has unknown ggml type {}", path, what, type);
  t.type = static_cast<ggml_type>(type);
  if (t.dims[0] % traits->block_elements != 0)
    fail("{}: {} of type {} has a row of {} values, not a multiple of its block size {}", path, what, traits->name,
         t.dims[0], traits->block_elements);
  t.bytes = elements / traits->block_elements * traits->block_bytes;
  t.offset = c.read<uint64_t>(what + " (offset)");
  return t;
}

}  // namespace

const char* gguf_value_type_name(gguf_value_type t) {
  static const char* const names[] = {"u8", "i8", "u16", "i16", "u32", "i32", "f32",
                                      "bool", "string", "array", "u64", "i64", "f64"};
  auto i = static_cast<uint32_t>(t);
  return i < sizeof(names) / sizeof(names[0]) ? names[i] : "unknown";
}

uint64_t gguf_tensor_info::elements() const {
  uint64_t n = 1;
  for (uint64_t d : dims) n *= d;
  return n;
}

std::vector<int64_t> gguf_tensor_info::shape() const {
  return std::vector<int64_t>(dims.rbegin(), dims.rend());
}

gguf_file::gguf_file(const std::string& path) : path_(path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) fail("{}: cannot open: {}", path, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    fail("{}: cannot stat: {}", path, std::strerror(errno));
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    void* m = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      ::close(fd);
      fail("{}: cannot map: {}", path, std::strerror(errno));
    }
    map_ = static_cast<const uint8_t*>(m);
  }
  ::close(fd);
  try {
    cursor c(path_, map_, size_);
    uint32_t magic = c.read<uint32_t>("the magic number");
    if (magic != gguf_magic) fail("{}: not a GGUF file (bad magic: the file does not start with \"GGUF\")", path);
    version_ = c.read<uint32_t>("the version");
    if (version_ == 1) fail("{}: GGUF version 1 is not supported (2 and 3 are)", path);
    if (version_ != 2 && version_ != 3) {
      if ((version_ & 0xFFFF) == 0) fail("{}: big-endian GGUF files are not supported", path);
      fail("{}: GGUF version {} is not supported (2 and 3 are)", path, version_);
    }
    uint64_t n_tensors = c.read<uint64_t>("the tensor count");
    uint64_t n_metadata = c.read<uint64_t>("the metadata count");
    // Each metadata entry takes at least 12 bytes (key length, value type), each tensor info at least 24.
    if (n_metadata > c.remaining() / 12 || n_tensors > c.remaining() / 24)
      fail("{}: truncated file: {} metadata entries and {} tensors cannot fit in {} bytes", path, n_metadata, n_tensors,
           size_);
    for (uint64_t i = 0; i < n_metadata; ++i) {
      std::string key = c.read_string(fmt::format("metadata key {}", i));
      if (metadata_.count(key)) fail("{}: duplicate metadata key '{}'", path, key);
      metadata_.emplace(key, read_value(c, path_, key));
    }
    if (has("general.alignment")) {
      alignment_ = get_uint("general.alignment");
      if (alignment_ == 0 || (alignment_ & (alignment_ - 1)) != 0)
        fail("{}: general.alignment {} is not a power of two", path, alignment_);
    }
    std::set<std::string> names;
    for (uint64_t i = 0; i < n_tensors; ++i) {
      tensors_.push_back(read_tensor_info(c, path_, i));
      if (!names.insert(tensors_.back().name).second) fail("{}: duplicate tensor '{}'", path, tensors_.back().name);
    }
    data_offset_ = (c.position() + alignment_ - 1) / alignment_ * alignment_;
    for (const gguf_tensor_info& t : tensors_) {
      if (t.offset % alignment_ != 0)
        fail("{}: tensor '{}' offset {} is not a multiple of the alignment {}", path, t.name, t.offset, alignment_);
      if (data_offset_ > size_ || t.offset > size_ - data_offset_ || t.bytes > size_ - data_offset_ - t.offset)
        fail("{}: tensor '{}' ({} bytes at data offset {}) lies outside the file ({} bytes, data from {})", path,
             t.name, t.bytes, t.offset, size_, data_offset_);
    }
  } catch (...) {
    if (map_) ::munmap(const_cast<uint8_t*>(map_), size_);
    throw;
  }
}

gguf_file::~gguf_file() {
  if (map_) ::munmap(const_cast<uint8_t*>(map_), size_);
}

const gguf_value& gguf_file::value(const std::string& key) const {
  auto it = metadata_.find(key);
  if (it == metadata_.end()) fail("{}: missing metadata '{}'", path_, key);
  return it->second;
}

uint64_t gguf_file::get_uint(const std::string& key) const {
  const gguf_value& v = value(key);
  if (!v.is_array() && v.uints.size() == 1 && v.type != gguf_value_type::boolean) return v.uints[0];
  if (!v.is_array() && v.ints.size() == 1 && v.ints[0] >= 0) return static_cast<uint64_t>(v.ints[0]);
  fail("{}: metadata '{}' must be a non-negative integer, it is of type {}", path_, key, gguf_value_type_name(v.type));
}

int64_t gguf_file::get_int(const std::string& key) const {
  const gguf_value& v = value(key);
  if (!v.is_array() && v.ints.size() == 1) return v.ints[0];
  if (!v.is_array() && v.uints.size() == 1 && v.type != gguf_value_type::boolean &&
      v.uints[0] <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return static_cast<int64_t>(v.uints[0]);
  fail("{}: metadata '{}' must be an integer, it is of type {}", path_, key, gguf_value_type_name(v.type));
}

double gguf_file::get_float(const std::string& key) const {
  const gguf_value& v = value(key);
  if (!v.is_array() && v.floats.size() == 1) return v.floats[0];
  fail("{}: metadata '{}' must be a float, it is of type {}", path_, key, gguf_value_type_name(v.type));
}

bool gguf_file::get_bool(const std::string& key) const {
  const gguf_value& v = value(key);
  if (v.type == gguf_value_type::boolean) return v.uints[0] != 0;
  fail("{}: metadata '{}' must be a bool, it is of type {}", path_, key, gguf_value_type_name(v.type));
}

std::string gguf_file::get_string(const std::string& key) const {
  const gguf_value& v = value(key);
  if (v.type == gguf_value_type::string) return v.strings[0];
  fail("{}: metadata '{}' must be a string, it is of type {}", path_, key, gguf_value_type_name(v.type));
}

const std::vector<std::string>& gguf_file::get_string_array(const std::string& key) const {
  const gguf_value& v = value(key);
  if (v.is_array() && v.element_type == gguf_value_type::string) return v.strings;
  fail("{}: metadata '{}' must be an array of strings", path_, key);
}

std::vector<int64_t> gguf_file::get_int_array(const std::string& key) const {
  const gguf_value& v = value(key);
  if (v.is_array() && !v.ints.empty()) return v.ints;
  if (v.is_array() && v.element_type != gguf_value_type::boolean && v.floats.empty() && v.strings.empty()) {
    std::vector<int64_t> out;
    for (uint64_t u : v.uints) {
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        fail("{}: metadata '{}' holds {}, too large for an integer", path_, key, u);
      out.push_back(static_cast<int64_t>(u));
    }
    return out;
  }
  fail("{}: metadata '{}' must be an array of integers", path_, key);
}

const gguf_tensor_info* gguf_file::find_tensor(const std::string& name) const {
  for (const gguf_tensor_info& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

const gguf_tensor_info& gguf_file::tensor(const std::string& name) const {
  const gguf_tensor_info* t = find_tensor(name);
  if (!t) fail("{}: missing tensor '{}'", path_, name);
  return *t;
}

const uint8_t* gguf_file::tensor_data(const gguf_tensor_info& t) const { return map_ + data_offset_ + t.offset; }

std::vector<float> gguf_file::dequantize(const gguf_tensor_info& t) const {
  std::vector<float> out(t.elements());
  dequantize_row(t.type, tensor_data(t), out.data(), out.size(), path_ + ": tensor '" + t.name + "'");
  return out;
}

}  // namespace harness
