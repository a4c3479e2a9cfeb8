// perplexity: a model's perplexity on a text file under a named protocol (evals/perplexity.h).
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>

#include "evals/perplexity.h"
#include "evals/text_source.h"
#include "experiments/cases/cases.h"
#include "experiments/progress.h"
#include "experiments/result.h"
#include "runtime/device.h"
#include "runtime/placement.h"
#include "runtime/error.h"
#include "runtime/tokenizer.h"

namespace harness {

namespace {

void run_perplexity(const case_args& args) {
  using clock = std::chrono::steady_clock;
  const std::string& model_dir = args.get("model");
  std::string tokenizer_path = args.get("tokenizer").empty() ? model_dir : args.get("tokenizer");
  const std::string& data = args.get("data");
  std::vector<at::Device> devices = model_devices(args.get("device"), args.get("devices"));

  auto t0 = clock::now();
  tokenizer tok = load_tokenizer(tokenizer_path);
  std::optional<int64_t> bos;
  if (tok.adds_bos_by_default() && tok.bos_id()) bos = *tok.bos_id();
  ppl_protocol protocol = parse_ppl_protocol(args.get("protocol"), args.get_int("window"), args.get_int("stride"), bos);
  text_source source =
      parse_text_source(args.get("text"), args.get_int("text-docs"), args.get_int("text-windows"), args.get_int("text-seed"));
  if (source.kind == "docs_sample" && protocol.kind != "nonoverlap")
    fail("--text docs_sample makes windows of --window tokens; score them with --protocol nonoverlap");
  token_stream stream = build_token_stream(source, data, tok, protocol.window);
  const std::vector<int64_t>& ids = stream.ids;
  double tokenize_s = std::chrono::duration<double>(clock::now() - t0).count();

  auto model = load_model(model_dir, parse_dtype(args.get("dtype")), devices);
  int64_t limit = args.get_int("limit");

  auto t1 = clock::now();
  ppl_result r = evaluate_perplexity(*model, ids, protocol, args.get_int("batch"), limit, progress_printer("perplexity", "windows"));
  double eval_s = std::chrono::duration<double>(clock::now() - t1).count();
  std::cout << fmt::format("{} of {} on {}: perplexity {:.4f} (mean NLL {:.5f} +/- {:.5f}, {} tokens in {} windows)\n",
                           protocol.id(), source.id(), std::filesystem::path(data).filename().string(), r.perplexity, r.mean_nll,
                           r.nll_stderr, r.tokens_scored, r.windows);

  result_document doc(find_case("perplexity"), args);
  doc.add_model_inputs(model_dir);
  doc.add_input_files("tokenizer", tok.files());
  doc.add_input_files("data", {data});
  doc.set_environment(describe_environment(model->placement()));
  doc.metrics()["protocol"] = protocol.id();
  doc.metrics()["text"] = source.id();
  if (!stream.text_sha256.empty()) doc.metrics()["text_sha256"] = stream.text_sha256;
  if (!stream.samples.empty()) doc.metrics()["text_samples"] = stream.samples;
  doc.metrics()["stream_tokens"] = ids.size();
  doc.metrics()["perplexity"] = r.perplexity;
  doc.metrics()["mean_nll"] = {{"value", r.mean_nll}, {"stderr", r.nll_stderr}};
  doc.metrics()["tokens_scored"] = r.tokens_scored;
  doc.metrics()["windows"] = r.windows;
  doc.metrics()["window_mean_nll"] = r.window_mean_nll;
  doc.add_timing("tokenize", tokenize_s);
  doc.add_timing("evaluate", eval_s);
  if (limit > 0) doc.mark_invalid(fmt::format("--limit {} scored only part of the data", limit));
  std::cout << "result: " << doc.write_for_model(args.get("out"), model_dir) << "\n";
}

}  // namespace

experiment_case perplexity_case() {
  return {"perplexity",
          2,
          "perplexity tables (dense baselines; sparse runs reuse the same protocols)",
          "perplexity of a model on a text file under a named protocol",
          {{"model", "data/models/tinystories-656k", "Hugging Face model directory"},
           {"tokenizer", "", "tokenizer.json or a directory with one (default: the model directory)"},
           {"data", "data/eval/wikitext-2-raw/wiki.test.raw", "text file, or .jsonl documents for docs_*"},
           {"text", "raw", "raw (file as is), hf_rows (GPTQ WikiText-2), docs_join (SparseGPT C4), docs_sample (GPTQ C4)"},
           {"text-docs", "1100", "docs_join: join the first N documents"},
           {"text-windows", "256", "docs_join: keep N x window tokens; docs_sample: sample N windows"},
           {"text-seed", "0", "docs_sample: Python random.seed"},
           {"protocol", "nonoverlap", "nonoverlap, sliding or halfwin"},
           {"window", "512", "seqlen (nonoverlap), max_len (sliding) or n_ctx (halfwin)"},
           {"stride", "256", "sliding only: tokens between window starts"},
           {"batch", "4", "windows per forward pass"},
           {"limit", "0", "score at most this many windows (0 = all; > 0 marks the result INVALID)"},
           {"device", "cpu", "cpu, cuda or cuda:N"},
           {"devices", "", "layers split across these devices: cuda:0,cuda:1,... (cuda: every GPU); overrides --device"},
           {"dtype", "f32", "f32 or bf16"},
           {"out", "results", "results directory"}},
          run_perplexity};
}

}  // namespace harness
