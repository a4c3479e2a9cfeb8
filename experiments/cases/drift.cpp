// drift: how the residual stream changes across layers on real text (evals/drift.h), for any OPT or
// Llama checkpoint, so the two can be put side by side: for the block inputs x_l and for the normalised
// inputs the attention projections see. Documents are consecutive windows of the tokenised text; the
// bootstrap resamples them.
#include <chrono>
#include <iostream>

#include <c10/core/GradMode.h>

#include "evals/drift.h"
#include "experiments/cases/cases.h"
#include "experiments/progress.h"
#include "experiments/result.h"
#include "runtime/device.h"
#include "runtime/placement.h"
#include "runtime/error.h"
#include "runtime/model.h"
#include "runtime/text_file.h"
#include "runtime/tokenizer.h"

namespace harness {

namespace {

nlohmann::json to_json(const robust_summary& s) {
  return {{"median", s.median}, {"q1", s.q1},           {"q3", s.q3},
          {"ci95", {s.ci_low, s.ci_high}}, {"tokens", s.count}};
}

// The summaries of layer l; distances reach x_L for the block inputs, z_{L-1} for the normalised ones.
nlohmann::json layer_statistics(const drift_samples& s, int64_t l, int64_t resamples, uint64_t seed) {
  auto summary = [&](const std::vector<float>& values) { return to_json(summarize(values, s.doc, resamples, seed)); };
  nlohmann::json layer = {{"layer", l}};
  for (int64_t n = 1; n <= s.max_distance && l + n <= s.layers; ++n)
    layer["cos_with_next"][std::to_string(n)] = summary(s.cos[l][n - 1]);
  layer["norm_x"] = summary(s.x_norm[l]);
  layer["norm_attn_out"] = summary(s.attn_norm[l]);
  layer["norm_mlp_out"] = summary(s.mlp_norm[l]);
  layer["ratio_attn"] = summary(s.attn_ratio[l]);
  layer["ratio_mlp"] = summary(s.mlp_ratio[l]);
  for (int64_t n = 1; n <= s.max_distance && l + n < s.layers; ++n)
    layer["cos_with_next_normed"][std::to_string(n)] = summary(s.cos_normed[l][n - 1]);
  layer["norm_x_normed"] = summary(s.normed_norm[l]);
  return layer;
}

void run_drift(const case_args& args) {
  c10::NoGradGuard no_grad;
  using clock = std::chrono::steady_clock;
  const std::string& model_dir = args.get("model");
  if (model_dir.empty()) fail("drift: --model is required (the paper preset names no model)");
  const std::string& data = args.get("data");
  std::vector<at::Device> devices = model_devices(args.get("device"), args.get("devices"));
  int64_t seqlen = args.get_int("seqlen"), docs = args.get_int("docs"), max_n = args.get_int("max-distance");
  int64_t resamples = args.get_int("bootstrap");
  uint64_t seed = static_cast<uint64_t>(args.get_int("seed"));
  if (seqlen < 2 || docs < 1 || max_n < 1 || resamples < 1) fail("drift: seqlen >= 2, docs, max-distance and bootstrap >= 1");

  tokenizer tok = load_tokenizer(args.get("tokenizer").empty() ? model_dir : args.get("tokenizer"));
  std::vector<int32_t> ids = tok.encode(read_text_file(data), /*add_bos=*/false);
  if (static_cast<int64_t>(ids.size()) < seqlen * docs)
    fail("{}: {} tokens, fewer than docs x seqlen = {}", data, ids.size(), seqlen * docs);

  auto model = load_model(model_dir, parse_dtype(args.get("dtype")), devices);
  int64_t layers = model->config().num_layers;
  drift_samples samples(layers, max_n);
  auto t0 = clock::now();
  auto progress = progress_printer("drift", "documents");
  for (int64_t d = 0; d < docs; ++d) {
    std::vector<int64_t> window(ids.begin() + d * seqlen, ids.begin() + (d + 1) * seqlen);
    drift_recorder rec(layers);
    forward_options opt;
    opt.observer = &rec;
    opt.last_position_only = true;
    model->forward({at::tensor(window, at::kLong).unsqueeze(0), {}, {}}, opt);
    samples.add(rec, d);
    progress(d + 1, docs);
  }

  nlohmann::json per_layer = nlohmann::json::array();
  for (int64_t l = 0; l < layers; ++l) {
    nlohmann::json layer = layer_statistics(samples, l, resamples, seed);
    const nlohmann::json& cos1 = layer["cos_with_next"]["1"];
    std::cout << fmt::format("layer {:3d}: cos(x_l, x_l+1) median {:.4f} [{:.4f}, {:.4f}]  ||F_attn||/||x|| {:.4f}  "
                             "||F_mlp||/||x|| {:.4f}",
                             l, cos1["median"].get<double>(), cos1["ci95"][0].get<double>(),
                             cos1["ci95"][1].get<double>(), layer["ratio_attn"]["median"].get<double>(),
                             layer["ratio_mlp"]["median"].get<double>());
    if (layer.contains("cos_with_next_normed"))
      std::cout << fmt::format("  normalised cos {:.4f}", layer["cos_with_next_normed"]["1"]["median"].get<double>());
    std::cout << "\n";
    per_layer.push_back(layer);
  }

  result_document doc(find_case("drift"), args);
  doc.add_model_inputs(model_dir);
  doc.add_input_files("tokenizer", tok.files());
  doc.add_input_files("data", {data});
  doc.set_environment(describe_environment(model->placement()));
  doc.metrics()["architecture"] = model->config().arch == model_arch::llama ? "llama" : "opt";
  doc.metrics()["documents"] = docs;
  doc.metrics()["tokens_per_document"] = seqlen;
  doc.set_seed("bootstrap", seed);
  doc.metrics()["per_layer"] = per_layer;
  doc.add_timing("forward_and_statistics", std::chrono::duration<double>(clock::now() - t0).count());
  std::cout << "result: " << doc.write_for_model(args.get("out"), model_dir) << "\n";
}

}  // namespace

experiment_case drift_case() {
  return {"drift",
          2,
          "drift figures (similarity and norms vs depth, OPT against Llama) and the table of medians",
          "layer-to-layer change of the residual stream on real text: cosine similarity (raw and normalised), norms, ratios",
          {{"model", "data/models/tinystories-656k", "Hugging Face model directory (OPT or Llama)"},
           {"tokenizer", "", "tokenizer.json or a directory with one (default: the model directory)"},
           {"data", "data/eval/wikitext-2-raw/wiki.test.raw", "text file, read whole"},
           {"seqlen", "128", "tokens per document (a consecutive window of the text)"},
           {"docs", "16", "documents"},
           {"max-distance", "8", "largest n in cos(x_l, x_{l+n}) (and of the normalised inputs)"},
           {"bootstrap", "1000", "bootstrap resamples of the documents"},
           {"seed", "0", "bootstrap seed"},
           {"device", "cpu", "cpu, cuda or cuda:N"},
           {"devices", "", "layers split across these devices: cuda:0,cuda:1,... (cuda: every GPU); overrides --device"},
           {"dtype", "f32", "f32 or bf16"},
           {"out", "results", "results directory"}},
          run_drift,
          {{"tiny",
            {{"model", "data/models/tinystories-656k"}, {"data", "data/eval/wikitext-2-raw/wiki.test.raw"},
             {"seqlen", "128"}, {"docs", "16"}}},
           {"paper",
            {{"model", ""}, {"device", "cuda"}, {"dtype", "bf16"}, {"seqlen", "2048"}, {"docs", "64"},
             {"max-distance", "8"}, {"bootstrap", "1000"}}}}};
}

}  // namespace harness
