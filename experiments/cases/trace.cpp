// trace: one decode step profiled op by op with libtorch's profiler (Kineto). Every aten op carries
// its measured duration and sits inside named regions -- the step, each layer, its attention and MLP
// sub-blocks -- opened and closed at the forward's hook points, so the model code is untouched. After
// the dense step, the same model decodes the next step through its speed path (runtime/speed_path.h):
// every layer's MLP runs through the sparse MLP kernel keeping the dense step's top-K neurons by
// |activation|, and its attention through the head-sparse kernel keeping the dense step's top-K heads by
// the norm of their output (DejaVu's attention label), so dense and sparse times sit side by side per
// layer and sub-block, inside whole decode steps. Writes a Chrome trace-event JSON (opens in Perfetto)
// beside the result, which holds each region's time; then, unprofiled, times --repeats dense and sparse
// steps alternately for the end-to-end ratio. The masks are the dense step's own (an oracle's choice,
// without any predictor's cost or error).
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include <ATen/record_function.h>
#include <c10/core/GradMode.h>
#include <fmt/format.h>
#include <torch/csrc/autograd/profiler_kineto.h>
#include <unistd.h>

#include "artifact/mann_whitney.h"
#include "experiments/cases/cases.h"
#include "experiments/result.h"
#include "kernels/model_kernels.h"
#include "predictors/labels.h"
#include "runtime/device.h"
#include "runtime/placement.h"
#include "runtime/error.h"
#include "runtime/model.h"
#include "runtime/sha256.h"
#include "runtime/text_file.h"
#include "runtime/tokenizer.h"

namespace harness {

namespace {

namespace fs = std::filesystem;
namespace prof = torch::autograd::profiler;
using torch::profiler::impl::ActivityType;

// A named region of the trace, open from construction to end() (a RecordFunction in user scope).
class trace_region {
 public:
  explicit trace_region(const std::string& name) : fn_(at::RecordScope::USER_SCOPE) {
    if (fn_.isActive()) fn_.before(name);
  }
  void end() { fn_.end(); }

 private:
  at::RecordFunction fn_;
};

// Opens "layer l", "layer l / attention" and "layer l / mlp" (each followed by `suffix`) at the hook
// points that begin them and closes each at the one that ends it; keeps each layer's head outputs and MLP
// activation of the step (a dense step's: the speed path computes neither).
struct region_observer : forward_observer {
  std::string suffix;                               // "" for the dense step, " [sparse]" for the sparse one
  std::vector<std::unique_ptr<trace_region>> open;  // innermost last
  std::vector<at::Tensor> attn_heads, mlp_act;      // per layer: [1, 1, H, hd] and [1, 1, F]
  explicit region_observer(int64_t layers) : attn_heads(layers), mlp_act(layers) {}

  void push(const std::string& name) { open.push_back(std::make_unique<trace_region>(name + suffix)); }
  void pop() {
    open.back()->end();
    open.pop_back();
  }
  void observe(hook_point point, int64_t layer, const at::Tensor& value) override {
    switch (point) {
      case hook_point::attn_in: push(fmt::format("layer {}", layer)); push(fmt::format("layer {} / attention", layer)); break;
      case hook_point::attn_heads: attn_heads[layer] = value; break;
      case hook_point::attn_out: pop(); break;
      case hook_point::mlp_in: push(fmt::format("layer {} / mlp", layer)); break;
      case hook_point::mlp_act: mlp_act[layer] = value; break;
      case hook_point::mlp_out: pop(); break;
      case hook_point::block_out: pop(); break;
      default: break;
    }
  }
};

// The keep mask of the K entries of largest score: scores (any shape, N entries) -> [N] bool on the CPU.
at::Tensor top_k_keep(const at::Tensor& scores, int64_t k) { return top_k_mask(scores.cpu().reshape({1, -1}), k)[0]; }

// Seconds of one decode step of `next` [1, 1], waiting for the device.
double timed_step(causal_lm& model, const at::Tensor& next, const forward_options& fwd) {
  auto start = std::chrono::steady_clock::now();
  model.forward({next, {}, {}}, fwd).logits.cpu();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void run_trace(const case_args& args) {
  c10::NoGradGuard no_grad;
  const std::string& model_dir = args.get("model");
  std::vector<at::Device> devices = model_devices(args.get("device"), args.get("devices"));
  at::ScalarType dtype = parse_dtype(args.get("dtype"));
  int64_t context = args.get_int("context"), warmup = args.get_int("warmup"), repeats = args.get_int("repeats");
  double sparsity = args.get_double("mlp-sparsity"), head_sparsity = args.get_double("head-sparsity");
  if (context < 1 || warmup < 0 || repeats < 1) fail("trace: --context and --repeats must be positive and --warmup not negative");
  if (!(sparsity >= 0 && sparsity < 1)) fail("trace: --mlp-sparsity must be in [0, 1)");
  if (!(head_sparsity >= 0 && head_sparsity < 1)) fail("trace: --head-sparsity must be in [0, 1)");

  tokenizer tok = load_tokenizer(args.get("tokenizer").empty() ? model_dir : args.get("tokenizer"));
  std::vector<int32_t> ids32 = tok.encode(read_text_file(args.get("data")));
  if (static_cast<int64_t>(ids32.size()) < context)
    fail("trace: {} has {} tokens; --context {} needs more", args.get("data"), ids32.size(), context);
  std::vector<int64_t> prompt(ids32.begin(), ids32.begin() + context);
  auto t0 = std::chrono::steady_clock::now();
  auto model = load_model(model_dir, dtype, devices);
  const model_config& config = model->config();
  // Prefill, the warm-up steps, the profiler's settling step, the dense and sparse profiled steps, and the
  // timed pairs: each decode step adds one token to the cache.
  const int64_t capacity = context + warmup + 3 + 2 * repeats;
  if (config.max_position_embeddings > 0 && capacity > config.max_position_embeddings)
    fail("trace: --context {} + --warmup {} + 3 + 2 x --repeats {} steps exceed the model's {} positions", context,
         warmup, repeats, config.max_position_embeddings);
  model_kernels kernels(*model, parse_dropped_kv(args.get("dropped-kv")));
  double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  kv_cache cache = model->make_cache(1, capacity);
  forward_options dense;
  dense.cache = &cache;
  dense.last_position_only = true;
  at::Tensor next = at::tensor(prompt, at::kLong).unsqueeze(0).to(model->device());  // [1, T]
  for (int64_t step = 0; step <= warmup; ++step)
    next = model->forward({next, {}, {}}, dense).logits.argmax(-1).reshape({1, 1});  // [1, 1]

  region_observer regions(config.num_layers);
  dense.observer = &regions;
  const int64_t width = config.intermediate_size, kept = std::max<int64_t>(1, std::llround((1 - sparsity) * width));
  const int64_t kept_heads = std::max<int64_t>(1, std::llround((1 - head_sparsity) * config.num_heads));
  std::vector<layer_mask> masks(config.num_layers);  // the dense step's own top-K, filled after it
  forward_options sparse = dense;
  sparse.masks = &masks;
  sparse.kernels = &kernels;
  std::set<ActivityType> activities = {ActivityType::CPU};
  for (const at::Device& d : devices)
    if (d.is_cuda()) activities.insert(ActivityType::CUDA);
  torch::profiler::impl::ProfilerConfig profiler_config(torch::profiler::impl::ProfilerState::KINETO);
  prof::prepareProfiler(profiler_config, activities);
  prof::enableProfiler(profiler_config, activities);
  {
    // The profiler's own first-use costs land on the first profiled ops: one step absorbs them.
    trace_region settle("profiler warm-up step (not measured)");
    model->forward({next, {}, {}}, dense).logits.cpu();
    settle.end();
    trace_region step("decode step (dense)");
    model->forward({next, {}, {}}, dense).logits.cpu();  // .cpu() waits for the device
    step.end();
    for (int64_t l = 0; l < config.num_layers; ++l) {
      masks[l].mlp_keep = top_k_keep(regions.mlp_act[l].reshape({-1}).abs(), kept);  // [F]
      masks[l].head_keep = top_k_keep(regions.attn_heads[l].reshape({config.num_heads, -1}).to(at::kFloat).norm(2, {1}),
                                      kept_heads);  // [H]
    }
    regions.suffix = " [sparse]";
    trace_region sparse_step("decode step (sparse kernels)");
    model->forward({next, {}, {}}, sparse).logits.cpu();
    sparse_step.end();
  }
  std::unique_ptr<prof::ProfilerResult> profile = prof::disableProfiler();

  // End to end, unprofiled: dense and sparse steps alternate, so drift in the machine's speed hits both.
  dense.observer = sparse.observer = nullptr;
  std::vector<double> dense_s, sparse_s;
  for (int64_t r = 0; r < repeats; ++r) {
    dense_s.push_back(timed_step(*model, next, dense));
    sparse_s.push_back(timed_step(*model, next, sparse));
  }

  result_document doc(find_case("trace"), args);
  fs::path trace_dir = fs::path(args.get("out")) / "trace" / fs::path(model_dir).lexically_normal().filename() / "traces";
  fs::create_directories(trace_dir);
  fs::path trace_file = trace_dir / fmt::format("{}-{}.trace.json", std::chrono::system_clock::now().time_since_epoch().count(), ::getpid());
  profile->save(trace_file.string());

  // Region times (measured by the profiler, microseconds) and inclusive time per op name.
  nlohmann::json& m = doc.metrics();
  m["context_tokens"] = context;
  m["mlp_sparsity"] = sparsity;
  m["kept_neurons"] = kept;
  m["head_sparsity"] = head_sparsity;
  m["kept_heads"] = kept_heads;
  m["dropped_kv"] = args.get("dropped-kv");
  m["decode_step_dense_s"] = {{"value", median(dense_s)}, {"samples", dense_s}, {"unit", "s"}};
  m["decode_step_sparse_s"] = {{"value", median(sparse_s)}, {"samples", sparse_s}, {"unit", "s"}};
  m["decode_speedup"] = median(dense_s) / median(sparse_s);
  m["trace_file"] = fs::relative(trace_file, args.get("out")).generic_string();
  m["trace_sha256"] = sha256_file(trace_file.string());
  // Only what ran from the measured step on (the warm-up step repeats the region names).
  uint64_t measured_from = UINT64_MAX;
  for (const prof::KinetoEvent& e : profile->events())
    if (e.name() == "decode step (dense)") measured_from = e.startNs();
  if (measured_from == UINT64_MAX) fail("trace: the profiler recorded no decode step (is the profiler built in?)");
  std::map<std::string, std::pair<int64_t, double>> ops;  // name -> (count, inclusive microseconds)
  for (const prof::KinetoEvent& e : profile->events()) {
    if (e.startNs() < measured_from) continue;
    double us = static_cast<double>(e.durationNs()) / 1e3;
    if (e.name().rfind("layer ", 0) == 0 || e.name().rfind("decode step", 0) == 0) {
      m["regions_us"][e.name()] = us;
    } else {
      ops[e.name()].first += 1;
      ops[e.name()].second += us;
    }
  }
  for (const auto& [name, v] : ops) m["ops_inclusive_us"][name] = {{"count", v.first}, {"total", v.second}};
  for (int64_t l = 0; l < config.num_layers; ++l) {
    for (const char* block : {"mlp", "attention"}) {
      std::string dense_region = fmt::format("layer {} / {}", l, block), sparse_region = dense_region + " [sparse]";
      if (m["regions_us"].contains(dense_region) && m["regions_us"].contains(sparse_region))
        m[fmt::format("{}_speedup", block)][std::to_string(l)] =
            m["regions_us"][dense_region].get<double>() / m["regions_us"][sparse_region].get<double>();
    }
  }
  doc.add_timing("load", load_s);
  doc.add_model_inputs(model_dir);
  doc.add_input_files("tokenizer", tok.files());
  doc.add_input_files("data", {args.get("data")});
  doc.set_environment(describe_environment(model->placement()));
  std::cout << fmt::format("trace: {} ({} events); decode step {:.1f} us dense, {:.1f} us sparse (profiled)\n",
                           trace_file.string(), profile->events().size(), m["regions_us"].value("decode step (dense)", 0.0),
                           m["regions_us"].value("decode step (sparse kernels)", 0.0));
  std::cout << fmt::format("decode step, median of {}: dense {:.3f} ms, sparse {:.3f} ms, speedup {:.2f}x\n", repeats,
                           median(dense_s) * 1e3, median(sparse_s) * 1e3, median(dense_s) / median(sparse_s));
  std::cout << "result: " << doc.write_for_model(args.get("out"), model_dir) << "\n";
}

}  // namespace

experiment_case trace_case() {
  return {"trace",
          2,
          "the decode-step trace (Perfetto) and its table of op times, dense and sparse MLP and attention side by side",
          "profile a dense decode step op by op (libtorch Kineto), regions per layer and sub-block, then a step through the sparse kernels; time both end to end",
          {{"model", "data/models/tinystories-656k", "Hugging Face model directory"},
           {"tokenizer", "", "tokenizer.json or a directory with one (default: the model directory)"},
           {"data", "data/eval/wikitext-2-raw/wiki.test.raw", "text whose first tokens are the context"},
           {"context", "128", "tokens in the KV cache before the traced step"},
           {"warmup", "3", "decode steps before the traced one"},
           {"mlp-sparsity", "0.8", "fraction of MLP neurons the sparse kernels drop"},
           {"head-sparsity", "0.5", "fraction of attention heads the head-sparse kernels drop"},
           {"dropped-kv", "write", "dropped KV groups' new keys and values: write (as the dense cache) or skip (DejaVu)"},
           {"repeats", "9", "unprofiled dense and sparse decode steps timed for the end-to-end ratio"},
           {"device", "cpu", "cpu, cuda or cuda:N"},
           {"devices", "", "layers split across these devices: cuda:0,cuda:1,... (cuda: every GPU); overrides --device"},
           {"dtype", "f32", "f32 or bf16"},
           {"out", "results", "results directory (the trace goes to <out>/trace/<model>/traces/)"}},
          run_trace};
}

}  // namespace harness
