// forward_check: load a model directory, greedy-decode from a prompt (token ids or text), print the ids and
// write them with the last position's logits into a result. The first smoke test of the runtime.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <sstream>

#include <c10/core/GradMode.h>

#include "artifact/mann_whitney.h"
#include "experiments/cases/cases.h"
#include "experiments/result.h"
#include "runtime/device.h"
#include "runtime/placement.h"
#include <fmt/ranges.h>

#include "runtime/error.h"
#include "runtime/generate.h"
#include "runtime/json_file.h"
#include "runtime/tensor_util.h"
#include "runtime/tokenizer.h"

namespace harness {

namespace {

std::vector<int64_t> parse_ids(const std::string& text, int64_t vocab_size) {
  std::vector<int64_t> ids;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    size_t used = 0;
    int64_t id = -1;
    try {
      id = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size()) fail("--ids: '{}' is not an integer token id", item);
    if (id < 0 || id >= vocab_size) fail("--ids: token id {} is outside the vocabulary [0, {})", id, vocab_size);
    ids.push_back(id);
  }
  return ids;
}

// generation_config.json's eos_token_id wins over config.json's, as in transformers.
std::optional<int64_t> eos_token(const std::string& model_dir, const model_config& config) {
  std::filesystem::path gen = std::filesystem::path(model_dir) / "generation_config.json";
  if (std::filesystem::exists(gen)) {
    nlohmann::json j = read_json_file(gen.string());
    auto it = j.find("eos_token_id");
    if (it != j.end() && it->is_array() && !it->empty()) return (*it)[0].get<int64_t>();
    if (it != j.end() && it->is_number_integer()) return it->get<int64_t>();
  }
  return config.eos_token_id;
}

bool has_tokenizer(const std::string& model_dir) {
  std::filesystem::path dir(model_dir);
  return std::filesystem::exists(dir / "tokenizer.json") ||
         (std::filesystem::exists(dir / "vocab.json") && std::filesystem::exists(dir / "merges.txt"));
}

void run_forward_check(const case_args& args) {
  using clock = std::chrono::steady_clock;
  c10::NoGradGuard no_grad;
  const std::string& model_dir = args.get("model");
  std::vector<at::Device> devices = model_devices(args.get("device"), args.get("devices"));
  at::ScalarType dtype = parse_dtype(args.get("dtype"));

  auto t0 = clock::now();
  std::unique_ptr<causal_lm> model = load_model(model_dir, dtype, devices);
  double load_s = std::chrono::duration<double>(clock::now() - t0).count();
  const model_config& config = model->config();

  // The prompt: --ids, or --text through the model's tokenizer, or the BOS id alone.
  std::optional<tokenizer> tok;
  if (!args.get("text").empty()) tok = load_tokenizer(model_dir);
  std::vector<int64_t> prompt;
  if (!args.get("ids").empty() && tok) fail("give --ids or --text, not both");
  if (tok) {
    for (int32_t id : tok->encode(args.get("text"))) prompt.push_back(id);
  } else if (!args.get("ids").empty()) {
    prompt = parse_ids(args.get("ids"), config.vocab_size);
  } else {
    if (!config.bos_token_id) fail("{}: no --ids or --text given and config.json has no bos_token_id", model_dir);
    prompt = {*config.bos_token_id};
  }
  int64_t new_tokens = args.get_int("new-tokens");
  if (new_tokens < 1) fail("--new-tokens must be at least 1");

  greedy_options options;
  options.new_tokens = new_tokens;
  options.eos_token_id = eos_token(model_dir, config);
  options.pad_token_id = config.pad_token_id.value_or(options.eos_token_id.value_or(0));
  // Seconds of each generation step (each ends with the logits on the host, so device work is done);
  // the first includes the prompt's prefill.
  std::vector<double> step_s;
  auto step_start = clock::now();
  options.on_step = [&](int64_t done, int64_t total) {
    auto now = clock::now();
    step_s.push_back(std::chrono::duration<double>(now - step_start).count());
    step_start = now;
    if (done == total || done % 16 == 0) std::cerr << fmt::format("forward_check: token {}/{}\n", done, total);
  };
  at::Tensor input = at::tensor(prompt, at::kLong).unsqueeze(0);  // [1, T]
  auto t1 = clock::now();
  step_start = t1;
  greedy_result result = greedy_generate(*model, input, {}, options);
  double generate_s = std::chrono::duration<double>(clock::now() - t1).count();

  std::vector<int64_t> all_ids = to_vector<int64_t>(result.ids[0]);
  std::vector<int64_t> generated(all_ids.begin() + static_cast<long>(prompt.size()), all_ids.end());
  std::cout << fmt::format("generated ids: {}\n", fmt::join(generated, ","));
  // The text too, through the prompt's tokenizer or, from --ids or BOS, the model directory's if it has one
  // (then only shown, not a recorded input).
  std::optional<tokenizer> shown;
  if (!tok && has_tokenizer(model_dir)) shown = load_tokenizer(model_dir);
  if (tok || shown) {
    std::vector<int32_t> all32(all_ids.begin(), all_ids.end());
    std::cout << "text: " << (tok ? *tok : *shown).decode(all32, /*skip_special=*/true) << "\n";
  }

  at::Tensor last = result.step_logits[0][result.step_logits.size(1) - 1];  // [V] float32
  at::Tensor top_ids = std::get<1>(last.topk(std::min<int64_t>(5, last.numel())));
  result_document doc(find_case("forward_check"), args);
  doc.add_model_inputs(model_dir);
  doc.set_environment(describe_environment(model->placement()));
  if (tok) doc.add_input_files("tokenizer", tok->files());
  doc.metrics()["prompt_ids"] = prompt;
  doc.metrics()["generated_ids"] = generated;
  doc.metrics()["last_logits"] = to_vector<float>(last);
  doc.metrics()["last_top5_ids"] = to_vector<int64_t>(top_ids);
  doc.add_timing("load", load_s);
  doc.add_timing("generate", generate_s);
  doc.metrics()["decode_tokens_per_s"] = static_cast<double>(generated.size()) / generate_s;
  doc.metrics()["first_step_s"] = step_s.front();
  if (step_s.size() > 1) {  // raw samples of one decode step each, for `harness diff`'s Mann-Whitney test
    std::vector<double> decode(step_s.begin() + 1, step_s.end());
    doc.metrics()["decode_step_s"] = {{"value", median(decode)}, {"samples", decode}, {"unit", "s"}};
  }
  std::cout << "result: " << doc.write_for_model(args.get("out"), model_dir) << "\n";
}

}  // namespace

experiment_case forward_check_case() {
  return {"forward_check",
          1,
          "smoke test (no table)",
          "load a model, greedy-decode from token ids, write ids and last logits",
          {{"model", "data/models/tinystories-656k", "Hugging Face model directory (config.json + safetensors)"},
           {"device", "cpu", "cpu, cuda or cuda:N"},
           {"devices", "", "layers split across these devices: cuda:0,cuda:1,... (cuda: every GPU); overrides --device"},
           {"dtype", "f32", "f32 or bf16"},
           {"ids", "", "prompt token ids, comma-separated (default: the model's BOS id)"},
           {"text", "", "prompt text, tokenised with the model directory's tokenizer (instead of --ids)"},
           {"new-tokens", "16", "tokens to generate greedily"},
           {"out", "results", "results directory"}},
          run_forward_check};
}

}  // namespace harness
