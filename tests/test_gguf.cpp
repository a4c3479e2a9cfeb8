// The GGUF reader on hand-built files: a well-formed version-2 file is read (metadata, tensor infos,
// alignment, data), and damaged ones (truncated anywhere, bad magic, unknown value or ggml type, a
// tensor beyond the end) fail with an error naming the file and the fault.
#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>
#include <string>

#include "runtime/error.h"
#include "runtime/gguf.h"
#include "tests/test_paths.h"

namespace harness {

namespace {

// Builds GGUF bytes: little-endian integers, u64-length strings.
struct gguf_bytes {
  std::string b;
  template <typename T>
  gguf_bytes& put(T v) {
    char raw[sizeof(T)];
    std::memcpy(raw, &v, sizeof(T));
    b.append(raw, sizeof(T));
    return *this;
  }
  gguf_bytes& str(const std::string& s) {
    put<uint64_t>(s.size());
    b += s;
    return *this;
  }
};

// Version 2, general.alignment 64, a string-array and an f32 value, one F16 tensor [3, 2] (ggml dims
// {2, 3}) holding 1, 2, ... 6 and one F32 tensor {4} holding -1.5. Type ids and offsets can be altered.
std::string sample_file(uint32_t value_type = 8, uint32_t tensor_type = 1, uint64_t second_offset = 64) {
  gguf_bytes g;
  g.put<uint32_t>(0x46554747).put<uint32_t>(2).put<uint64_t>(2).put<uint64_t>(3);
  g.str("general.alignment").put<uint32_t>(4).put<uint32_t>(64);
  g.str("names").put<uint32_t>(9).put<uint32_t>(value_type).put<uint64_t>(2).str("ab").str("c");
  g.str("scale").put<uint32_t>(6).put<float>(0.5f);
  g.str("w").put<uint32_t>(2).put<uint64_t>(2).put<uint64_t>(3).put<uint32_t>(tensor_type).put<uint64_t>(0);
  g.str("v").put<uint32_t>(1).put<uint64_t>(4).put<uint32_t>(0).put<uint64_t>(second_offset);
  g.b.append((64 - g.b.size() % 64) % 64, '\0');
  const uint16_t halves[] = {0x3C00, 0x4000, 0x4200, 0x4400, 0x4500, 0x4600};  // 1 .. 6
  for (uint16_t h : halves) g.put<uint16_t>(h);
  g.b.append(64 - 12, '\0');
  for (int i = 0; i < 4; ++i) g.put<float>(-1.5f);
  return g.b;
}

std::string write(const test::temp_dir& dir, const std::string& name, const std::string& bytes) {
  std::string path = (dir.path() / name).string();
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

// The message of the harness_error that opening `path` throws ("" if none).
std::string open_error(const std::string& path) {
  try {
    gguf_file f(path);
  } catch (const harness_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

CATCH_TEST_CASE("gguf: a version 2 file is read", "[gguf]") {
  test::temp_dir dir("gguf-read");
  gguf_file f(write(dir, "ok.gguf", sample_file()));
  CATCH_CHECK(f.version() == 2);
  CATCH_CHECK(f.alignment() == 64);
  CATCH_CHECK(f.get_uint("general.alignment") == 64);
  CATCH_CHECK(f.get_string_array("names") == std::vector<std::string>{"ab", "c"});
  CATCH_CHECK(f.get_float("scale") == 0.5);
  CATCH_CHECK_THROWS_WITH(f.get_string("scale"), Catch::Contains("'scale' must be a string"));
  CATCH_CHECK_THROWS_WITH(f.get_uint("nope"), Catch::Contains("missing metadata 'nope'"));
  const gguf_tensor_info& w = f.tensor("w");
  CATCH_CHECK(w.shape() == std::vector<int64_t>{3, 2});
  CATCH_CHECK(f.dequantize(w) == std::vector<float>{1, 2, 3, 4, 5, 6});
  CATCH_CHECK(f.dequantize(f.tensor("v")) == std::vector<float>{-1.5f, -1.5f, -1.5f, -1.5f});
}

CATCH_TEST_CASE("gguf: damaged files fail naming the file and the fault", "[gguf]") {
  test::temp_dir dir("gguf-bad");
  std::string good = sample_file();

  std::string bad_magic = good;
  bad_magic[0] = 'X';
  std::string path = write(dir, "magic.gguf", bad_magic);
  CATCH_CHECK_THAT(open_error(path), Catch::Contains(path) && Catch::Contains("bad magic"));

  path = write(dir, "value.gguf", sample_file(77));
  CATCH_CHECK_THAT(open_error(path), Catch::Contains(path) && Catch::Contains("'names' is an array of unknown value type 77"));

  path = write(dir, "type.gguf", sample_file(8, 99));
  CATCH_CHECK_THAT(open_error(path), Catch::Contains(path) && Catch::Contains("tensor 'w' has unknown ggml type 99"));

  path = write(dir, "outside.gguf", sample_file(8, 1, 128));
  CATCH_CHECK_THAT(open_error(path), Catch::Contains(path) && Catch::Contains("tensor 'v'") &&
                                         Catch::Contains("lies outside the file"));

  path = write(dir, "unaligned.gguf", sample_file(8, 1, 32));
  CATCH_CHECK_THAT(open_error(path), Catch::Contains("not a multiple of the alignment 64"));

  // Q2_K (blocks of 256) cannot hold a row of 2 values; and the harness does not dequantise Q2_K.
  path = write(dir, "q2k.gguf", sample_file(8, 10));
  CATCH_CHECK_THAT(open_error(path), Catch::Contains("not a multiple of its block size 256"));
  std::vector<uint8_t> block(84);
  std::vector<float> out(256);
  CATCH_CHECK_THROWS_WITH(dequantize_row(ggml_type::q2_k, block.data(), out.data(), 256, "x.gguf: tensor 't'"),
                          Catch::Contains("x.gguf: tensor 't': ggml type Q2_K cannot be dequantised"));

  // Every truncation of the file is an error, never a crash or a silent success.
  for (size_t cut = 0; cut < good.size(); ++cut) {
    path = write(dir, "cut.gguf", good.substr(0, cut));
    std::string message = open_error(path);
    CATCH_INFO("cut at " << cut << ": " << message);
    CATCH_CHECK_THAT(message, Catch::Contains(path) &&
                                  (Catch::Contains("truncated file") || Catch::Contains("lies outside the file")));
  }
}

}  // namespace harness
