// GGUF against independent references (made by the scripts in tests/oracle/):
// - the reader and dequantiser against gguf-py on a file gguf-py wrote (HARNESS_GGUF_BLOCKS: blocks.gguf
//   and expected.safetensors from make_gguf_blocks.py): every type bit for bit, every metadata type;
// - `harness import-gguf` of SmolLM2-135M-Instruct (HARNESS_GGUF_MODEL) against transformers loading the
//   same GGUF itself (HARNESS_GGUF_REFERENCE from gguf_transformers_reference.py): logits and token ids.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>

#include <c10/core/GradMode.h>
#include <nlohmann/json.hpp>

#include "runtime/gguf.h"
#include "runtime/json_file.h"
#include "runtime/model.h"
#include "runtime/safetensors.h"
#include "runtime/tokenizer.h"
#include "tests/test_support.h"

namespace harness {

namespace {
std::string env_dir(const char* name) {
  const char* v = std::getenv(name);
  if (!v) CATCH_FAIL("environment variable " << name << " is not set (run through ctest)");
  return v;
}
}  // namespace

CATCH_TEST_CASE("gguf oracle: dequantisation matches gguf-py bit for bit", "[gguf_dequant]") {
  std::string dir = env_dir("HARNESS_GGUF_BLOCKS");
  gguf_file f(dir + "/blocks.gguf");
  safetensors_file expected(dir + "/expected.safetensors");
  CATCH_CHECK(f.version() == 3);
  CATCH_REQUIRE(f.tensors().size() == 11);
  for (const gguf_tensor_info& t : f.tensors()) {
    CATCH_INFO("tensor " << t.name << " (" << ggml_traits(t.type).name << ")");
    at::Tensor want = expected.view(t.name).contiguous();
    CATCH_REQUIRE(t.shape() == want.sizes().vec());
    std::vector<float> got = f.dequantize(t);
    CATCH_REQUIRE(got.size() == static_cast<size_t>(want.numel()));
    size_t mismatches = 0;
    const float* w = want.data_ptr<float>();
    for (size_t i = 0; i < got.size(); ++i)
      if (std::memcmp(&got[i], &w[i], 4) != 0) ++mismatches;
    CATCH_CHECK(mismatches == 0);
  }
  CATCH_CHECK(f.get_uint("test.u8") == 200);
  CATCH_CHECK(f.get_int("test.i8") == -100);
  CATCH_CHECK(f.get_uint("test.u16") == 60000);
  CATCH_CHECK(f.get_int("test.i16") == -30000);
  CATCH_CHECK(f.get_uint("test.u32") == 4000000000u);
  CATCH_CHECK(f.get_int("test.i32") == -2000000000);
  CATCH_CHECK(f.get_float("test.f32") == 0.25);
  CATCH_CHECK(f.get_bool("test.bool"));
  CATCH_CHECK(f.get_string("test.string") == "caf\xC3\xA9 \xE2\x96\x81");
  CATCH_CHECK(f.get_uint("test.u64") == (uint64_t{1} << 63) + 5);
  CATCH_CHECK(f.get_int("test.i64") == -(int64_t{1} << 62));
  CATCH_CHECK(f.get_float("test.f64") == -1.5e300);
  CATCH_CHECK(f.get_string_array("test.strings") == std::vector<std::string>{"a", "", "bc"});
  CATCH_CHECK(f.get_int_array("test.ints") == std::vector<int64_t>{1, -2, 3});
  CATCH_CHECK(f.get_string("general.architecture") == "test");
}

CATCH_TEST_CASE("gguf oracle: imported SmolLM2 matches transformers on the same GGUF", "[gguf_smollm2]") {
  c10::NoGradGuard no_grad;
  std::string model_dir = env_dir("HARNESS_GGUF_MODEL"), ref_dir = env_dir("HARNESS_GGUF_REFERENCE");

  tokenizer tok = load_tokenizer(model_dir);
  nlohmann::json cases = read_json_file(ref_dir + "/tokens.json");
  CATCH_REQUIRE(cases.size() >= 5);
  for (const auto& c : cases) {
    std::string text = c["text"].get<std::string>();
    CATCH_INFO("text: " << text);
    CATCH_CHECK(tok.encode(text, false) == c["ids"].get<std::vector<int32_t>>());
  }

  safetensors_file ref(ref_dir + "/reference.safetensors");
  at::Tensor ids = ref.view("input_ids").clone();
  at::Tensor expected = ref.view("logits").clone();
  auto model = load_model(model_dir, at::kFloat, at::Device(at::kCPU));
  CATCH_CHECK(model->config().num_layers == 30);
  at::Tensor logits = model->forward({ids, at::Tensor(), at::Tensor()}, {}).logits;
  test::closeness c = test::all_close(logits, expected, 1e-4, 1e-4);
  CATCH_INFO("logits: " << c.report);
  CATCH_CHECK(c.ok);
  CATCH_CHECK(at::equal(logits.argmax(-1), expected.argmax(-1)));
}

}  // namespace harness
