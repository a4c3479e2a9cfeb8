// trace: one decode step profiled op by op with libtorch's profiler (Kineto). Every aten op carries
// its measured duration and sits inside named regions -- the step, each layer, its attention and MLP
// sub-blocks -- opened and closed at the forward's hook points, so the model code is untouched. After
// the dense step, each layer's sparse MLP kernel runs on that layer's MLP input of the step, keeping
// the step's own top-K neurons by |activation|, and each layer's head-sparse attention kernel runs on
// the step's attention input against the step's own KV cache, keeping the step's top-K heads by the norm
// of their output (DejaVu's attention label), so dense and sparse times sit side by side for both
// sub-blocks. Writes a Chrome trace-event JSON (opens in Perfetto) beside the result, which holds each
// region's time.
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

#include "experiments/cases/cases.h"
#include "experiments/result.h"
#include "kernels/layer_attention_weights.h"
#include "kernels/layer_mlp_weights.h"
#include "runtime/device.h"
#include "runtime/placement.h"
#include "runtime/error.h"
#include "runtime/model.h"
#include "runtime/rope.h"
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

// Opens "layer l", "layer l / attention" and "layer l / mlp" at the hook points that begin them and
// closes each at the one that ends it; keeps each layer's attention and MLP inputs, head outputs and MLP
// activation of the step.
struct region_observer : forward_observer {
  std::vector<std::unique_ptr<trace_region>> open;  // innermost last
  std::vector<at::Tensor> attn_norm, attn_heads;    // per layer: [1, 1, d] and [1, 1, H, hd]
  std::vector<at::Tensor> mlp_in, mlp_act;          // per layer: [1, 1, d] and [1, 1, F]
  explicit region_observer(int64_t layers) : attn_norm(layers), attn_heads(layers), mlp_in(layers), mlp_act(layers) {}

  void push(const std::string& name) { open.push_back(std::make_unique<trace_region>(name)); }
  void pop() {
    open.back()->end();
    open.pop_back();
  }
  void observe(hook_point point, int64_t layer, const at::Tensor& value) override {
    switch (point) {
      case hook_point::attn_in: push(fmt::format("layer {}", layer)); push(fmt::format("layer {} / attention", layer)); break;
      case hook_point::attn_norm: attn_norm[layer] = value; break;
      case hook_point::attn_heads: attn_heads[layer] = value; break;
      case hook_point::attn_out: pop(); break;
      case hook_point::mlp_in: mlp_in[layer] = value; push(fmt::format("layer {} / mlp", layer)); break;
      case hook_point::mlp_act: mlp_act[layer] = value; break;
      case hook_point::mlp_out: pop(); break;
      case hook_point::block_out: pop(); break;
      default: break;
    }
  }
};

// The K entries of largest score, ascending (what the sparse kernels take): scores [N] -> [K] int64.
at::Tensor top_k_ascending(const at::Tensor& scores, int64_t k) {
  return std::get<0>(std::get<1>(scores.to(at::kFloat).cpu().topk(k)).sort()).to(at::kLong);
}

void run_trace(const case_args& args) {
  c10::NoGradGuard no_grad;
  const std::string& model_dir = args.get("model");
  std::vector<at::Device> devices = model_devices(args.get("device"), args.get("devices"));
  at::ScalarType dtype = parse_dtype(args.get("dtype"));
  int64_t context = args.get_int("context"), warmup = args.get_int("warmup");
  double sparsity = args.get_double("mlp-sparsity"), head_sparsity = args.get_double("head-sparsity");
  if (context < 1 || warmup < 0) fail("trace: --context must be positive and --warmup not negative");
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
  if (config.max_position_embeddings > 0 && context + warmup + 3 > config.max_position_embeddings)
    fail("trace: --context {} + --warmup {} + 3 steps exceed the model's {} positions", context, warmup,
         config.max_position_embeddings);
  std::vector<sparse_mlp_weights> mlp_weights;
  std::vector<head_sparse_attention_weights> attention_weights;
  for (int64_t l = 0; l < config.num_layers; ++l) {
    mlp_weights.push_back(load_layer_mlp(model_dir, config, l, dtype, model->layer_device(l)));
    attention_weights.push_back(load_layer_attention(model_dir, config, l, dtype, model->layer_device(l)));
  }

  double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // Prefill, then warm-up decode steps, then the profiled one; one slot more for the sparse attention
  // kernels' new token.
  kv_cache cache = model->make_cache(1, context + warmup + 3);
  forward_options fwd;
  fwd.cache = &cache;
  fwd.last_position_only = true;
  at::Tensor next = at::tensor(prompt, at::kLong).unsqueeze(0).to(model->device());  // [1, T]
  for (int64_t step = 0; step <= warmup; ++step)
    next = model->forward({next, {}, {}}, fwd).logits.argmax(-1).reshape({1, 1});  // [1, 1]

  region_observer regions(config.num_layers);
  fwd.observer = &regions;
  const int64_t width = config.intermediate_size, kept = std::max<int64_t>(1, std::llround((1 - sparsity) * width));
  const int64_t kept_heads = std::max<int64_t>(1, std::llround((1 - head_sparsity) * config.num_heads));
  std::set<ActivityType> activities = {ActivityType::CPU};
  for (const at::Device& d : devices)
    if (d.is_cuda()) activities.insert(ActivityType::CUDA);
  torch::profiler::impl::ProfilerConfig profiler_config(torch::profiler::impl::ProfilerState::KINETO);
  prof::prepareProfiler(profiler_config, activities);
  prof::enableProfiler(profiler_config, activities);
  {
    // The profiler's own first-use costs land on the first profiled ops: one step absorbs them.
    trace_region settle("profiler warm-up step (not measured)");
    model->forward({next, {}, {}}, fwd).logits.cpu();
    settle.end();
    trace_region step("decode step (dense)");
    model->forward({next, {}, {}}, fwd).logits.cpu();  // .cpu() waits for the device
    step.end();
    trace_region sparse(fmt::format("sparse MLP kernels (keep {} of {} neurons)", kept, width));
    for (int64_t l = 0; l < config.num_layers; ++l) {
      const at::Device& here = model->layer_device(l);
      at::Tensor keep = top_k_ascending(regions.mlp_act[l].reshape({-1}).abs(), kept).to(here);
      at::Tensor x = regions.mlp_in[l].reshape({1, -1});  // [1, d] on `here`; timing only: the cost does not depend on x
      trace_region layer(fmt::format("layer {} / sparse MLP kernel", l));
      (here.is_cuda() ? sparse_mlp_cuda(mlp_weights[l], x, keep) : sparse_mlp_cpu(mlp_weights[l], x, keep)).cpu();
      layer.end();
    }
    sparse.end();
    // The new token goes after the cached ones, into the cache's spare slot (the model does not run again).
    const int64_t past = cache.length();
    at::Tensor position = at::full({1, 1}, past, at::kLong);
    auto [cos, sin] = config.arch == model_arch::llama ? rope_cos_sin(rope_inv_freq(config), position, dtype)
                                                       : std::pair<at::Tensor, at::Tensor>();  // [1, 1, hd] each
    trace_region heads(fmt::format("head-sparse attention kernels (keep {} of {} heads)", kept_heads, config.num_heads));
    for (int64_t l = 0; l < config.num_layers; ++l) {
      const at::Device& here = model->layer_device(l);
      decode_step step;
      step.x = regions.attn_norm[l].reshape({1, -1});  // [1, d] on `here`
      if (cos.defined()) {
        step.cos = cos[0].to(here);  // [1, hd]
        step.sin = sin[0].to(here);
      }
      step.k_cache = cache.keys(l);  // [1, KV, capacity, hd]
      step.v_cache = cache.values(l);
      step.past = past;
      step.score_scale = 1.0 / std::sqrt(static_cast<double>(config.head_dim));
      at::Tensor head_norms = regions.attn_heads[l].reshape({config.num_heads, -1}).to(at::kFloat).norm(2, {1});  // [H]
      at::Tensor keep = top_k_ascending(head_norms, kept_heads).to(here);
      trace_region layer(fmt::format("layer {} / head-sparse attention kernel", l));
      (here.is_cuda() ? head_sparse_attention_cuda(attention_weights[l], step, keep)
                      : head_sparse_attention_cpu(attention_weights[l], step, keep))
          .cpu();
      layer.end();
    }
    heads.end();
  }
  std::unique_ptr<prof::ProfilerResult> profile = prof::disableProfiler();

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
    if (e.name().rfind("layer ", 0) == 0 || e.name().rfind("decode step", 0) == 0 || e.name().rfind("sparse MLP", 0) == 0 ||
        e.name().rfind("head-sparse attention", 0) == 0) {
      m["regions_us"][e.name()] = us;
    } else {
      ops[e.name()].first += 1;
      ops[e.name()].second += us;
    }
  }
  for (const auto& [name, v] : ops) m["ops_inclusive_us"][name] = {{"count", v.first}, {"total", v.second}};
  for (int64_t l = 0; l < config.num_layers; ++l) {
    std::string dense = fmt::format("layer {} / mlp", l), sparse = fmt::format("layer {} / sparse MLP kernel", l);
    if (m["regions_us"].contains(dense) && m["regions_us"].contains(sparse))
      m["mlp_speedup"][std::to_string(l)] = m["regions_us"][dense].get<double>() / m["regions_us"][sparse].get<double>();
    dense = fmt::format("layer {} / attention", l);
    sparse = fmt::format("layer {} / head-sparse attention kernel", l);
    if (m["regions_us"].contains(dense) && m["regions_us"].contains(sparse))
      m["attention_speedup"][std::to_string(l)] = m["regions_us"][dense].get<double>() / m["regions_us"][sparse].get<double>();
  }
  doc.add_timing("load", load_s);
  doc.add_model_inputs(model_dir);
  doc.add_input_files("tokenizer", tok.files());
  doc.add_input_files("data", {args.get("data")});
  doc.set_environment(describe_environment(model->placement()));
  std::cout << fmt::format("trace: {} ({} events); decode step {:.1f} us\n", trace_file.string(), profile->events().size(),
                           m["regions_us"].value("decode step (dense)", 0.0));
  std::cout << "result: " << doc.write_for_model(args.get("out"), model_dir) << "\n";
}

}  // namespace

experiment_case trace_case() {
  return {"trace",
          1,
          "the decode-step trace (Perfetto) and its table of op times, dense and sparse MLP and attention side by side",
          "profile one decode step op by op (libtorch Kineto), regions per layer and sub-block, then the sparse MLP and head-sparse attention kernels",
          {{"model", "data/models/tinystories-656k", "Hugging Face model directory"},
           {"tokenizer", "", "tokenizer.json or a directory with one (default: the model directory)"},
           {"data", "data/eval/wikitext-2-raw/wiki.test.raw", "text whose first tokens are the context"},
           {"context", "128", "tokens in the KV cache before the traced step"},
           {"warmup", "3", "decode steps before the traced one"},
           {"mlp-sparsity", "0.8", "fraction of MLP neurons the sparse kernels drop"},
           {"head-sparsity", "0.5", "fraction of attention heads the head-sparse kernels drop"},
           {"device", "cpu", "cpu, cuda or cuda:N"},
           {"devices", "", "layers split across these devices: cuda:0,cuda:1,... (cuda: every GPU); overrides --device"},
           {"dtype", "f32", "f32 or bf16"},
           {"out", "results", "results directory (the trace goes to <out>/trace/<model>/traces/)"}},
          run_trace};
}

}  // namespace harness
