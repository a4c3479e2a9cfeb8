#include "runtime/safetensors.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/error.h"

namespace harness {

at::ScalarType to_scalar_type(st_dtype dtype) {
  switch (dtype) {
    case st_dtype::F64: return at::kDouble;
    case st_dtype::F32: return at::kFloat;
    case st_dtype::F16: return at::kHalf;
    case st_dtype::BF16: return at::kBFloat16;
    case st_dtype::I64: return at::kLong;
    case st_dtype::I32: return at::kInt;
    case st_dtype::I16: return at::kShort;
    case st_dtype::I8: return at::kChar;
    case st_dtype::U8: return at::kByte;
    case st_dtype::BOOL: return at::kBool;
  }
  fail("unhandled safetensors dtype");
}

safetensors_file::safetensors_file(const std::string& path) : path_(path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("{}: cannot open: {}", path, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    fail("{}: cannot stat: {}", path, std::strerror(err));
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    void* mapped = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (mapped == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      fail("{}: cannot mmap {} bytes: {}", path, size_, std::strerror(err));
    }
    data_ = static_cast<const uint8_t*>(mapped);
  }
  ::close(fd);
  static const uint8_t empty[1] = {0};
  try {
    header_ = parse_safetensors_header(data_ ? data_ : empty, size_, path);
  } catch (...) {
    if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
    throw;
  }
  for (size_t i = 0; i < header_.tensors.size(); ++i) index_[header_.tensors[i].name] = i;
}

safetensors_file::~safetensors_file() {
  if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

const st_tensor_info& safetensors_file::info(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) fail("{}: no tensor named '{}'", path_, name);
  return header_.tensors[it->second];
}

at::Tensor safetensors_file::view(const std::string& name) const {
  const st_tensor_info& t = info(name);
  auto options = at::TensorOptions().dtype(to_scalar_type(t.dtype)).device(at::kCPU);
  if (t.end == t.begin) return at::empty(t.shape, options);
  void* p = const_cast<uint8_t*>(data_ + header_.data_start + t.begin);
  // Safetensors data is unaligned in general; from_blob accepts any alignment for these copies.
  return at::from_blob(p, t.shape, options);
}

at::Tensor safetensors_file::load(const std::string& name, at::ScalarType dtype, const at::Device& device) const {
  const st_tensor_info& t = info(name);
  at::Tensor out = at::empty(t.shape, at::TensorOptions().dtype(dtype).device(device));
  if (t.end == t.begin) return out;
  out.copy_(view(name));
  // Drop the source pages from this process (they are file-backed and clean, so nothing is lost).
  long page = ::sysconf(_SC_PAGESIZE);
  uintptr_t lo = reinterpret_cast<uintptr_t>(data_ + header_.data_start + t.begin);
  uintptr_t hi = reinterpret_cast<uintptr_t>(data_ + header_.data_start + t.end);
  uintptr_t aligned_lo = lo & ~static_cast<uintptr_t>(page - 1);
  ::madvise(reinterpret_cast<void*>(aligned_lo), hi - aligned_lo, MADV_DONTNEED);
  return out;
}

}  // namespace harness
