// A model split across devices computes what it computes on one: on "cpu,cpu" (planned) and "cpu,cpu,cpu"
// (an uneven 2 + 1 + 1 split) the logits, hidden states, hook values (with fixed and with dynamic masks)
// and greedy ids with the KV cache equal the single-device model's exactly, for OPT and Llama. On the CPU
// a split moves nothing, so this checks the plumbing; tests/gpu/multi_device_check.sh checks real GPUs.
#include <catch2/catch.hpp>

#include <map>

#include <c10/core/GradMode.h>

#include "predictors/mask_sources.h"
#include "runtime/generate.h"
#include "runtime/model.h"
#include "tests/test_paths.h"

namespace harness {
namespace {

struct recorder : forward_observer {
  std::map<std::pair<hook_point, int64_t>, at::Tensor> seen;
  void observe(hook_point p, int64_t layer, const at::Tensor& value) override { seen[{p, layer}] = value.clone(); }
};

// Everything one model computes on a fixed input: a pass with fixed masks and an observer, a pass with
// dynamic (oracle) masks, and greedy decoding with the KV cache.
struct run_outputs {
  forward_output masked, dynamic;
  recorder hooks;
  greedy_result greedy;
};

run_outputs run_all(causal_lm& model, const at::Tensor& ids) {
  const model_config& c = model.config();
  std::vector<layer_mask> masks(c.num_layers);
  at::Tensor rows = at::arange(c.intermediate_size), heads = at::arange(c.num_heads);
  for (int64_t l = 0; l < c.num_layers; ++l) {
    masks[l].mlp_keep = (rows + l) % 3 != 0;  // [F]
    masks[l].head_keep = (heads + l) % 2 == 0;  // [H]
  }
  run_outputs out;
  forward_options opt;
  opt.observer = &out.hooks;
  opt.masks = &masks;
  opt.output_hidden_states = true;
  out.masked = model.forward({ids, {}, {}}, opt);
  oracle_masks oracle(c, make_sparsity_plan(c, 0.5, 0.5, false, {}, {0}));
  forward_options dyn;
  dyn.dynamic_masks = &oracle;
  out.dynamic = model.forward({ids, {}, {}}, dyn);
  greedy_options g;
  g.new_tokens = 6;
  out.greedy = greedy_generate(model, ids, {}, g);
  return out;
}

void check_equal(const run_outputs& split, const run_outputs& one) {
  CATCH_CHECK(split.masked.logits.device() == one.masked.logits.device());
  CATCH_CHECK(at::equal(split.masked.logits, one.masked.logits));
  CATCH_REQUIRE(split.masked.hidden_states.size() == one.masked.hidden_states.size());
  for (size_t i = 0; i < one.masked.hidden_states.size(); ++i)
    CATCH_CHECK(at::equal(split.masked.hidden_states[i], one.masked.hidden_states[i]));
  CATCH_REQUIRE(split.hooks.seen.size() == one.hooks.seen.size());
  for (const auto& [key, value] : one.hooks.seen) CATCH_CHECK(at::equal(split.hooks.seen.at(key), value));
  CATCH_CHECK(at::equal(split.dynamic.logits, one.dynamic.logits));
  CATCH_CHECK(at::equal(split.greedy.ids, one.greedy.ids));
  CATCH_CHECK(at::equal(split.greedy.step_logits, one.greedy.step_logits));
}

std::string model_dir(const std::string& name) {
  return name == "tinystories-656k" ? (test::project_dir() / "data/models" / name).string()
                                    : test::fixture_dir(name).string();
}

}  // namespace

CATCH_TEST_CASE("placement: a model split across cpu devices equals the model on one", "[placement][models]") {
  c10::NoGradGuard no_grad;
  auto name = GENERATE(as<std::string>{}, "tiny-llama3", "tiny-llama2", "tiny-opt", "tiny-opt350", "tinystories-656k");
  CATCH_INFO("model " << name);
  std::string dir = model_dir(name);
  auto one = load_model(dir, at::kFloat, at::Device(at::kCPU));
  int64_t vocab = one->config().vocab_size;
  at::Tensor ids = at::arange(2 * 7, at::kLong).view({2, 7}).mul(37).remainder(vocab);  // [2, 7]
  run_outputs reference = run_all(*one, ids);

  const at::Device cpu(at::kCPU);
  auto planned = load_model(dir, at::kFloat, std::vector<at::Device>{cpu, cpu});
  CATCH_CHECK(planned->placement().devices().size() == 2);
  int64_t layers = one->config().num_layers;
  std::vector<std::unique_ptr<causal_lm>> splits;
  splits.push_back(std::move(planned));
  if (layers >= 3) {
    std::vector<int64_t> uneven = {layers - 2, 1, 1};
    splits.push_back(load_model(dir, at::kFloat, device_placement({cpu, cpu, cpu}, uneven)));
    CATCH_CHECK(splits.back()->placement().layer_counts() == uneven);
  }
  for (const auto& split : splits) {
    CATCH_INFO("placement " << split->placement().describe().dump());
    CATCH_REQUIRE(split->weights().size() == one->weights().size());
    for (size_t i = 0; i < one->weights().size(); ++i) CATCH_CHECK(split->weights()[i].first == one->weights()[i].first);
    check_equal(run_all(*split, ids), reference);
  }
}

CATCH_TEST_CASE("placement: a placement for another layer count is refused", "[placement][models]") {
  const at::Device cpu(at::kCPU);
  CATCH_CHECK_THROWS_WITH(load_model(test::fixture_dir("tiny-opt").string(), at::kFloat, device_placement(cpu, 3)),
                          Catch::Contains("covers 3 layers but the model has 4"));
  CATCH_CHECK_THROWS_WITH(
      load_model(test::fixture_dir("tiny-opt").string(), at::kFloat, std::vector<at::Device>(5, cpu)),
      Catch::Contains("5 devices for 4 layers"));
}

}  // namespace harness
