// activation_file.h: the on-disk format of recorded activations (one 2-D table per layer and kind, as
// DejaVu's np.memmap files, with a header). Layout, little-endian:
//   bytes  0..7   magic "HARNACT\0"
//   bytes  8..11  u32 format version (1)
//   bytes 12..15  u32 dtype: 1 = float16
//   bytes 16..23  u64 rows
//   bytes 24..31  u64 cols
//   bytes 32..63  zero
//   bytes 64..    rows x cols values, row-major
// Rows are streamed in by the writer, which writes "<path>.partial" and renames it on finish(), so a
// killed recording never leaves a file that looks complete. Readers map the file read-only.
#pragma once
#include <cstdio>
#include <memory>
#include <string>

#include <ATen/ATen.h>

namespace harness {

constexpr uint32_t activation_file_version = 1;
constexpr size_t activation_header_bytes = 64;

class activation_writer {
 public:
  activation_writer(std::string path, int64_t cols);
  ~activation_writer();
  activation_writer(const activation_writer&) = delete;
  activation_writer& operator=(const activation_writer&) = delete;

  // rows [n, cols] of any floating dtype on any device; stored as float16. Non-finite values are refused.
  void append(const at::Tensor& rows);
  int64_t rows() const { return rows_; }
  // Writes the row count into the header and renames the file into place.
  void finish();

 private:
  std::string path_;
  int64_t cols_;
  int64_t rows_ = 0;
  std::FILE* file_ = nullptr;
};

// A recorded table, memory-mapped. tensor() aliases the mapping: [rows, cols] float16, read-only.
class activation_file {
 public:
  explicit activation_file(const std::string& path);
  const std::string& path() const { return path_; }
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  const at::Tensor& tensor() const { return tensor_; }

 private:
  std::string path_;
  int64_t rows_ = 0, cols_ = 0;
  at::Tensor tensor_;
};

}  // namespace harness
