// Property test: the harness against transformers' own LlamaForCausalLM / OPTForCausalLM on many random
// tiny configurations (sizes, GQA ratios, explicit head_dim, rope scaling, tied/untied heads, biases,
// OPT pre/post-LN and projections, left padding) made by tests/oracle/make_random_models.py from a seed,
// and on the trained tiny pair the project ships.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <map>

#include <c10/core/GradMode.h>

#include "runtime/generate.h"
#include "runtime/model.h"
#include "runtime/safetensors.h"
#include "tests/test_support.h"

namespace harness {

namespace {

namespace fs = std::filesystem;

// The model directories under $env_name (each with reference.safetensors), sorted.
std::vector<fs::path> reference_dirs(const char* env_name) {
  const char* dir_env = std::getenv(env_name);
  CATCH_REQUIRE(dir_env != nullptr);
  std::vector<fs::path> models;
  for (const auto& e : fs::directory_iterator(dir_env))
    if (e.is_directory()) models.push_back(e.path());
  std::sort(models.begin(), models.end());
  return models;
}

// The harness's logits and greedy decode of the recorded inputs equal transformers' recorded ones.
void check_against_reference(const fs::path& dir) {
  c10::NoGradGuard no_grad;
  CATCH_INFO("model " << dir.string());
  safetensors_file ref_file((dir / "reference.safetensors").string());
  std::map<std::string, at::Tensor> ref;
  for (const auto& t : ref_file.header().tensors) ref[t.name] = ref_file.view(t.name).clone();
  auto model = load_model(dir.string(), at::kFloat, at::Device(at::kCPU));

  at::Tensor mask = ref["attention_mask"];
  at::Tensor real = (mask != 0).unsqueeze(-1);
  at::Tensor positions = ref.count("position_ids") ? ref["position_ids"] : at::Tensor();
  at::Tensor logits = model->forward({ref["input_ids"], mask, positions}, {}).logits;
  test::closeness c = test::all_close(logits * real, ref["logits"] * real, 1e-4, 1e-4);
  CATCH_INFO("logits: " << c.report);
  CATCH_CHECK(c.ok);

  greedy_options g;
  g.new_tokens = ref["greedy_logits"].size(1);
  g.pad_token_id = model->config().pad_token_id.value_or(0);
  greedy_result r = greedy_generate(*model, ref["input_ids"], mask, g);
  CATCH_CHECK(at::equal(r.ids, ref["greedy_ids"]));
  test::closeness s = test::all_close(r.step_logits, ref["greedy_logits"], 1e-4, 1e-4);
  CATCH_INFO("greedy step logits: " << s.report);
  CATCH_CHECK(s.ok);
}

}  // namespace

CATCH_TEST_CASE("oracle: random tiny models match transformers", "[oracle]") {
  std::vector<fs::path> models = reference_dirs("HARNESS_ORACLE_DIR");
  CATCH_REQUIRE(models.size() >= 8);
  for (const auto& dir : models) check_against_reference(dir);
}

// The shipped trained pair (data/models/tiny-pair-opt, tiny-pair-llama), recorded by
// tests/oracle/reference_for_models.py: what train_tiny_pair wrote is what transformers runs.
CATCH_TEST_CASE("oracle: the trained tiny pair matches transformers", "[trained_pair]") {
  std::vector<fs::path> models = reference_dirs("HARNESS_PAIR_ORACLE_DIR");
  CATCH_REQUIRE(models.size() == 2);
  for (const auto& dir : models) check_against_reference(dir);
}

}  // namespace harness
