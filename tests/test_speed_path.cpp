// The forward's speed path (runtime/speed_path.h, kernels/model_kernels.h) checked against the accuracy
// path: on Llama (GQA with RoPE: tinystories-656k, tiny-llama3; MHA: tiny-llama2) and OPT (pre-LN tiny-opt,
// post-LN tiny-opt350), a dense prefill then decode steps whose masked MLPs and attention run through the
// sparse kernels give the logits and KV cache of the same masks applied as masks -- with fixed masks shared
// by the batch or per row, and with predicted masks; dropped KV groups are left unwritten when asked; prefill
// passes and unmasked sub-blocks run as usual; masks a decode step cannot know in advance (oracle), and
// padded batches under a head mask, are refused.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>

#include <c10/core/GradMode.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "kernels/layer_attention_weights.h"
#include "kernels/layer_mlp_weights.h"
#include "kernels/model_kernels.h"
#include "kernels/model_weight.h"
#include "predictors/mask_sources.h"
#include "runtime/model.h"
#include "tests/test_support.h"

namespace harness {
namespace {

using test::nmse;

std::string model_path(const std::string& name) {
  return name == "tinystories-656k" ? (test::project_dir() / "data/models" / name).string() : test::fixture_dir(name).string();
}

// A model on the CPU with its decode kernels.
struct model_with_kernels {
  std::unique_ptr<causal_lm> model;
  std::unique_ptr<model_kernels> kernels;
  explicit model_with_kernels(const std::string& name, dropped_kv dropped = dropped_kv::write)
      : model(load_model(model_path(name), at::kFloat, at::Device(at::kCPU))),
        kernels(std::make_unique<model_kernels>(*model, dropped)) {}
};

// Per layer, a random keep of about half the neurons and heads: shared [W] (rows = 0) or per row [B, 1, W].
std::vector<layer_mask> random_masks(const model_config& c, int64_t rows, int64_t seed) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto keep = [&](int64_t width) {
    std::vector<int64_t> shape = rows == 0 ? std::vector<int64_t>{width} : std::vector<int64_t>{rows, 1, width};
    return at::rand(shape, gen) < 0.5;
  };
  std::vector<layer_mask> masks(c.num_layers);
  for (int64_t l = 0; l < c.num_layers; ++l) {
    masks[l].mlp_keep = keep(c.intermediate_size);
    masks[l].head_keep = keep(c.num_heads);
  }
  masks[0].mlp_keep = at::Tensor();  // one dense sub-block: it runs as usual on both paths
  return masks;
}

// Which hook points a pass showed, per layer.
struct seen_points : forward_observer {
  std::set<std::pair<int, int64_t>> seen;
  void observe(hook_point p, int64_t layer, const at::Tensor&) override { seen.insert({static_cast<int>(p), layer}); }
  bool saw(hook_point p, int64_t layer) const { return seen.count({static_cast<int>(p), layer}) > 0; }
};

// A dense prefill of `prompt` [B, T] into a fresh cache, then `steps` greedy decode steps of row 0's choice
// (fed to every row) with `opt`'s masks; returns each step's logits [B, 1, V] and leaves the cache.
std::vector<at::Tensor> decode(causal_lm& model, const at::Tensor& prompt, int64_t steps, forward_options opt,
                               kv_cache& cache) {
  forward_options prefill;
  prefill.cache = &cache;
  at::Tensor next = model.forward({prompt, {}, {}}, prefill).logits.select(1, -1).argmax(-1);  // [B]
  opt.cache = &cache;
  std::vector<at::Tensor> logits;
  for (int64_t s = 0; s < steps; ++s) {
    at::Tensor step_ids = next[0].expand({prompt.size(0), 1}).contiguous();  // [B, 1]
    logits.push_back(model.forward({step_ids, {}, {}}, opt).logits);
    next = logits.back().select(1, 0).argmax(-1);
  }
  return logits;
}

// Logits and the cache's keys and values within NMSE `bound`: 1e-9 on the CPU, where the paths differ
// only in the order of float32 sums; 1e-7 on the GPU, the kernel tests' float32 bound.
void check_same(const std::vector<at::Tensor>& fast, const std::vector<at::Tensor>& slow, kv_cache& fast_cache,
                kv_cache& slow_cache, int64_t layers, double bound = 1e-9) {
  for (size_t s = 0; s < fast.size(); ++s) {
    double err = nmse(fast[s], slow[s]);
    CATCH_INFO("step " << s << " logits NMSE " << err);
    CATCH_CHECK(err < bound);
  }
  for (int64_t l = 0; l < layers; ++l) {
    int64_t n = slow_cache.length();
    CATCH_CHECK(nmse(fast_cache.keys(l).narrow(2, 0, n), slow_cache.keys(l).narrow(2, 0, n)) < bound);
    CATCH_CHECK(nmse(fast_cache.values(l).narrow(2, 0, n), slow_cache.values(l).narrow(2, 0, n)) < bound);
  }
}

}  // namespace

CATCH_TEST_CASE("speed path: decode steps through the sparse kernels equal the masks applied as masks", "[speed_path]") {
  c10::NoGradGuard no_grad;
  // On the CPU, and also on the GPU (the CUDA kernels) where the build has them and a GPU is present.
  std::vector<at::Device> devices = {at::Device(at::kCPU)};
  if (sparse_mlp_cuda_built() && at::hasCUDA()) devices.emplace_back(at::kCUDA, 0);
  std::vector<std::pair<at::Device, std::string>> runs;
  for (const at::Device& device : devices)
    for (const char* name : {"tinystories-656k", "tiny-llama3", "tiny-llama2", "tiny-opt", "tiny-opt350"})
      runs.emplace_back(device, name);
  for (const auto& [device, name] : runs) {
    for (int64_t rows : {0, 2}) {  // masks shared by the batch, or one per row
      CATCH_INFO(name << " on " << device.str() << (rows == 0 ? ", shared masks" : ", per-row masks"));
      auto model = load_model(model_path(name), at::kFloat, device);
      const model_config& c = model->config();
      model_kernels kernels(*model);
      std::vector<layer_mask> masks = random_masks(c, rows, 7);
      at::Tensor prompt = at::arange(3, 15, at::kLong).view({2, 6});  // [B = 2, 6]
      forward_options accuracy, speed;
      accuracy.masks = speed.masks = &masks;
      speed.kernels = &kernels;
      seen_points points;
      speed.observer = &points;
      kv_cache slow_cache = model->make_cache(2, 16), fast_cache = model->make_cache(2, 16);
      std::vector<at::Tensor> slow = decode(*model, prompt, 4, accuracy, slow_cache);
      std::vector<at::Tensor> fast = decode(*model, prompt, 4, speed, fast_cache);
      check_same(fast, slow, fast_cache, slow_cache, c.num_layers, device.is_cuda() ? 1e-7 : 1e-9);
      // The kernels ran where a mask was given: layer 0's dense MLP showed its activation, layer 1 did not.
      CATCH_CHECK(points.saw(hook_point::mlp_act, 0));
      CATCH_CHECK(!points.saw(hook_point::mlp_act, 1));
      CATCH_CHECK(!points.saw(hook_point::attn_heads, 0));
      CATCH_CHECK(points.saw(hook_point::mlp_out, 1));
    }
  }
}

CATCH_TEST_CASE("speed path: predicted masks drive the kernels as they drive the masks", "[speed_path]") {
  c10::NoGradGuard no_grad;
  model_with_kernels m("tiny-llama3");
  causal_lm* model = m.model.get();
  const model_config& c = model->config();
  torch::manual_seed(3);
  std::map<int64_t, predictor> mlp, heads;
  for (int64_t l = 0; l < c.num_layers; ++l) {
    mlp.emplace(l, predictor(predictor_shape{c.hidden_size, 16, c.intermediate_size, false}));
    heads.emplace(l, predictor(predictor_shape{c.hidden_size, 16, c.num_kv_heads, false}));
  }
  // KV-group heads (GQA: one of the two groups kept), MLP from the layer's own input, heads one layer ahead.
  sparsity_plan plan = make_sparsity_plan(c, 0.7, 0.5, /*kv_groups=*/true, {}, {0});
  predicted_masks slow_masks(c, plan, mlp, parse_predictor_input("mlp_in"), heads, parse_predictor_input("attn_in-1"));
  predicted_masks fast_masks(c, plan, mlp, parse_predictor_input("mlp_in"), heads, parse_predictor_input("attn_in-1"));
  forward_options accuracy, speed;
  accuracy.dynamic_masks = &slow_masks;
  speed.dynamic_masks = &fast_masks;
  speed.kernels = m.kernels.get();
  at::Tensor prompt = at::arange(20, 30, at::kLong).view({1, 10});
  kv_cache slow_cache = model->make_cache(1, 16), fast_cache = model->make_cache(1, 16);
  std::vector<at::Tensor> slow = decode(*model, prompt, 5, accuracy, slow_cache);
  std::vector<at::Tensor> fast = decode(*model, prompt, 5, speed, fast_cache);
  check_same(fast, slow, fast_cache, slow_cache, c.num_layers);
}

CATCH_TEST_CASE("speed path: dropped KV groups can be left unwritten as DejaVu's decode leaves them", "[speed_path]") {
  c10::NoGradGuard no_grad;
  model_with_kernels m("tinystories-656k", dropped_kv::skip);  // 8 query heads in 4 KV groups
  causal_lm* model = m.model.get();
  const model_config& c = model->config();
  std::vector<layer_mask> masks(c.num_layers);
  for (layer_mask& m : masks) m.head_keep = at::tensor({1, 1, 0, 0, 0, 1, 0, 0}, at::kLong).to(at::kBool);  // groups 0 and 2
  kv_cache cache = model->make_cache(1, 8);
  forward_options prefill;
  prefill.cache = &cache;
  model->forward({at::arange(5, 10, at::kLong).view({1, 5}), {}, {}}, prefill);
  for (int64_t l = 0; l < c.num_layers; ++l) cache.keys(l).narrow(2, 5, 1).fill_(42.0);
  forward_options speed;
  speed.cache = &cache;
  speed.masks = &masks;
  speed.kernels = m.kernels.get();
  model->forward({at::full({1, 1}, 11, at::kLong), {}, {}}, speed);
  for (int64_t l = 0; l < c.num_layers; ++l) {
    at::Tensor slot = cache.keys(l).select(2, 5);  // [1, KV, hd]
    CATCH_CHECK(!at::equal(slot.select(1, 0), at::full_like(slot.select(1, 0), 42.0)));
    CATCH_CHECK(at::equal(slot.select(1, 1), at::full_like(slot.select(1, 1), 42.0)));
    CATCH_CHECK(!at::equal(slot.select(1, 2), at::full_like(slot.select(1, 2), 42.0)));
    CATCH_CHECK(at::equal(slot.select(1, 3), at::full_like(slot.select(1, 3), 42.0)));
  }
  CATCH_CHECK(parse_dropped_kv("write") == dropped_kv::write);
  CATCH_CHECK_THROWS_WITH(parse_dropped_kv("drop"), Catch::Contains("'drop' is not write or skip"));
}

CATCH_TEST_CASE("speed path: the kernels share the model's weights except the transposed down and o", "[speed_path]") {
  for (const char* name : {"tiny-llama3", "tiny-opt"}) {
    CATCH_INFO(name);
    auto model = load_model(model_path(name), at::kFloat, at::Device(at::kCPU));
    const model_config& c = model->config();
    const bool opt = c.arch == model_arch::opt;
    const int64_t d = c.hidden_size, f = c.intermediate_size, q = c.num_heads * c.head_dim, kv = c.num_kv_heads * c.head_dim;
    for (int64_t l = 0; l < c.num_layers; ++l) {
      auto same = [&](const at::Tensor& t, const std::string& name, std::vector<int64_t> shape) {
        return t.data_ptr() == model_weight(*model, fmt::format("layers.{}.{}", l, name), shape).data_ptr();
      };
      sparse_mlp_weights m = load_layer_mlp(*model, l);
      CATCH_CHECK(same(m.w_in, opt ? "fc1.weight" : "mlp.gate_proj.weight", {f, d}));
      if (!opt) CATCH_CHECK(same(m.w_up, "mlp.up_proj.weight", {f, d}));
      at::Tensor down = model_weight(*model, fmt::format("layers.{}.{}", l, opt ? "fc2.weight" : "mlp.down_proj.weight"), {d, f});
      CATCH_CHECK(m.w_out_t.data_ptr() != down.data_ptr());
      CATCH_CHECK(m.w_out_t.equal(down.t()));
      head_sparse_attention_weights a = load_layer_attention(*model, l);
      CATCH_CHECK(same(a.w_q, "self_attn.q_proj.weight", {q, d}));
      CATCH_CHECK(same(a.w_k, "self_attn.k_proj.weight", {kv, d}));
      CATCH_CHECK(same(a.w_v, "self_attn.v_proj.weight", {kv, d}));
      at::Tensor o = model_weight(*model, fmt::format("layers.{}.self_attn.{}.weight", l, opt ? "out_proj" : "o_proj"), {d, q});
      CATCH_CHECK(a.w_o_t.data_ptr() != o.data_ptr());
      CATCH_CHECK(a.w_o_t.equal(o.t()));
    }
    // A name is matched whole after the module prefix, and its shape is checked.
    CATCH_CHECK_THROWS_WITH(model_weight(*model, "ayers.0.self_attn.q_proj.weight", {q, d}),
                            Catch::Contains("the model has no weight ayers.0.self_attn.q_proj.weight"));
    CATCH_CHECK_THROWS_WITH(model_weight(*model, "layers.0.self_attn.q_proj.weight", {d, q + 1}),
                            Catch::Contains("self_attn.q_proj.weight: shape") && Catch::Contains("the kernels need"));
  }
}

CATCH_TEST_CASE("speed path: what it cannot run is refused with a clear error; prefill runs as usual", "[speed_path]") {
  c10::NoGradGuard no_grad;
  model_with_kernels m("tiny-llama3");
  causal_lm* model = m.model.get();
  const model_config& c = model->config();
  kv_cache cache = model->make_cache(2, 8);
  forward_options opt;
  opt.cache = &cache;
  opt.kernels = m.kernels.get();
  // A prefill with kernels and masks computes the masked values as the accuracy path does.
  std::vector<layer_mask> masks = random_masks(c, 0, 1);
  opt.masks = &masks;
  seen_points points;
  opt.observer = &points;
  at::Tensor left_padded = at::tensor({0, 1, 1, 1, 1, 1, 1, 1}, at::kLong).view({2, 4});
  model->forward({at::arange(1, 9, at::kLong).view({2, 4}), left_padded, {}}, opt);
  CATCH_CHECK(points.saw(hook_point::mlp_act, 1));
  // A mask of the wrong width is named, as the accuracy path names it.
  std::vector<layer_mask> narrow_masks = random_masks(c, 0, 1);
  narrow_masks[1].mlp_keep = at::ones({c.intermediate_size - 1}, at::kBool);
  opt.masks = &narrow_masks;
  CATCH_CHECK_THROWS_WITH(model->forward({at::ones({2, 1}, at::kLong), {}, {}}, opt),
                          Catch::Contains("layer 1: MLP neuron mask has shape [175]; expected [176] or [2, 1, 176]"));
  opt.masks = &masks;
  // A decode step of a padded batch cannot use the attention kernels.
  at::Tensor padded_step = at::tensor({0, 1, 1, 1, 1, 1, 1, 1, 1, 1}, at::kLong).view({2, 5});
  CATCH_CHECK_THROWS_WITH(model->forward({at::ones({2, 1}, at::kLong), padded_step, {}}, opt),
                          Catch::Contains("batch with padding"));
  // Oracle masks need the dense values first.
  oracle_masks oracle(c, make_sparsity_plan(c, 0.5, 0, false, {}, {}));
  opt.masks = nullptr;
  opt.dynamic_masks = &oracle;
  CATCH_CHECK_THROWS_WITH(model->forward({at::ones({2, 1}, at::kLong), {}, {}}, opt),
                          Catch::Contains("reads the dense values") && Catch::Contains("predicted masks"));
  // A model whose MLP activation the kernels do not compute.
  test::temp_dir tmp("speed-path");
  test::copy_model(test::fixture_dir("tiny-opt"), tmp.path() / "gelu");
  std::string config = (tmp.path() / "gelu/config.json").string();
  nlohmann::json j = nlohmann::json::parse(std::ifstream(config));
  j["activation_function"] = "gelu";
  std::ofstream(config) << j.dump();
  auto gelu = load_model((tmp.path() / "gelu").string(), at::kFloat, at::Device(at::kCPU));
  CATCH_CHECK_THROWS_WITH(model_kernels(*gelu),
                          Catch::Contains(config + ": the sparse MLP kernels compute relu but config.json's activation is gelu"));
}

}  // namespace harness
