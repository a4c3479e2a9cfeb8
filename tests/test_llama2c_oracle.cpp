// The stories260K model converted by `harness import-llama2c` against transformers
// (tests/oracle/llama2c_reference.py): the harness's logits equal transformers' on fixed ids, and the
// harness's tokenizer gives transformers' ids (which the script checked against llama2.c's own
// score-based encoding) and decodes them back to the text.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <map>

#include <c10/core/GradMode.h>

#include "runtime/json_file.h"
#include "runtime/model.h"
#include "runtime/safetensors.h"
#include "runtime/tokenizer.h"
#include "tests/test_support.h"

namespace harness {

CATCH_TEST_CASE("llama2c oracle: converted stories260K matches transformers", "[llama2c-oracle]") {
  c10::NoGradGuard no_grad;
  const char* model_dir = std::getenv("HARNESS_LLAMA2C_MODEL");
  const char* ref_dir = std::getenv("HARNESS_LLAMA2C_REFERENCE");
  CATCH_REQUIRE(model_dir != nullptr);
  CATCH_REQUIRE(ref_dir != nullptr);
  std::filesystem::path ref_path(ref_dir);

  safetensors_file ref((ref_path / "reference.safetensors").string());
  at::Tensor input_ids = ref.view("input_ids").clone();  // [2, T] int64
  at::Tensor expected = ref.view("logits").clone();      // [2, T, V] float32
  auto model = load_model(model_dir, at::kFloat, at::Device(at::kCPU));
  at::Tensor logits = model->forward({input_ids, {}, {}}, {}).logits;  // [2, T, V]
  test::closeness c = test::all_close(logits, expected, 1e-4, 1e-4);
  CATCH_INFO("logits: " << c.report);
  CATCH_CHECK(c.ok);

  tokenizer tok = load_tokenizer(model_dir);
  nlohmann::json strings = read_json_file((ref_path / "reference.json").string())["strings"];
  CATCH_REQUIRE(strings.size() >= 5);
  for (const auto& s : strings) {
    std::string text = s["text"].get<std::string>();
    std::vector<int32_t> ids = s["ids"].get<std::vector<int32_t>>();
    CATCH_INFO("text: " << text);
    CATCH_CHECK(tok.encode(text) == ids);
    CATCH_CHECK(tok.decode(ids, /*skip_special=*/true) == text);
  }
}

}  // namespace harness
