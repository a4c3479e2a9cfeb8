// Writing results: the file appears whole or not at all (temporary file, then rename), another run's
// file is never overwritten, every write is logged in the provenance log, and a failed write leaves
// the earlier file as it was.
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include "artifact/provenance.h"
#include "experiments/measure.h"
#include "experiments/registry.h"
#include "experiments/result.h"
#include "runtime/error.h"
#include "runtime/json_file.h"
#include "runtime/text_file.h"
#include "tests/test_paths.h"

namespace fs = std::filesystem;

namespace {

harness::result_document document() {
  const harness::experiment_case& c = harness::find_case("forward_check");
  return harness::result_document(c, harness::resolve_args(c, {{"new-tokens", "2"}}));
}

}  // namespace

CATCH_TEST_CASE("result writes never overwrite another run and are logged", "[results]") {
  harness::test::temp_dir dir("result-write");
  auto first = document();
  first.metrics()["x"] = 1;
  std::string path = first.write(dir.path().string(), "model-a");
  CATCH_CHECK(fs::path(path).parent_path().parent_path() == dir.path() / "forward_check" / "model-a");
  CATCH_CHECK(harness::read_json_file(path)["metrics"]["x"] == 1);
  // The same case, subject, second and process would give the same name: refused, the first intact.
  auto second = document();
  second.metrics()["x"] = 2;
  try {
    std::string other = second.write(dir.path().string(), "model-a");
    CATCH_CHECK(other != path);  // a later second: a new name
  } catch (const harness::harness_error& e) {
    CATCH_CHECK(std::string(e.what()).find("refusing to overwrite") != std::string::npos);
  }
  CATCH_CHECK(harness::read_json_file(path)["metrics"]["x"] == 1);
  // No temporary file is left behind, and the run is in the provenance log.
  for (const auto& e : fs::recursive_directory_iterator(dir.path()))
    CATCH_CHECK(e.path().string().find(".tmp.") == std::string::npos);
  auto log = harness::read_provenance_log(dir.path().string());
  CATCH_REQUIRE(!log.empty());
  CATCH_CHECK(log.front().case_name() == "forward_check");
}

CATCH_TEST_CASE("a result records the peak memory of the process that wrote it", "[results]") {
  harness::test::temp_dir dir("result-resources");
  const uint64_t resident = harness::rss_bytes();
  const nlohmann::json resources = harness::read_json_file(document().write(dir.path().string(), "model-a"))["resources"];
  CATCH_CHECK(resources["peak_rss_bytes"].get<uint64_t>() >= resident);
  // null in a build without CUDA; otherwise only devices this process used (none here unless a GPU test ran first).
  CATCH_CHECK((resources["cuda_memory_peaks"].is_null() || resources["cuda_memory_peaks"].is_array()));
}

CATCH_TEST_CASE("a result written after GPU work records the CUDA allocator's peak", "[results][cuda]") {
  if (!at::hasCUDA()) {
    CATCH_WARN("no GPU: the CUDA memory peak in results was not run");
    return;
  }
  harness::test::temp_dir dir("result-cuda-resources");
  const int64_t elements = 16 << 20;  // 64 MiB of float32, freed before the result is written
  at::empty({elements}, at::TensorOptions().dtype(at::kFloat).device(at::kCUDA)).fill_(1);
  const nlohmann::json peaks =
      harness::read_json_file(document().write(dir.path().string(), "model-a"))["resources"]["cuda_memory_peaks"];
  CATCH_REQUIRE(peaks.is_array());
  CATCH_REQUIRE(!peaks.empty());
  CATCH_CHECK(peaks[0]["device"] == "cuda:0");
  CATCH_CHECK(peaks[0]["peak_allocated_bytes"].get<uint64_t>() >= 4 * static_cast<uint64_t>(elements));
  CATCH_CHECK(peaks[0]["peak_reserved_bytes"].get<uint64_t>() >= peaks[0]["peak_allocated_bytes"].get<uint64_t>());
}

CATCH_TEST_CASE("a failed atomic write leaves the earlier file as it was", "[results]") {
  harness::test::temp_dir dir("atomic-write");
  std::string path = (dir.path() / "r.json").string();
  harness::write_json_file_atomic(path, {{"v", 1}});
  std::string before = harness::read_text_file(path);
  // The temporary file cannot be created (a folder stands in its place): the write fails cleanly.
  fs::create_directories(path + ".tmp." + std::to_string(::getpid()));
  CATCH_CHECK_THROWS_AS(harness::write_json_file_atomic(path, {{"v", 2}}), harness::harness_error);
  CATCH_CHECK(harness::read_text_file(path) == before);
}
