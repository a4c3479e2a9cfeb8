// The safetensors reader: round trips of every supported dtype, sharded checkpoints, and a clear error
// naming the file and the problem for each kind of bad input.
#include <catch2/catch.hpp>

#include <fstream>

#include "runtime/checkpoint.h"
#include "runtime/error.h"
#include "runtime/safetensors.h"
#include "runtime/safetensors_writer.h"
#include "tests/test_support.h"

namespace harness {
namespace {

namespace fs = std::filesystem;

// A raw file: 8-byte little-endian length, the header text as given, then `data_bytes` zero bytes.
std::string write_raw(const fs::path& path, const std::string& header, size_t data_bytes, int64_t length_override = -1) {
  std::ofstream out(path, std::ios::binary);
  uint64_t length = length_override >= 0 ? static_cast<uint64_t>(length_override) : header.size();
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>(length >> (8 * i)));
  out << header << std::string(data_bytes, '\0');
  return path.string();
}

}  // namespace

CATCH_TEST_CASE("safetensors: every supported dtype round-trips", "[safetensors]") {
  test::temp_dir dir("st");
  named_tensors tensors = {
      {"f32", at::randn({3, 5})},
      {"f16", at::randn({4}).to(at::kHalf)},
      {"bf16", at::randn({2, 2, 2}).to(at::kBFloat16)},
      {"i64", at::arange(7, at::kLong)},
      {"u8", at::arange(9, at::kLong).to(at::kByte)},
      {"bool", (at::arange(6, at::kLong) % 2 == 0)},
      {"scalar", at::tensor(2.5f).reshape({})},
      {"empty", at::empty({0, 4})},
  };
  std::string path = (dir.path() / "all.safetensors").string();
  write_safetensors(path, tensors, {{"format", "pt"}});
  safetensors_file file(path);
  CATCH_CHECK(file.header().metadata.at("format") == "pt");
  for (const auto& [name, t] : tensors) {
    CATCH_INFO(name);
    at::Tensor v = file.view(name);
    CATCH_CHECK(v.scalar_type() == t.scalar_type());
    CATCH_CHECK(at::equal(v, t));
    CATCH_CHECK(at::equal(file.load(name, t.scalar_type(), at::Device(at::kCPU)), t));
  }
  // Conversion on load: F32 on disk to BF16 in memory.
  CATCH_CHECK(at::equal(file.load("f32", at::kBFloat16, at::Device(at::kCPU)), tensors[0].second.to(at::kBFloat16)));
}

CATCH_TEST_CASE("safetensors: bad files get an error naming the file and the problem", "[safetensors][errors]") {
  test::temp_dir dir("st-bad");
  auto expect_error = [](const std::string& path, const std::string& problem) {
    CATCH_INFO(path);
    CATCH_CHECK_THROWS_WITH(safetensors_file(path), Catch::Contains(path) && Catch::Contains(problem));
  };
  std::string good = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";

  CATCH_SECTION("truncated before the length field") {
    std::string p = (dir.path() / "short.safetensors").string();
    std::ofstream(p) << "abc";
    expect_error(p, "truncated");
  }
  CATCH_SECTION("truncated data") { expect_error(write_raw(dir.path() / "t.safetensors", good, 5), "truncated"); }
  CATCH_SECTION("trailing bytes") { expect_error(write_raw(dir.path() / "t.safetensors", good, 9), "trailing bytes"); }
  CATCH_SECTION("header length larger than the file") {
    expect_error(write_raw(dir.path() / "h.safetensors", good, 8, 4096), "larger than the file");
  }
  CATCH_SECTION("header length above the cap") {
    expect_error(write_raw(dir.path() / "h.safetensors", good, 8, int64_t{1} << 40), "exceeds the");
  }
  CATCH_SECTION("header that is not JSON") {
    expect_error(write_raw(dir.path() / "j.safetensors", "{not json", 0), "not valid JSON");
  }
  CATCH_SECTION("overlapping offsets") {
    std::string h = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
    expect_error(write_raw(dir.path() / "o.safetensors", h, 12), "overlap");
  }
  CATCH_SECTION("offsets beyond the data") {
    std::string h = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})";
    expect_error(write_raw(dir.path() / "r.safetensors", h, 8), "out-of-range");
  }
  CATCH_SECTION("a gap between tensors") {
    std::string h = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})";
    expect_error(write_raw(dir.path() / "g.safetensors", h, 12), "gap");
  }
  CATCH_SECTION("size that does not match shape x dtype") {
    std::string h = R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})";
    expect_error(write_raw(dir.path() / "s.safetensors", h, 8), "needs 12");
  }
  CATCH_SECTION("unknown dtype") {
    std::string h = R"({"a":{"dtype":"F8_E9M9","shape":[2],"data_offsets":[0,2]}})";
    expect_error(write_raw(dir.path() / "d.safetensors", h, 2), "unknown dtype 'F8_E9M9'");
  }
  CATCH_SECTION("negative shape") {
    std::string h = R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})";
    expect_error(write_raw(dir.path() / "n.safetensors", h, 8), "non-negative integer");
  }
  CATCH_SECTION("missing file") { expect_error((dir.path() / "absent.safetensors").string(), "cannot open"); }
}

CATCH_TEST_CASE("checkpoint: sharded index, missing shards and tensors", "[safetensors][errors]") {
  test::temp_dir dir("ckpt");
  write_safetensors((dir.path() / "model-00001-of-00002.safetensors").string(), {{"a", at::ones({2})}});
  write_safetensors((dir.path() / "model-00002-of-00002.safetensors").string(), {{"b", at::zeros({3})}});
  fs::path index = dir.path() / "model.safetensors.index.json";
  std::ofstream(index) << R"({"metadata":{"total_size":20},"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}})";
  checkpoint ckpt(dir.path().string());
  at::Device cpu(at::kCPU);
  CATCH_CHECK(at::equal(ckpt.load("a", {2}, at::kFloat, cpu), at::ones({2})));
  CATCH_CHECK(at::equal(ckpt.load("b", {3}, at::kFloat, cpu), at::zeros({3})));
  CATCH_CHECK(ckpt.files().size() == 3);
  CATCH_CHECK_THROWS_WITH(ckpt.load("b", {4}, at::kFloat, cpu),
                          Catch::Contains("model-00002-of-00002.safetensors") && Catch::Contains("has shape [3]"));
  CATCH_CHECK_THROWS_WITH(ckpt.load("c", {1}, at::kFloat, cpu),
                          Catch::Contains(index.string()) && Catch::Contains("missing tensor 'c'"));

  std::ofstream(index) << R"({"weight_map":{"a":"model-00001-of-00002.safetensors","z":"model-00003-of-00003.safetensors"}})";
  CATCH_CHECK_THROWS_WITH(checkpoint(dir.path().string()), Catch::Contains("model-00003-of-00003.safetensors") &&
                                                              Catch::Contains("missing"));
  std::ofstream(index) << R"({"weight_map":{"a":"model-00002-of-00002.safetensors"}})";
  CATCH_CHECK_THROWS_WITH(checkpoint(dir.path().string()), Catch::Contains("has no such tensor"));
  std::ofstream(index) << R"({"weight_map": )";
  CATCH_CHECK_THROWS_WITH(checkpoint(dir.path().string()), Catch::Contains(index.string()) &&
                                                              Catch::Contains("invalid JSON"));
  CATCH_CHECK_THROWS_WITH(checkpoint((dir.path() / "nowhere").string()), Catch::Contains("does not exist"));
}

}  // namespace harness
