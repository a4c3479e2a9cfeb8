// Drift statistics: similarities equal those computed directly from transformers' hidden states in the
// fixtures, and for the normalised inputs those of the hidden states normalised by hand; the attn_norm
// and mlp_norm hooks carry the projections' inputs; blocks that return zero give similarity 1 and ratio
// 0; summaries are exact on hand-made data and the bootstrap is deterministic for a seed.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>

#include <c10/core/GradMode.h>
#include <fmt/format.h>

#include "evals/drift.h"
#include "experiments/registry.h"
#include "runtime/json_file.h"
#include "runtime/model.h"
#include "runtime/safetensors.h"
#include "runtime/safetensors_writer.h"
#include "tests/test_support.h"

namespace harness {
namespace {

drift_samples run_drift_on(causal_lm& model, const at::Tensor& ids, int64_t max_n) {
  int64_t layers = model.config().num_layers;
  drift_recorder rec(layers);
  forward_options opt;
  opt.observer = &rec;
  model.forward({ids, {}, {}}, opt);
  drift_samples s(layers, max_n);
  s.add(rec, 0);
  return s;
}

at::Tensor as_tensor(const std::vector<float>& v) { return at::tensor(v, at::kFloat); }

// The norm in front of layer `layer`'s attention (or MLP) applied by hand to x [..., d], with the weights
// read from the checkpoint: Llama's RMSNorm x * rsqrt(mean(x^2) + eps) * w, pre-LN OPT's LayerNorm
// (x - mean) * rsqrt(var + 1e-5) * w + b; post-LN OPT's projections read x itself.
at::Tensor norm_by_hand(const safetensors_file& weights, const model_config& c, int64_t layer, bool mlp,
                        const at::Tensor& x) {
  auto load = [&](const std::string& name) { return weights.load(name, at::kFloat, at::Device(at::kCPU)); };
  std::string i = std::to_string(layer);
  if (c.arch == model_arch::llama)
    return x * at::rsqrt(x.pow(2).mean(-1, true) + c.rms_norm_eps) *
           load("model.layers." + i + (mlp ? ".post_attention_layernorm" : ".input_layernorm") + ".weight");
  if (!c.do_layer_norm_before) return x;
  std::string norm = "model.decoder.layers." + i + (mlp ? ".final_layer_norm" : ".self_attn_layer_norm");
  at::Tensor centred = x - x.mean(-1, true);
  return centred * at::rsqrt(centred.pow(2).mean(-1, true) + 1e-5) * load(norm + ".weight") + load(norm + ".bias");
}

safetensors_file fixture_weights(const std::string& name) {
  return safetensors_file((test::fixture_dir(name) / "model.safetensors").string());
}

// Every hook call of a pass, in order, with its value; used both as the observer and as the mask source.
struct hook_log : mask_source {
  std::vector<std::string> calls;  // "attn_in 0", "attn_norm 0", ...
  std::map<std::pair<hook_point, int64_t>, at::Tensor> seen;
  void observe(hook_point p, int64_t layer, const at::Tensor& value) override {
    calls.push_back(fmt::format("{} {}", hook_point_name(p), layer));
    seen[{p, layer}] = value.clone();
  }
  at::Tensor head_keep(int64_t, const at::Tensor&) override { return {}; }
  at::Tensor mlp_keep(int64_t, const at::Tensor&) override { return {}; }
};

}  // namespace

CATCH_TEST_CASE("drift: similarities equal those of transformers' hidden states", "[drift]") {
  c10::NoGradGuard no_grad;
  auto name = GENERATE(as<std::string>{}, "tiny-llama3", "tiny-opt");
  CATCH_INFO(name);
  safetensors_file ref((test::fixture_dir(name) / "reference.safetensors").string());
  at::Tensor hidden = ref.view("hidden_states").clone();  // [L+1, B, T, d]; entries 0..L-1 are layer inputs
  at::Tensor last = ref.view("last_layer_output").clone();  // [B, T, d]
  auto model = load_model(test::fixture_dir(name).string(), at::kFloat, at::Device(at::kCPU));
  int64_t layers = model->config().num_layers;
  drift_samples s = run_drift_on(*model, ref.view("input_ids").narrow(0, 0, 1).clone(), 3);
  auto residual = [&](int64_t l) { return l < layers ? hidden[l][0] : last[0]; };  // [T, d]
  for (int64_t l = 0; l < layers; ++l)
    for (int64_t n = 1; n <= 3 && l + n <= layers; ++n) {
      at::Tensor expected = at::cosine_similarity(residual(l), residual(l + n), 1);
      test::closeness c = test::all_close(as_tensor(s.cos[l][n - 1]), expected, 1e-5, 1e-4);
      CATCH_INFO("layer " << l << " distance " << n << ": " << c.report);
      CATCH_CHECK(c.ok);
    }
  CATCH_CHECK(s.cos[layers - 1][1].empty());  // x_{L+1} does not exist
}

CATCH_TEST_CASE("drift: normalised similarities equal those of the hidden states normalised by hand", "[drift]") {
  c10::NoGradGuard no_grad;
  auto name = GENERATE(as<std::string>{}, "tiny-llama3", "tiny-opt");
  CATCH_INFO(name);
  safetensors_file ref((test::fixture_dir(name) / "reference.safetensors").string());
  at::Tensor hidden = ref.view("hidden_states").clone();  // [L+1, B, T, d]; entries 0..L-1 are layer inputs
  auto model = load_model(test::fixture_dir(name).string(), at::kFloat, at::Device(at::kCPU));
  const model_config& c = model->config();
  int64_t layers = c.num_layers;
  drift_samples s = run_drift_on(*model, ref.view("input_ids").narrow(0, 0, 1).clone(), 3);
  safetensors_file weights = fixture_weights(name);
  std::vector<at::Tensor> z;  // L entries of [T, d]: what layer l's q/k/v projections read
  for (int64_t l = 0; l < layers; ++l) z.push_back(norm_by_hand(weights, c, l, false, hidden[l][0]));
  double largest_change = 0;  // of a similarity, from normalising
  for (int64_t l = 0; l < layers; ++l) {
    for (int64_t n = 1; n <= 3 && l + n < layers; ++n) {
      at::Tensor expected = at::cosine_similarity(z[l], z[l + n], 1);  // [T]
      test::closeness close = test::all_close(as_tensor(s.cos_normed[l][n - 1]), expected, 1e-5, 1e-4);
      CATCH_INFO("layer " << l << " distance " << n << ": " << close.report);
      CATCH_CHECK(close.ok);
      largest_change = std::max(largest_change, (expected - as_tensor(s.cos[l][n - 1])).abs().max().item<double>());
    }
    test::closeness norms = test::all_close(as_tensor(s.normed_norm[l]), z[l].norm(2, 1), 1e-5, 1e-4);
    CATCH_INFO("layer " << l << " norm: " << norms.report);
    CATCH_CHECK(norms.ok);
  }
  CATCH_CHECK(largest_change > 1e-2);           // the norm's weights do change the similarities
  CATCH_CHECK(s.cos_normed[layers - 1][0].empty());  // z_L does not exist
  CATCH_CHECK(s.cos_normed[layers - 2][1].empty());
}

CATCH_TEST_CASE("drift: post-LN OPT's normalised inputs are its raw block inputs", "[drift]") {
  c10::NoGradGuard no_grad;
  safetensors_file ref((test::fixture_dir("tiny-opt350") / "reference.safetensors").string());
  auto model = load_model(test::fixture_dir("tiny-opt350").string(), at::kFloat, at::Device(at::kCPU));
  CATCH_REQUIRE_FALSE(model->config().do_layer_norm_before);
  int64_t layers = model->config().num_layers;
  drift_samples s = run_drift_on(*model, ref.view("input_ids").narrow(0, 0, 1).clone(), 3);
  for (int64_t l = 0; l < layers; ++l) {
    CATCH_INFO("layer " << l);
    for (int64_t n = 1; n <= 3 && l + n < layers; ++n) CATCH_CHECK(s.cos_normed[l][n - 1] == s.cos[l][n - 1]);
    CATCH_CHECK(s.normed_norm[l] == s.x_norm[l]);
  }
}

CATCH_TEST_CASE("drift: the attn_norm and mlp_norm hooks carry the projections' inputs in forward order", "[drift]") {
  c10::NoGradGuard no_grad;
  auto name = GENERATE(as<std::string>{}, "tiny-llama3", "tiny-opt", "tiny-opt350");
  CATCH_INFO(name);
  safetensors_file ref((test::fixture_dir(name) / "reference.safetensors").string());
  auto model = load_model(test::fixture_dir(name).string(), at::kFloat, at::Device(at::kCPU));
  const model_config& c = model->config();
  hook_log observer, source;
  forward_options opt;
  opt.observer = &observer;
  opt.dynamic_masks = &source;
  model->forward({ref.view("input_ids").clone(), {}, {}}, opt);  // [2, 24]
  std::vector<std::string> expected;
  for (int64_t l = 0; l < c.num_layers; ++l)
    for (int p = 0; p < hook_point_count; ++p)
      expected.push_back(fmt::format("{} {}", hook_point_name(static_cast<hook_point>(p)), l));
  CATCH_CHECK(observer.calls == expected);
  CATCH_CHECK(source.calls == expected);
  safetensors_file weights = fixture_weights(name);
  for (int64_t l = 0; l < c.num_layers; ++l) {
    CATCH_INFO("layer " << l);
    for (auto [in, normed, mlp] : {std::tuple{hook_point::attn_in, hook_point::attn_norm, false},
                                   std::tuple{hook_point::mlp_in, hook_point::mlp_norm, true}}) {
      at::Tensor x = observer.seen.at({in, l}), z = observer.seen.at({normed, l});  // [2, 24, d]
      CATCH_CHECK(z.sizes().vec() == x.sizes().vec());
      test::closeness close = test::all_close(z, norm_by_hand(weights, c, l, mlp, x), 1e-5, 1e-4);
      CATCH_INFO(hook_point_name(normed) << ": " << close.report);
      CATCH_CHECK(close.ok);
      if (!c.do_layer_norm_before && c.arch == model_arch::opt) CATCH_CHECK(at::equal(z, x));
    }
  }
}

CATCH_TEST_CASE("drift: every hook point's name maps back to it", "[drift]") {
  std::set<std::string> names;
  for (int p = 0; p < hook_point_count; ++p) {
    hook_point point = static_cast<hook_point>(p);
    names.insert(hook_point_name(point));
    CATCH_CHECK(hook_point_from_name(hook_point_name(point)) == point);
  }
  CATCH_CHECK(names.size() == static_cast<size_t>(hook_point_count));
  CATCH_CHECK(std::string(hook_point_name(hook_point::attn_norm)) == "attn_norm");
  CATCH_CHECK(std::string(hook_point_name(hook_point::mlp_norm)) == "mlp_norm");
  CATCH_CHECK_THROWS_WITH(hook_point_from_name("attn_normed"), Catch::Contains("attn_norm, attn_heads"));
}

CATCH_TEST_CASE("drift: the case has tiny and paper presets and records the normalised fields per layer", "[drift]") {
  const experiment_case& c = find_case("drift");
  CATCH_CHECK(c.version == 2);
  case_args paper = resolve_args(c, {{"preset", "paper"}});
  CATCH_CHECK(paper.get("device") == "cuda");
  CATCH_CHECK(paper.get("dtype") == "bf16");
  CATCH_CHECK(paper.get_int("docs") * paper.get_int("seqlen") == 64 * 2048);
  CATCH_CHECK(paper.get_int("max-distance") == 8);
  CATCH_CHECK(paper.get_int("bootstrap") == 1000);
  CATCH_CHECK_THROWS_WITH(c.run(paper), Catch::Contains("--model is required"));
  case_args tiny = resolve_args(c, {{"preset", "tiny"}});
  CATCH_CHECK(tiny.get("model") == "data/models/tinystories-656k");
  CATCH_CHECK(tiny.get_int("docs") * tiny.get_int("seqlen") == 16 * 128);

  // A small run of the tiny preset on the shipped 2-layer model: 2 documents of 16 tokens.
  test::temp_dir out("drift-case");
  std::filesystem::path root = test::project_dir();
  c.run(resolve_args(c, {{"preset", "tiny"},
                         {"model", (root / "data/models/tinystories-656k").string()},
                         {"data", (root / "data/eval/wikitext-2-raw/wiki.test.raw").string()},
                         {"docs", "2"},
                         {"seqlen", "16"},
                         {"bootstrap", "20"},
                         {"max-distance", "3"},
                         {"out", out.path().string()}}));
  std::vector<std::filesystem::path> results;
  for (const auto& f : std::filesystem::recursive_directory_iterator(out.path() / "drift"))
    if (f.path().extension() == ".json") results.push_back(f.path());
  CATCH_REQUIRE(results.size() == 1);
  nlohmann::json per_layer = read_json_file(results[0].string())["metrics"]["per_layer"];
  CATCH_REQUIRE(per_layer.size() == 2);
  for (const char* field : {"norm_x", "norm_attn_out", "norm_mlp_out", "ratio_attn", "ratio_mlp", "norm_x_normed"})
    for (const auto& layer : per_layer) CATCH_CHECK(layer.at(field).at("tokens") == 32);
  CATCH_CHECK(per_layer[0]["cos_with_next"].size() == 2);         // x_1 and x_2 (the output)
  CATCH_CHECK(per_layer[0]["cos_with_next_normed"].size() == 1);  // z_1 only
  CATCH_CHECK(per_layer[0]["cos_with_next_normed"]["1"]["tokens"] == 32);
  CATCH_CHECK(per_layer[1]["cos_with_next"].size() == 1);
  CATCH_CHECK_FALSE(per_layer[1].contains("cos_with_next_normed"));
  CATCH_CHECK(per_layer[1]["norm_x_normed"]["median"].get<double>() > 0);
}

CATCH_TEST_CASE("drift: blocks that return zero give similarity 1 and ratio 0", "[drift]") {
  c10::NoGradGuard no_grad;
  test::temp_dir dir("identity");
  test::copy_model(test::fixture_dir("tiny-llama2"), dir.path());
  safetensors_file source((test::fixture_dir("tiny-llama2") / "model.safetensors").string());
  named_tensors tensors;
  for (const auto& t : source.header().tensors) {
    at::Tensor w = source.view(t.name).clone();
    if (t.name.find("o_proj") != std::string::npos || t.name.find("down_proj") != std::string::npos) w.zero_();
    tensors.push_back({t.name, w});
  }
  write_safetensors((dir.path() / "model.safetensors").string(), tensors);
  auto model = load_model(dir.path().string(), at::kFloat, at::Device(at::kCPU));
  drift_samples s = run_drift_on(*model, at::arange(5, 25, at::kLong).unsqueeze(0), 4);
  for (int64_t l = 0; l < 4; ++l) {
    CATCH_INFO("layer " << l);
    CATCH_CHECK(as_tensor(s.cos[l][0]).sub(1).abs().max().item<float>() < 1e-6);
    CATCH_CHECK(as_tensor(s.attn_ratio[l]).abs().max().item<float>() == 0.0f);
    CATCH_CHECK(as_tensor(s.mlp_ratio[l]).abs().max().item<float>() == 0.0f);
    CATCH_CHECK(as_tensor(s.x_norm[l]).min().item<float>() > 0.0f);
  }
}

CATCH_TEST_CASE("drift: summaries on hand-made data and a deterministic bootstrap", "[drift]") {
  // Quartiles with linear interpolation: {1, 2, 3, 4} -> q1 1.75, median 2.5, q3 3.25.
  robust_summary one = summarize({4, 1, 3, 2}, {0, 0, 0, 0}, 50, 7);
  CATCH_CHECK(one.median == 2.5);
  CATCH_CHECK(one.q1 == 1.75);
  CATCH_CHECK(one.q3 == 3.25);
  CATCH_CHECK(one.ci_low == 2.5);  // a single document: every resample is the same data
  CATCH_CHECK(one.ci_high == 2.5);

  std::vector<float> values;
  std::vector<int64_t> docs;
  for (int d = 0; d < 20; ++d)
    for (int t = 0; t < 10; ++t) {
      values.push_back(static_cast<float>(d) + 0.01f * t);
      docs.push_back(d);
    }
  robust_summary a = summarize(values, docs, 400, 11), b = summarize(values, docs, 400, 11);
  robust_summary c = summarize(values, docs, 400, 12);
  CATCH_CHECK(a.ci_low == b.ci_low);
  CATCH_CHECK(a.ci_high == b.ci_high);
  CATCH_CHECK((a.ci_low != c.ci_low || a.ci_high != c.ci_high));
  CATCH_CHECK(a.ci_low < a.median);
  CATCH_CHECK(a.median < a.ci_high);
  CATCH_CHECK(a.count == 200);
}

}  // namespace harness
