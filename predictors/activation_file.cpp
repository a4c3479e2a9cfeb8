#include "predictors/activation_file.h"

#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/error.h"
#include "runtime/tensor_util.h"

namespace harness {

namespace {

constexpr char magic[8] = {'H', 'A', 'R', 'N', 'A', 'C', 'T', '\0'};
constexpr uint32_t dtype_f16 = 1;

struct header {
  char magic[8];
  uint32_t version;
  uint32_t dtype;
  uint64_t rows;
  uint64_t cols;
  uint8_t zero[32];
};
static_assert(sizeof(header) == activation_header_bytes);

header make_header(int64_t rows, int64_t cols) {
  header h{};
  std::memcpy(h.magic, magic, sizeof magic);
  h.version = activation_file_version;
  h.dtype = dtype_f16;
  h.rows = static_cast<uint64_t>(rows);
  h.cols = static_cast<uint64_t>(cols);
  return h;
}

// Unmaps when the last tensor aliasing the mapping is gone.
struct mapping {
  void* data = MAP_FAILED;
  size_t size = 0;
  ~mapping() {
    if (data != MAP_FAILED) munmap(data, size);
  }
};

}  // namespace

activation_writer::activation_writer(std::string path, int64_t cols) : path_(std::move(path)), cols_(cols) {
  if (cols < 1) fail("{}: an activation table needs at least one column", path_);
  std::string partial = path_ + ".partial";
  file_ = std::fopen(partial.c_str(), "wb");
  if (!file_) fail("{}: cannot create: {}", partial, std::strerror(errno));
  header h = make_header(0, cols_);
  if (std::fwrite(&h, sizeof h, 1, file_) != 1) fail("{}: write failed", partial);
}

activation_writer::~activation_writer() {
  if (file_) std::fclose(file_);  // unfinished: the .partial file stays, never the final name
}

void activation_writer::append(const at::Tensor& rows) {
  if (!file_) fail("{}: append after finish()", path_);
  if (rows.dim() != 2 || rows.size(1) != cols_)
    fail("{}: rows of shape {} appended to a table of {} columns", path_, shape_str(rows.sizes()), cols_);
  at::Tensor half = rows.detach().to(at::kCPU).to(at::kHalf).contiguous();  // [n, cols]
  if (!at::isfinite(half).all().item<bool>())
    fail("{}: non-finite values (NaN, Inf or beyond float16's range) in rows {}..{}", path_, rows_, rows_ + rows.size(0));
  size_t count = static_cast<size_t>(half.numel());
  if (count && std::fwrite(half.data_ptr(), sizeof(at::Half), count, file_) != count)
    fail("{}.partial: write failed (disk full?)", path_);
  rows_ += rows.size(0);
}

void activation_writer::finish() {
  if (!file_) fail("{}: finish() called twice", path_);
  std::string partial = path_ + ".partial";
  header h = make_header(rows_, cols_);
  bool ok = std::fseek(file_, 0, SEEK_SET) == 0 && std::fwrite(&h, sizeof h, 1, file_) == 1 && std::fflush(file_) == 0 &&
            fsync(fileno(file_)) == 0;
  ok = (std::fclose(file_) == 0) && ok;
  file_ = nullptr;
  if (!ok) fail("{}: write failed (disk full?)", partial);
  std::filesystem::rename(partial, path_);
}

activation_file::activation_file(const std::string& path) : path_(path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) fail("{}: cannot open: {}", path, std::strerror(errno));
  struct stat st {};
  fstat(fd, &st);
  size_t size = static_cast<size_t>(st.st_size);
  if (size < sizeof(header)) {
    ::close(fd);
    fail("{}: {} bytes, shorter than the {}-byte header of an activation file", path, size, sizeof(header));
  }
  auto map = std::make_shared<mapping>();
  map->size = size;
  map->data = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map->data == MAP_FAILED) fail("{}: mmap failed: {}", path, std::strerror(errno));
  header h;
  std::memcpy(&h, map->data, sizeof h);
  if (std::memcmp(h.magic, magic, sizeof magic) != 0) fail("{}: not an activation file (bad magic)", path);
  if (h.version != activation_file_version)
    fail("{}: activation file version {}, this build reads version {}", path, h.version, activation_file_version);
  if (h.dtype != dtype_f16) fail("{}: unknown dtype code {} (1 = float16)", path, h.dtype);
  if (h.cols == 0 || h.cols > (1ull << 32) || h.rows > (1ull << 40)) fail("{}: implausible shape [{}, {}]", path, h.rows, h.cols);
  uint64_t expected = sizeof(header) + h.rows * h.cols * sizeof(at::Half);
  if (expected != size)
    fail("{}: {} bytes but the header's shape [{}, {}] needs {} (truncated or corrupt)", path, size, h.rows, h.cols, expected);
  rows_ = static_cast<int64_t>(h.rows);
  cols_ = static_cast<int64_t>(h.cols);
  void* values = static_cast<uint8_t*>(map->data) + sizeof(header);
  tensor_ = at::from_blob(values, {rows_, cols_}, [map](void*) {}, at::TensorOptions().dtype(at::kHalf));
}

}  // namespace harness
