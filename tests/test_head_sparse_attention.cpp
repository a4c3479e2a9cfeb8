// Head-sparse decode attention: the CPU variant equals the libtorch reference (NMSE, thresholds as in
// test_kernels.cpp) on random GQA/RoPE and MHA/bias weights, fp32 and bf16; a KV group is projected and
// its cache slot written only when one of its query heads is kept; no kept head gives the output bias;
// bad kept heads are rejected; and on the shipped tinystories-656k model, the kernel on layer 0 equals the
// model's attn_out hook for the last token, dense and with the same heads masked; and every layer of
// tinystories-656k and tiny-opt, loaded by load_layer_attention, equals the model decoding with its cache.
#include <catch2/catch.hpp>

#include <c10/core/GradMode.h>

#include "kernels/head_sparse_attention.h"
#include "kernels/layer_attention_weights.h"
#include "runtime/checkpoint.h"
#include "runtime/error.h"
#include "runtime/layers.h"
#include "runtime/model.h"
#include "runtime/rope.h"
#include "tests/test_support.h"

namespace harness {
namespace {

using test::nmse;

struct attention_case {
  head_sparse_attention_weights w;
  decode_step step;
};

// B = 2 sequences, `past` tokens cached in a random cache of capacity past + 3.
attention_case random_case(int64_t heads, int64_t kv_heads, int64_t hd, int64_t d, bool biases, bool rope,
                           at::ScalarType dtype, int64_t past) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(42);
  auto m = [&](int64_t r, int64_t c) { return (at::randn({r, c}, gen) / std::sqrt(double(c))).to(dtype); };
  auto b = [&](int64_t n) { return biases ? (at::randn({n}, gen) * 0.1).to(dtype) : at::Tensor(); };
  attention_case c;
  at::Tensor q = m(heads * hd, d), k = m(kv_heads * hd, d), v = m(kv_heads * hd, d), o = m(d, heads * hd);
  at::Tensor bq = b(heads * hd), bk = b(kv_heads * hd), bv = b(kv_heads * hd), bo = b(d);
  c.w = prepare_head_sparse_attention(q, k, v, o, heads, kv_heads, bq, bk, bv, bo);
  c.step.x = at::randn({2, d}, gen).to(dtype);
  c.step.k_cache = at::randn({2, kv_heads, past + 3, hd}, gen).to(dtype);
  c.step.v_cache = at::randn({2, kv_heads, past + 3, hd}, gen).to(dtype);
  c.step.past = past;
  c.step.score_scale = 1.0 / std::sqrt(static_cast<double>(hd));
  if (rope) {
    at::Tensor angle = at::rand({2, hd / 2}, gen) * 6.0;
    c.step.cos = at::cat({angle.cos(), angle.cos()}, 1).to(dtype);
    c.step.sin = at::cat({angle.sin(), angle.sin()}, 1).to(dtype);
  }
  return c;
}

// The same step on private copies of the caches.
decode_step with_fresh_caches(const decode_step& s) {
  decode_step copy = s;
  copy.k_cache = s.k_cache.clone();
  copy.v_cache = s.v_cache.clone();
  return copy;
}

at::Tensor heads_tensor(std::vector<int64_t> h) { return at::tensor(h, at::kLong); }

}  // namespace

CATCH_TEST_CASE("head-sparse attention: the CPU variant matches the reference", "[kernels]") {
  c10::NoGradGuard no_grad;
  auto dtype = GENERATE(at::kFloat, at::kBFloat16);
  auto gqa = GENERATE(true, false);
  // GQA with RoPE (8 query heads in 2 groups of 4, Llama-like) or MHA with biases (OPT-like).
  attention_case c =
      gqa ? random_case(8, 2, 16, 96, false, true, dtype, 5) : random_case(4, 4, 16, 64, true, false, dtype, 7);
  double bound = dtype == at::kFloat ? 1e-7 : 1e-4;
  for (std::vector<int64_t> kept : {std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}, {1, 2, 5}, {0, 3}, {3}}) {
    if (!gqa) std::erase_if(kept, [](int64_t h) { return h >= 4; });
    CATCH_INFO((gqa ? "GQA" : "MHA") << " " << c10::toString(dtype) << " kept " << kept.size() << " heads");
    decode_step ref_step = with_fresh_caches(c.step), cpu_step = with_fresh_caches(c.step);
    at::Tensor expected = head_sparse_attention_reference(c.w, ref_step, heads_tensor(kept));
    at::Tensor got = head_sparse_attention_cpu(c.w, cpu_step, heads_tensor(kept));
    CATCH_REQUIRE(got.scalar_type() == dtype);
    double err = nmse(got, expected);
    CATCH_INFO("NMSE " << err);
    CATCH_CHECK(err < bound);
    // Both wrote the same new keys and values (bf16: up to one rounding of a different fp32 value).
    CATCH_CHECK(nmse(cpu_step.k_cache, ref_step.k_cache) < bound);
    CATCH_CHECK(nmse(cpu_step.v_cache, ref_step.v_cache) < bound);
    // The loops built for the baseline ISA agree with the AVX2 ones.
    decode_step base_step = with_fresh_caches(c.step);
    at::Tensor baseline = head_sparse_attention_cpu(c.w, base_step, heads_tensor(kept), cpu_loops::baseline);
    CATCH_CHECK(nmse(baseline, got) < bound);
  }
}

CATCH_TEST_CASE("head-sparse attention: a KV group is skipped only when all its heads are dropped", "[kernels]") {
  c10::NoGradGuard no_grad;
  attention_case c = random_case(8, 2, 16, 96, false, true, at::kFloat, 5);  // group 0: heads 0-3, group 1: 4-7
  CATCH_CHECK(at::equal(kept_kv_groups(heads_tensor({1, 2, 3}), 8, 2), heads_tensor({0})));
  CATCH_CHECK(at::equal(kept_kv_groups(heads_tensor({3, 4}), 8, 2), heads_tensor({0, 1})));
  CATCH_CHECK(kept_kv_groups(heads_tensor({}), 8, 2).numel() == 0);
  at::Tensor k_before = c.step.k_cache.clone(), v_before = c.step.v_cache.clone();
  decode_step step = with_fresh_caches(c.step);
  head_sparse_attention_cpu(c.w, step, heads_tensor({1, 2, 3}));
  // Group 1 (all heads dropped): nothing written anywhere. Group 0: only position `past` changed.
  CATCH_CHECK(at::equal(step.k_cache.select(1, 1), k_before.select(1, 1)));
  CATCH_CHECK(at::equal(step.v_cache.select(1, 1), v_before.select(1, 1)));
  CATCH_CHECK(!at::equal(step.k_cache.select(1, 0).select(1, 5), k_before.select(1, 0).select(1, 5)));
  CATCH_CHECK(at::equal(step.k_cache.select(1, 0).narrow(1, 0, 5), k_before.select(1, 0).narrow(1, 0, 5)));
  CATCH_CHECK(at::equal(step.k_cache.select(1, 0).narrow(1, 6, 2), k_before.select(1, 0).narrow(1, 6, 2)));
  // No kept head: the output is the o_proj bias (zeros without one), and the caches are untouched.
  attention_case biased = random_case(4, 4, 16, 64, true, false, at::kFloat, 3);
  decode_step none_step = with_fresh_caches(biased.step);
  at::Tensor none = head_sparse_attention_cpu(biased.w, none_step, heads_tensor({}));
  CATCH_CHECK(at::equal(none, biased.w.b_o.expand({2, 64})));
  CATCH_CHECK(at::equal(head_sparse_attention_reference(biased.w, with_fresh_caches(biased.step), heads_tensor({})),
                        biased.w.b_o.expand({2, 64})));
  CATCH_CHECK(at::equal(none_step.k_cache, biased.step.k_cache));
  at::Tensor zeros = head_sparse_attention_cpu(c.w, with_fresh_caches(c.step), heads_tensor({}));
  CATCH_CHECK(at::equal(zeros, at::zeros({2, 96})));
}

CATCH_TEST_CASE("head-sparse attention: bad kept heads are rejected with a clear error", "[kernels]") {
  attention_case c = random_case(8, 2, 16, 96, false, true, at::kFloat, 5);
  using Catch::Matchers::Contains;
  CATCH_CHECK_THROWS_WITH(head_sparse_attention_cpu(c.w, c.step, heads_tensor({4, 2})),
                          Contains("strictly ascending") && Contains("holds 2 after 4"));
  CATCH_CHECK_THROWS_WITH(head_sparse_attention_reference(c.w, c.step, heads_tensor({2, 2})),
                          Contains("strictly ascending"));
  CATCH_CHECK_THROWS_WITH(head_sparse_attention_cpu(c.w, c.step, heads_tensor({8})),
                          Contains("kept head 8 at position 0 is out of range [0, 8)"));
  CATCH_CHECK_THROWS_WITH(head_sparse_attention_cpu(c.w, c.step, heads_tensor({1}).to(at::kInt)),
                          Contains("1-D int64"));
  decode_step full = c.step;
  full.past = full.k_cache.size(2);
  CATCH_CHECK_THROWS_WITH(head_sparse_attention_cpu(c.w, full, heads_tensor({1})), Contains("does not fit"));
}

CATCH_TEST_CASE("head-sparse attention: the kernel equals the model's attn_out on tinystories-656k", "[kernels]") {
  // Layer 0 of the last of 9 tokens: the cache holds the keys/values of the first 8, computed from the
  // recorded attn_in with the runtime's own RoPE; dense, and with heads masked in the forward.
  c10::NoGradGuard no_grad;
  std::string dir = (test::project_dir() / "data/models/tinystories-656k").string();
  auto model = load_model(dir, at::kFloat, at::Device(at::kCPU));
  const model_config& c = model->config();
  int64_t d = c.hidden_size, hd = c.head_dim, t = 9;
  checkpoint ckpt(dir);
  at::Device cpu(at::kCPU);
  auto get = [&](const std::string& name, std::vector<int64_t> shape) {
    return ckpt.load("model.layers.0." + name, shape, at::kFloat, cpu);
  };
  int64_t q_dim = c.num_heads * hd, kv_dim = c.num_kv_heads * hd;
  head_sparse_attention_weights w = prepare_head_sparse_attention(
      get("self_attn.q_proj.weight", {q_dim, d}), get("self_attn.k_proj.weight", {kv_dim, d}),
      get("self_attn.v_proj.weight", {kv_dim, d}), get("self_attn.o_proj.weight", {d, q_dim}), c.num_heads,
      c.num_kv_heads);
  at::Tensor positions = at::arange(t, at::kLong).unsqueeze(0);              // [1, T]
  auto [cos, sin] = rope_cos_sin(rope_inv_freq(c), positions, at::kFloat);  // [1, T, hd]
  for (std::vector<int64_t> kept : {std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}, {0, 1, 6}}) {
    struct recorder : forward_observer {
      at::Tensor in, out;
      void observe(hook_point p, int64_t layer, const at::Tensor& v) override {
        if (layer == 0 && p == hook_point::attn_in) in = v.clone();
        if (layer == 0 && p == hook_point::attn_out) out = v.clone();
      }
    } rec;
    std::vector<layer_mask> masks(c.num_layers);
    masks[0].head_keep = at::zeros({c.num_heads}, at::kLong).index_fill(0, heads_tensor(kept), 1).to(at::kBool);
    forward_options opt;
    opt.observer = &rec;
    opt.masks = &masks;
    model->forward({at::arange(20, 20 + t, at::kLong).unsqueeze(0), {}, {}}, opt);
    at::Tensor x = rms_norm(rec.in, get("input_layernorm.weight", {d}), c.rms_norm_eps)[0];  // [T, d]
    at::Tensor keys = at::linear(x, w.w_k).view({1, t, c.num_kv_heads, hd}).transpose(1, 2);  // [1, KV, T, hd]
    at::Tensor values = at::linear(x, w.w_v).view({1, t, c.num_kv_heads, hd}).transpose(1, 2);
    decode_step step;
    step.x = x.narrow(0, t - 1, 1);  // [1, d]
    step.cos = cos[0].narrow(0, t - 1, 1);
    step.sin = sin[0].narrow(0, t - 1, 1);
    step.k_cache = apply_rope(keys, cos, sin).contiguous();  // the last position is overwritten by the kernel
    step.v_cache = values.contiguous();
    step.past = t - 1;
    step.score_scale = 1.0 / std::sqrt(static_cast<double>(hd));
    at::Tensor got = head_sparse_attention_cpu(w, step, heads_tensor(kept));
    double err = nmse(got, rec.out[0].narrow(0, t - 1, 1));
    CATCH_INFO(kept.size() << " heads kept, NMSE " << err);
    CATCH_CHECK(err < 1e-7);
  }
}

CATCH_TEST_CASE("head-sparse attention: a checkpoint's layer through load_layer_attention equals the model with its KV cache",
                "[kernels]") {
  // Every layer, Llama (tinystories-656k: GQA, RoPE) and OPT (tiny-opt: biases, learned positions): the
  // model decodes the 9th token after 8 cached ones; the kernel, given that step's attention input and
  // the model's own cache (it rewrites position 8 with the same keys and values), gives the step's
  // attn_out with every head kept.
  c10::NoGradGuard no_grad;
  for (std::string dir : {(test::project_dir() / "data/models/tinystories-656k").string(), test::fixture_dir("tiny-opt").string()}) {
    CATCH_INFO(dir);
    auto model = load_model(dir, at::kFloat, at::Device(at::kCPU));
    const model_config& c = model->config();
    const int64_t t = 9;
    struct recorder : forward_observer {
      std::map<int64_t, at::Tensor> in, out;  // per layer: [1, 1, d]
      void observe(hook_point p, int64_t layer, const at::Tensor& v) override {
        if (p == hook_point::attn_norm) in[layer] = v.clone();
        if (p == hook_point::attn_out) out[layer] = v.clone();
      }
    } rec;
    kv_cache cache = model->make_cache(1, t);
    forward_options opt;
    opt.cache = &cache;
    model->forward({at::arange(20, 20 + t - 1, at::kLong).unsqueeze(0), {}, {}}, opt);  // 8 tokens cached
    opt.observer = &rec;
    model->forward({at::full({1, 1}, 7, at::kLong), {}, {}}, opt);  // the 9th
    at::Tensor position = at::full({1, 1}, t - 1, at::kLong);
    auto [cos, sin] = c.arch == model_arch::llama ? rope_cos_sin(rope_inv_freq(c), position, at::kFloat)
                                                  : std::pair<at::Tensor, at::Tensor>();
    std::vector<int64_t> all(static_cast<size_t>(c.num_heads));
    for (int64_t h = 0; h < c.num_heads; ++h) all[static_cast<size_t>(h)] = h;
    for (int64_t l = 0; l < c.num_layers; ++l) {
      head_sparse_attention_weights w = load_layer_attention(*model, l);
      decode_step step;
      step.x = rec.in.at(l).reshape({1, -1});
      if (cos.defined()) {
        step.cos = cos[0];
        step.sin = sin[0];
      }
      step.k_cache = cache.keys(l);
      step.v_cache = cache.values(l);
      step.past = t - 1;
      step.score_scale = 1.0 / std::sqrt(static_cast<double>(c.head_dim));
      double err = nmse(head_sparse_attention_cpu(w, step, heads_tensor(all)), rec.out.at(l).reshape({1, -1}));
      CATCH_INFO("layer " << l << ", NMSE " << err);
      CATCH_CHECK(err < 1e-7);
    }
  }
}

CATCH_TEST_CASE("head-sparse attention: the CUDA variant matches the reference when a GPU is present",
                "[kernels][cuda]") {
  if (!sparse_mlp_cuda_built() || !at::hasCUDA()) {
    // Without CUDA code, or on CPU tensors, the CUDA variant is a clear error rather than a crash.
    attention_case c = random_case(8, 2, 16, 96, false, true, at::kFloat, 5);
    CATCH_CHECK_THROWS_AS(head_sparse_attention_cuda(c.w, c.step, heads_tensor({1})), harness_error);
    CATCH_WARN("no CUDA build or no GPU: the CUDA head-sparse attention was not run");
    return;
  }
  c10::NoGradGuard no_grad;
  at::Device gpu(at::kCUDA);
  for (at::ScalarType dtype : {at::kFloat, at::kBFloat16})
    for (bool gqa : {true, false}) {
      attention_case c =
          gqa ? random_case(8, 2, 16, 96, false, true, dtype, 5) : random_case(4, 4, 16, 64, true, false, dtype, 7);
      head_sparse_attention_weights g = c.w;
      for (at::Tensor* t : {&g.w_q, &g.w_k, &g.w_v, &g.w_o_t, &g.b_q, &g.b_k, &g.b_v, &g.b_o})
        if (t->defined()) *t = t->to(gpu);
      double bound = dtype == at::kFloat ? 1e-7 : 1e-4;
      for (std::vector<int64_t> kept : {std::vector<int64_t>{0, 1, 2, 3}, {1, 2}, {3}}) {
        decode_step ref_step = with_fresh_caches(c.step);
        decode_step gpu_step = ref_step;
        for (at::Tensor* t : {&gpu_step.x, &gpu_step.cos, &gpu_step.sin, &gpu_step.k_cache, &gpu_step.v_cache})
          if (t->defined()) *t = t->to(gpu);
        at::Tensor got = head_sparse_attention_cuda(g, gpu_step, heads_tensor(kept).to(gpu)).cpu();
        at::Tensor expected = head_sparse_attention_reference(c.w, ref_step, heads_tensor(kept));
        CATCH_INFO("CUDA " << c10::toString(dtype) << (gqa ? " GQA" : " MHA") << " kept " << kept.size());
        CATCH_CHECK(nmse(got, expected) < bound);
        CATCH_CHECK(nmse(gpu_step.k_cache.cpu(), ref_step.k_cache) < bound);
        CATCH_CHECK(nmse(gpu_step.v_cache.cpu(), ref_step.v_cache) < bound);
      }
    }
}

}  // namespace harness
