// Sparse MLP kernels: every variant equals the libtorch reference by normalised mean squared error
// (NMSE = sum((a-b)^2) / sum(b^2), as llama.cpp's test-backend-ops compares backends), on random weights
// and on the shipped models' weights; a hand-worked example; 0 kept gives the bias, all kept the dense MLP;
// and the speed path (kernel) equals the accuracy path (runtime masks at the mlp_act hook) on a model.
//
// Thresholds. fp32: 1e-7, test-backend-ops' default; both sides accumulate in fp32 in different orders,
// so the NMSE is ~1e-13. bf16: one rounding to bf16 (7 stored mantissa bits: the error is uniform within
// half an ulp, 2^-7 of the value at the bottom of a binade and 2^-8 at the top) adds between
// (2^-8)^2/12 = 1.3e-6 and (2^-7)^2/12 = 5.1e-6 to the NMSE, 2.8e-6 for log-uniform mantissas. Against an fp32
// reference on the same bf16 numbers only the kernel's final rounding remains (seen: 2.3e-6..3.5e-6;
// bound 1e-5). The bf16 reference rounds after each of its ~5 steps (two projections, SiLU, product,
// output) while the kernel rounds once, so ~1.3e-5 is expected (seen: up to 3.8e-5; bound 1e-4).
#include <catch2/catch.hpp>

#include <functional>

#include <c10/core/GradMode.h>

#include "kernels/sparse_mlp.h"
#include "runtime/checkpoint.h"
#include "runtime/error.h"
#include "runtime/layers.h"
#include "runtime/model.h"
#include "tests/test_support.h"

namespace harness {
namespace {

constexpr double nmse_f32 = 1e-7;
constexpr double nmse_bf16_vs_bf16 = 1e-4;
constexpr double nmse_bf16_vs_f32 = 1e-5;

using test::nmse;

// Random weights with unit-scale outputs; d and F not multiples of the kernels' lanes or row groups.
sparse_mlp_weights random_mlp(mlp_kind kind, int64_t d, int64_t f, at::ScalarType dtype, bool biases) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(1234);
  auto w = [&](int64_t r, int64_t c) { return (at::randn({r, c}, gen) / std::sqrt(double(c))).to(dtype); };
  auto b = [&](int64_t n) { return biases ? at::randn({n}, gen).to(dtype) : at::Tensor(); };
  if (kind == mlp_kind::relu) {
    at::Tensor fc1 = w(f, d), b1 = b(f), fc2 = w(d, f), b2 = b(d);
    return prepare_opt_mlp(fc1, b1, fc2, b2);
  }
  at::Tensor gate = w(f, d), up = w(f, d), down = w(d, f);
  return prepare_llama_mlp(gate, up, down, b(f), b(f), b(d));
}

// A random sorted subset of [0, f) of size round(f * (1 - sparsity)).
at::Tensor random_kept(int64_t f, double sparsity, uint64_t seed) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  int64_t k = static_cast<int64_t>(std::llround(static_cast<double>(f) * (1.0 - sparsity)));
  return std::get<0>(at::randperm(f, gen).narrow(0, 0, k).sort());
}

at::Tensor random_input(int64_t tokens, int64_t d, at::ScalarType dtype) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(99);
  return at::randn({tokens, d}, gen).to(dtype);
}

// The fixture's layer-`layer` MLP weights (fp32).
sparse_mlp_weights fixture_mlp(const std::string& dir, mlp_kind kind, int64_t layer, int64_t d, int64_t f) {
  checkpoint ckpt(dir);
  at::Device cpu(at::kCPU);
  auto get = [&](const std::string& name, std::vector<int64_t> shape) {
    return ckpt.load(name, shape, at::kFloat, cpu);
  };
  if (kind == mlp_kind::relu) {
    std::string p = "model.decoder.layers." + std::to_string(layer) + ".";
    return prepare_opt_mlp(get(p + "fc1.weight", {f, d}), get(p + "fc1.bias", {f}), get(p + "fc2.weight", {d, f}),
                           get(p + "fc2.bias", {d}));
  }
  std::string p = "model.layers." + std::to_string(layer) + ".mlp.";
  return prepare_llama_mlp(get(p + "gate_proj.weight", {f, d}), get(p + "up_proj.weight", {f, d}),
                           get(p + "down_proj.weight", {d, f}));
}

}  // namespace

CATCH_TEST_CASE("sparse MLP: a hand-worked OPT example", "[kernels]") {
  // fc1 rows (1,0), (0,1), (1,1) with bias (0,-1,0); x = (1,2) -> pre (1, 1, 3), ReLU keeps all.
  // Kept {0, 2}: y = b2 + 1 * fc2[:, 0] + 3 * fc2[:, 2] = (10,20) + (1,4) + 3 * (3,6) = (20, 42).
  at::Tensor fc1 = at::tensor({1.f, 0.f, 0.f, 1.f, 1.f, 1.f}).view({3, 2});
  at::Tensor fc2 = at::tensor({1.f, 2.f, 3.f, 4.f, 5.f, 6.f}).view({2, 3});
  sparse_mlp_weights w = prepare_opt_mlp(fc1, at::tensor({0.f, -1.f, 0.f}), fc2, at::tensor({10.f, 20.f}));
  at::Tensor x = at::tensor({1.f, 2.f}).view({1, 2});
  at::Tensor kept = at::tensor({int64_t{0}, int64_t{2}});
  at::Tensor expected = at::tensor({20.f, 42.f}).view({1, 2});
  CATCH_CHECK(at::equal(sparse_mlp_reference(w, x, kept), expected));
  CATCH_CHECK(at::equal(sparse_mlp_cpu(w, x, kept), expected));
  // Neuron 1's pre-activation is 2 - 1 = 1: keeping it adds fc2[:, 1] = (2, 5).
  at::Tensor all = at::tensor({int64_t{0}, int64_t{1}, int64_t{2}});
  CATCH_CHECK(at::equal(sparse_mlp_cpu(w, x, all), at::tensor({22.f, 47.f}).view({1, 2})));
}

CATCH_TEST_CASE("sparse MLP: the CPU variant matches the reference on random weights", "[kernels]") {
  c10::NoGradGuard no_grad;
  auto kind = GENERATE(mlp_kind::swiglu, mlp_kind::relu);
  auto dtype = GENERATE(at::kFloat, at::kBFloat16);
  auto tokens = GENERATE(int64_t{1}, int64_t{3});
  bool biases = kind == mlp_kind::relu;
  int64_t d = 200, f = 523;
  sparse_mlp_weights w = random_mlp(kind, d, f, dtype, biases);
  at::Tensor x = random_input(tokens, d, dtype);
  for (double s : {0.0, 0.5, 0.9, 0.99}) {
    at::Tensor kept = random_kept(f, s, 7);
    CATCH_INFO((kind == mlp_kind::relu ? "relu" : "swiglu") << " " << c10::toString(dtype) << " tokens " << tokens
                                                            << " sparsity " << s);
    at::Tensor got = sparse_mlp_cpu(w, x, kept);
    // The loops built for the baseline ISA give the same numbers up to summation order.
    CATCH_CHECK(nmse(sparse_mlp_cpu(w, x, kept, cpu_loops::baseline), got) < (dtype == at::kFloat ? nmse_f32 : 1e-5));
    CATCH_REQUIRE(got.scalar_type() == dtype);
    CATCH_REQUIRE(got.sizes() == x.sizes());
    double err = nmse(got, sparse_mlp_reference(w, x, kept));
    CATCH_INFO("NMSE vs reference " << err);
    if (dtype == at::kFloat) {
      CATCH_CHECK(err < nmse_f32);
    } else {
      CATCH_CHECK(err < nmse_bf16_vs_bf16);
      // The same bf16 numbers in fp32: only the kernel's final rounding to bf16 differs.
      sparse_mlp_weights up = w;
      up.w_in = w.w_in.to(at::kFloat);
      up.w_up = w.w_up.defined() ? w.w_up.to(at::kFloat) : at::Tensor();
      up.w_out_t = w.w_out_t.to(at::kFloat);
      double err32 = nmse(got, sparse_mlp_reference(up, x.to(at::kFloat), kept));
      CATCH_INFO("NMSE vs fp32 reference " << err32);
      CATCH_CHECK(err32 < nmse_bf16_vs_f32);
    }
  }
}

CATCH_TEST_CASE("sparse MLP: no kept neuron gives the bias and all kept the dense MLP", "[kernels]") {
  c10::NoGradGuard no_grad;
  auto kind = GENERATE(mlp_kind::swiglu, mlp_kind::relu);
  int64_t d = 48, f = 100;
  sparse_mlp_weights w = random_mlp(kind, d, f, at::kFloat, kind == mlp_kind::relu);
  at::Tensor x = random_input(2, d, at::kFloat);
  at::Tensor none = at::empty({0}, at::kLong);
  at::Tensor bias = kind == mlp_kind::relu ? w.b_out.expand({2, d}) : at::zeros({2, d});
  CATCH_CHECK(at::equal(sparse_mlp_reference(w, x, none), bias));
  CATCH_CHECK(at::equal(sparse_mlp_cpu(w, x, none), bias));
  // Dense from the checkpoint layout (down/fc2 [d, F] as at::linear reads it).
  at::Tensor pre = at::linear(x, w.w_in, w.b_in);
  at::Tensor act = kind == mlp_kind::relu ? at::relu(pre) : at::silu(pre) * at::linear(x, w.w_up);
  at::Tensor dense = at::linear(act, w.w_out_t.t(), w.b_out);
  at::Tensor all = at::arange(f, at::kLong);
  CATCH_CHECK(nmse(sparse_mlp_reference(w, x, all), dense) < nmse_f32);
  CATCH_CHECK(nmse(sparse_mlp_cpu(w, x, all), dense) < nmse_f32);
  // Leading dimensions are kept: [B, T, d] in, [B, T, d] out.
  at::Tensor x3 = x.view({1, 2, d});
  CATCH_CHECK(sparse_mlp_cpu(w, x3, all).sizes() == x3.sizes());
}

CATCH_TEST_CASE("sparse MLP: bad kept indices are rejected with a clear error", "[kernels]") {
  sparse_mlp_weights w = random_mlp(mlp_kind::relu, 8, 10, at::kFloat, true);
  at::Tensor x = random_input(1, 8, at::kFloat);
  auto ids = [](std::vector<int64_t> v) { return at::tensor(v, at::kLong); };
  using Catch::Matchers::Contains;
  using variant_fn = std::function<at::Tensor(const sparse_mlp_weights&, const at::Tensor&, const at::Tensor&)>;
  variant_fn cpu = [](const sparse_mlp_weights& w, const at::Tensor& x, const at::Tensor& k) {
    return sparse_mlp_cpu(w, x, k);
  };
  for (const variant_fn& variant : {variant_fn(sparse_mlp_reference), cpu}) {
    CATCH_CHECK_THROWS_WITH(variant(w, x, ids({3, 1})), Contains("strictly ascending") && Contains("holds 1 after 3"));
    CATCH_CHECK_THROWS_WITH(variant(w, x, ids({1, 4, 4})), Contains("strictly ascending") && Contains("position 2"));
    CATCH_CHECK_THROWS_WITH(variant(w, x, ids({2, 10})), Contains("index 10 at position 1 is out of range [0, 10)"));
    CATCH_CHECK_THROWS_WITH(variant(w, x, ids({-1, 2})), Contains("index -1 at position 0 is out of range"));
    CATCH_CHECK_THROWS_WITH(variant(w, x, ids({1, 2}).to(at::kInt)), Contains("1-D int64"));
    CATCH_CHECK_THROWS_WITH(variant(w, x, ids({1, 2}).view({1, 2})), Contains("1-D int64"));
    CATCH_CHECK_THROWS_WITH(variant(w, random_input(1, 7, at::kFloat), ids({1})), Contains("expected [.., 8]"));
    CATCH_CHECK_THROWS_WITH(variant(w, x.to(at::kBFloat16), ids({1})), Contains("input is BFloat16"));
  }
  CATCH_CHECK_THROWS_AS(prepare_opt_mlp(at::zeros({10, 8}), at::zeros({10}), at::zeros({8, 9}), {}), harness_error);
}

CATCH_TEST_CASE("sparse MLP: the CPU variant matches the reference on the shipped models' weights", "[kernels]") {
  c10::NoGradGuard no_grad;
  struct fixture {
    std::string dir;
    mlp_kind kind;
    int64_t layers, d, f;
  };
  for (const fixture& fx : {fixture{(test::project_dir() / "data/models/tinystories-656k").string(), mlp_kind::swiglu,
                                    2, 128, 384},
                            fixture{test::fixture_dir("tiny-opt").string(), mlp_kind::relu, 4, 64, 256}}) {
    for (int64_t layer = 0; layer < fx.layers; ++layer) {
      sparse_mlp_weights w = fixture_mlp(fx.dir, fx.kind, layer, fx.d, fx.f);
      at::Tensor x = random_input(2, fx.d, at::kFloat);
      for (double s : {0.0, 0.7, 0.95}) {
        at::Tensor kept = random_kept(fx.f, s, 11 + layer);
        double err = nmse(sparse_mlp_cpu(w, x, kept), sparse_mlp_reference(w, x, kept));
        CATCH_INFO(fx.dir << " layer " << layer << " sparsity " << s << " NMSE " << err);
        CATCH_CHECK(err < nmse_f32);
      }
    }
  }
}

namespace {
// Records mlp_in and mlp_out of every layer.
struct mlp_recorder : forward_observer {
  explicit mlp_recorder(int64_t layers) : in(layers), out(layers) {}
  std::vector<at::Tensor> in, out;  // [B, T, d] per layer
  void observe(hook_point point, int64_t layer, const at::Tensor& value) override {
    if (point == hook_point::mlp_in) in[layer] = value.clone();
    if (point == hook_point::mlp_out) out[layer] = value.clone();
  }
};
}  // namespace

CATCH_TEST_CASE("sparse MLP: the kernel equals the model's masked MLP at the mlp_out hook", "[kernels]") {
  // The speed path (kernel on the kept neurons) and the accuracy path (forward with an MLP mask) agree.
  c10::NoGradGuard no_grad;
  auto name = GENERATE(as<std::string>{}, "tinystories-656k", "tiny-opt");
  bool llama = name == "tinystories-656k";
  std::string dir = llama ? (test::project_dir() / "data/models/tinystories-656k").string()
                          : test::fixture_dir("tiny-opt").string();
  auto model = load_model(dir, at::kFloat, at::Device(at::kCPU));
  const model_config& c = model->config();
  int64_t d = c.hidden_size, f = c.intermediate_size;
  for (double s : {0.0, 0.8}) {
    at::Tensor kept = random_kept(f, s, 5);
    std::vector<layer_mask> masks(c.num_layers);
    at::Tensor keep = at::zeros({f}, at::kLong).index_fill(0, kept, 1).to(at::kBool);
    for (layer_mask& m : masks) m.mlp_keep = keep;
    mlp_recorder rec(c.num_layers);
    forward_options opt;
    opt.observer = &rec;
    opt.masks = &masks;
    model->forward({at::arange(3, 13, at::kLong).unsqueeze(0), {}, {}}, opt);
    checkpoint ckpt(dir);
    at::Device cpu(at::kCPU);
    for (int64_t layer = 0; layer < c.num_layers; ++layer) {
      at::Tensor x;  // [1, T, d] the MLP's normalised input
      if (llama) {
        at::Tensor norm = ckpt.load("model.layers." + std::to_string(layer) + ".post_attention_layernorm.weight",
                                    {d}, at::kFloat, cpu);
        x = rms_norm(rec.in[layer], norm, c.rms_norm_eps);
      } else {
        std::string p = "model.decoder.layers." + std::to_string(layer) + ".final_layer_norm.";
        x = at::layer_norm(rec.in[layer], {d}, ckpt.load(p + "weight", {d}, at::kFloat, cpu),
                           ckpt.load(p + "bias", {d}, at::kFloat, cpu), 1e-5);
      }
      sparse_mlp_weights w = fixture_mlp(dir, llama ? mlp_kind::swiglu : mlp_kind::relu, layer, d, f);
      double err = nmse(sparse_mlp_cpu(w, x, kept), rec.out[layer]);
      CATCH_INFO(name << " layer " << layer << " sparsity " << s << " NMSE " << err);
      CATCH_CHECK(err < nmse_f32);
    }
  }
}

CATCH_TEST_CASE("sparse MLP: the CUDA variant matches the reference when a GPU is present", "[kernels][cuda]") {
  if (!sparse_mlp_cuda_built() || !at::hasCUDA()) {
    // Without CUDA code, or on CPU tensors, the CUDA variant is a clear error rather than a crash.
    sparse_mlp_weights w = random_mlp(mlp_kind::relu, 8, 10, at::kFloat, true);
    CATCH_CHECK_THROWS_AS(sparse_mlp_cuda(w, random_input(1, 8, at::kFloat), at::arange(3, at::kLong)),
                          harness_error);
    CATCH_WARN("no CUDA build or no GPU: the CUDA sparse MLP was not run");
    return;
  }
  c10::NoGradGuard no_grad;
  at::Device gpu(at::kCUDA);
  for (mlp_kind kind : {mlp_kind::swiglu, mlp_kind::relu})
    for (at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
      sparse_mlp_weights w = random_mlp(kind, 200, 523, dtype, kind == mlp_kind::relu);
      sparse_mlp_weights g = w;
      for (at::Tensor* t : {&g.w_in, &g.w_up, &g.w_out_t, &g.b_in, &g.b_up, &g.b_out})
        if (t->defined()) *t = t->to(gpu);
      at::Tensor x = random_input(3, 200, dtype);
      for (double s : {0.0, 0.5, 0.9, 1.0}) {
        at::Tensor kept = random_kept(523, s, 3);
        double err = nmse(sparse_mlp_cuda(g, x.to(gpu), kept.to(gpu)).cpu(), sparse_mlp_reference(w, x, kept));
        CATCH_INFO("CUDA " << c10::toString(dtype) << " sparsity " << s << " NMSE " << err);
        if (s == 1.0)
          CATCH_CHECK(at::equal(sparse_mlp_cuda(g, x.to(gpu), kept.to(gpu)).cpu(), sparse_mlp_reference(w, x, kept)));
        else
          CATCH_CHECK(err < (dtype == at::kFloat ? nmse_f32 : nmse_bf16_vs_bf16));
      }
    }
}

}  // namespace harness
