// Drift statistics: similarities equal those computed directly from transformers' hidden states in the
// fixtures; blocks that return zero give similarity 1 and ratio 0; summaries are exact on hand-made data
// and the bootstrap is deterministic for a seed.
#include <catch2/catch.hpp>

#include <c10/core/GradMode.h>

#include "evals/drift.h"
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
