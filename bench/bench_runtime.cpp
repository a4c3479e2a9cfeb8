// Prefill and decode throughput of the Llama runtime on CPU, next to the machine's measured memory
// bandwidth and the bandwidth bound for decode: bound = bandwidth / bytes of weights read per token.
// Models: the shipped tinystories-656k (f32) and a random-weight model with Llama-3.2-1B's shapes (bf16).
// BM_decode_sparse is BM_decode through the forward's speed path (runtime/speed_path.h): every layer's MLP
// and attention run through the sparse kernels at the given sparsities (percent), with fixed random masks
// (the kernels' cost does not depend on which neurons or heads are kept); compare its time with
// BM_decode's for the end-to-end ratio.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>

#include <c10/core/GradMode.h>

#include "bench/bench_util.h"
#include "kernels/model_kernels.h"
#include "runtime/model.h"

namespace harness::bench {
namespace {

struct bench_model {
  std::string dir;
  std::unique_ptr<causal_lm> model;
  double weight_bytes_per_token = 0;  // every weight is read once per decoded token (tied head included)
};

bench_model& get_model(const std::string& name) {
  static std::map<std::string, bench_model> models;
  auto it = models.find(name);
  if (it != models.end()) return it->second;
  bench_model m;
  if (name == "tinystories-656k") {
    m.dir = source_dir() + "/data/models/tinystories-656k";
    m.model = load_model(m.dir, at::kFloat, at::Device(at::kCPU));
  } else {
    m.dir = synthetic_llama_1b_dir();
    m.model = load_model(m.dir, at::kBFloat16, at::Device(at::kCPU));
  }
  const model_config& c = m.model->config();
  int64_t per_layer = 2 * c.hidden_size + c.hidden_size * (2 * c.num_heads * c.head_dim) +
                      2 * c.hidden_size * c.num_kv_heads * c.head_dim + 3 * c.hidden_size * c.intermediate_size;
  int64_t params = c.num_layers * per_layer + c.hidden_size + c.vocab_size * c.hidden_size;
  m.weight_bytes_per_token = static_cast<double>(params) * at::elementSize(m.model->dtype());
  return models.emplace(name, std::move(m)).first->second;
}

at::Tensor prompt(const causal_lm& model, int64_t tokens) {
  return at::randint(3, model.config().vocab_size, {1, tokens}, at::kLong);
}

void BM_prefill(benchmark::State& state, const std::string& name) {
  c10::NoGradGuard no_grad;
  bench_model& m = get_model(name);
  int64_t tokens = state.range(0);
  at::Tensor ids = prompt(*m.model, tokens);
  forward_options opt;
  opt.last_position_only = true;
  for (auto _ : state) benchmark::DoNotOptimize(m.model->forward({ids, {}, {}}, opt).logits);
  state.counters["tokens_per_s"] = benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsIterationInvariantRate);
}

// One decode step after `context` tokens, per iteration; `step` holds the masks and kernels (or none).
void decode_steps(benchmark::State& state, bench_model& m, int64_t context, const forward_options& step) {
  at::Tensor ids = prompt(*m.model, context);
  at::Tensor next = prompt(*m.model, 1);
  kv_cache cache = m.model->make_cache(1, context + 1);
  forward_options prefill;
  prefill.cache = &cache;
  prefill.last_position_only = true;
  forward_options opt = step;
  opt.cache = &cache;
  opt.last_position_only = true;
  for (auto _ : state) {
    state.PauseTiming();
    cache = m.model->make_cache(1, context + 1);
    m.model->forward({ids, {}, {}}, prefill);  // fill the cache with the context
    state.ResumeTiming();
    benchmark::DoNotOptimize(m.model->forward({next, {}, {}}, opt).logits);
  }
}

void BM_decode(benchmark::State& state, const std::string& name) {
  c10::NoGradGuard no_grad;
  bench_model& m = get_model(name);
  double bandwidth = measured_read_bandwidth();
  decode_steps(state, m, state.range(0), {});
  double bound = bandwidth / m.weight_bytes_per_token;
  state.counters["tokens_per_s"] = benchmark::Counter(1.0, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["read_GBps"] = bandwidth / 1e9;
  state.counters["weight_MB_per_token"] = m.weight_bytes_per_token / 1e6;
  state.counters["bound_tokens_per_s"] = bound;
}

// Args: context tokens, MLP sparsity %, head sparsity %.
void BM_decode_sparse(benchmark::State& state, const std::string& name) {
  c10::NoGradGuard no_grad;
  bench_model& m = get_model(name);
  const model_config& c = m.model->config();
  model_kernels kernels(*m.model);
  auto keep = [](int64_t width, int64_t sparsity_percent) {  // [width] bool, a random (1 - s) of it kept
    int64_t kept = std::max<int64_t>(1, width - width * sparsity_percent / 100);
    return at::zeros({width}, at::kBool).index_fill_(0, at::randperm(width).narrow(0, 0, kept), true);
  };
  std::vector<layer_mask> masks(c.num_layers);
  for (layer_mask& l : masks) {
    l.mlp_keep = keep(c.intermediate_size, state.range(1));
    l.head_keep = keep(c.num_heads, state.range(2));
  }
  forward_options step;
  step.masks = &masks;
  step.kernels = &kernels;
  decode_steps(state, m, state.range(0), step);
  state.counters["tokens_per_s"] = benchmark::Counter(1.0, benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK_CAPTURE(BM_prefill, tinystories_656k_f32, std::string("tinystories-656k"))->Arg(128)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_decode, tinystories_656k_f32, std::string("tinystories-656k"))->Arg(128)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_prefill, llama_3_2_1b_shape_bf16, std::string("llama-3.2-1b"))->Arg(64)->Iterations(2)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_decode, llama_3_2_1b_shape_bf16, std::string("llama-3.2-1b"))->Arg(64)->Iterations(5)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_decode_sparse, tinystories_656k_f32, std::string("tinystories-656k"))
    ->Args({128, 80, 50})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_decode_sparse, llama_3_2_1b_shape_bf16, std::string("llama-3.2-1b"))
    ->Args({64, 80, 50})
    ->Args({64, 90, 50})
    ->Iterations(5)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace harness::bench

BENCHMARK_MAIN();
