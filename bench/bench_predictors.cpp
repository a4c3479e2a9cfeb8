// Throughput and memory of DejaVu's pipeline on CPU:
//   record  -- rows/s and MB/s written while recording tinystories-656k on the shipped C4 slice, with the
//              peak RSS growth of the whole recording (it streams to disk, so it must not grow with rows);
//   train   -- rows/s of one predictor training step at Llama-3.2-3B's MLP shape (d = 3072, r = 1000,
//              F = 8192, batch 1024) and at tinystories-656k's, from float16 rows as the recording holds;
//   disk    -- bytes a recording of the paper preset (400,000 rows) takes for Llama-3.2-3B / 3.1-8B and
//              OPT-6.7B / 66B shapes (reported as counters; computed by recording_bytes()).
#include <benchmark/benchmark.h>

#include <filesystem>

#include <c10/core/GradMode.h>
#include <torch/optim/adamw.h>

#include "bench/bench_util.h"
#include "evals/documents.h"
#include "predictors/record_text.h"
#include "predictors/recorder.h"
#include "predictors/trainer.h"
#include "runtime/model.h"
#include "runtime/tokenizer.h"

namespace harness::bench {
namespace {

namespace fs = std::filesystem;

void record_tinystories(benchmark::State& state) {
  c10::NoGradGuard no_grad;
  std::string model_dir = source_dir() + "/data/models/tinystories-656k";
  auto model = load_model(model_dir, at::kFloat, at::Device(at::kCPU));
  tokenizer tok = load_tokenizer(model_dir);
  std::vector<std::string> docs = read_documents(source_dir() + "/data/eval/c4/c4-validation-first200.jsonl");
  int64_t rows = state.range(0);
  fs::path dir = fs::temp_directory_path() / "harness-bench-record";
  uint64_t growth = 0;
  for (auto _ : state) {
    fs::remove_all(dir);
    reset_peak_rss();
    uint64_t before = current_rss_bytes();
    activation_recorder rec(model->config(), dir.string(), rows);
    record_documents(*model, tok, docs, 512, 4, rec, {});
    rec.finish({});
    growth = peak_rss_bytes() - before;
  }
  double bytes = static_cast<double>(recording_bytes(model->config(), rows));
  state.counters["rows_per_s"] = benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["MB_written_per_s"] = benchmark::Counter(bytes / 1e6, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["recording_MB"] = bytes / 1e6;
  state.counters["peak_rss_growth_MB"] = static_cast<double>(growth) / 1e6;
  fs::remove_all(dir);
}
BENCHMARK(record_tinystories)->Arg(5000)->Arg(20000)->Unit(benchmark::kMillisecond)->Iterations(1);

void train_step(benchmark::State& state) {
  int64_t d = state.range(0), f = state.range(1), rank = 1000, batch = 1024;
  at::manual_seed(0);
  at::Tensor x = at::randn({batch, d}).to(at::kHalf);    // [batch, d] as recorded
  at::Tensor act = at::randn({batch, f}).to(at::kHalf);  // [batch, F]
  predictor net(predictor_shape{d, rank, f, false});
  torch::optim::AdamW optimizer(net->parameters(), torch::optim::AdamWOptions(1e-3).weight_decay(0.01));
  for (auto _ : state) {
    at::Tensor y = (act.abs() > 1.28).to(at::kFloat);  // about 20% active
    at::Tensor probs = at::sigmoid(net->forward(x.to(at::kFloat)));
    at::Tensor w = y.mean() + 0.005;
    at::Tensor loss = at::binary_cross_entropy(probs, y, y * (1 - w) + w);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    benchmark::DoNotOptimize(loss.item<float>());
  }
  state.counters["rows_per_s"] = benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(train_step)->Args({128, 384})->Args({3072, 8192})->Unit(benchmark::kMillisecond)->MinTime(2.0);

void paper_disk(benchmark::State& state) {
  struct shape {
    const char* name;
    int64_t d, f, heads, layers;
  };
  const shape shapes[] = {{"llama3.2-3b", 3072, 8192, 24, 28}, {"llama3.1-8b", 4096, 14336, 32, 32},
                          {"opt-6.7b", 4096, 16384, 32, 32},    {"opt-66b", 9216, 36864, 72, 64}};
  const shape& s = shapes[state.range(0)];
  model_config c;
  c.hidden_size = s.d;
  c.intermediate_size = s.f;
  c.num_heads = s.heads;
  c.num_layers = s.layers;
  uint64_t bytes = 0;
  for (auto _ : state) benchmark::DoNotOptimize(bytes = recording_bytes(c, 400000));
  state.SetLabel(s.name);
  state.counters["recording_GB_at_400k_rows"] = static_cast<double>(bytes) / 1e9;
}
BENCHMARK(paper_disk)->DenseRange(0, 3)->Iterations(1);

}  // namespace
}  // namespace harness::bench

BENCHMARK_MAIN();
