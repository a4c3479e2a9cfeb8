// kascade: Kascade-style anchor/reuse sparse attention on a model (kernels/anchor_reuse_calibration.h).
// Calibrates the schedule on the first windows of a text (the dense model's per-layer top-k tile
// selections at sampled query positions, greedy anchors by cross-layer similarity), writes it as JSON, then
// measures perplexity on the following windows dense and with the schedule applied as key masks.
#include <c10/core/GradMode.h>

#include <fmt/ranges.h>

#include <chrono>
#include <filesystem>
#include <iostream>

#include "evals/perplexity.h"
#include "experiments/cases/cases.h"
#include "experiments/result.h"
#include "kernels/anchor_reuse_calibration.h"
#include "runtime/device.h"
#include "runtime/placement.h"
#include "runtime/error.h"
#include "runtime/text_file.h"
#include "runtime/tokenizer.h"

namespace harness {

namespace {

using nlohmann::json;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void run_kascade(const case_args& args) {
  c10::NoGradGuard no_grad;
  const std::string& model_dir = args.get("model");
  const std::string& data = args.get("data");
  std::vector<at::Device> devices = model_devices(args.get("device"), args.get("devices"));
  int64_t seq_len = args.get_int("seq-len"), calib = args.get_int("calibration-windows");
  int64_t eval = args.get_int("eval-windows"), tile = args.get_int("tile"), top_k = args.get_int("top-k");
  int64_t stride = args.get_int("sample-stride"), batch = args.get_int("batch");
  if (calib < 1 || eval < 1 || stride < 1 || batch < 1)
    fail("kascade: calibration-windows, eval-windows, sample-stride and batch must be at least 1");

  auto t0 = std::chrono::steady_clock::now();
  tokenizer tok = load_tokenizer(model_dir);
  std::vector<int32_t> ids32 = tok.encode(read_text_file(data));
  std::vector<int64_t> ids(ids32.begin(), ids32.end());
  if (static_cast<int64_t>(ids.size()) < (calib + eval) * seq_len)
    fail("kascade: {} has {} tokens; {} calibration and {} evaluation windows of {} need {}", data, ids.size(), calib,
         eval, seq_len, (calib + eval) * seq_len);
  auto model = load_model(model_dir, parse_dtype(args.get("dtype")), devices);

  // Calibration: queries sampled from the first position with more than top-k visible tiles.
  std::vector<int64_t> positions;
  for (int64_t p = tile * top_k; p < seq_len; p += stride) positions.push_back(p);
  if (positions.empty()) fail("kascade: seq-len {} leaves no query with more than {} tiles of {}", seq_len, top_k, tile);
  selection_recorder recorder(tile, top_k, positions);
  forward_options record;
  record.dynamic_masks = &recorder;
  record.last_position_only = true;
  for (int64_t w = 0; w < calib; ++w) {
    std::vector<int64_t> window(ids.begin() + w * seq_len, ids.begin() + (w + 1) * seq_len);
    model->forward({at::tensor(window, at::kLong).unsqueeze(0), {}, {}}, record);
  }
  std::vector<calibration_step> steps;
  anchor_reuse_schedule schedule = choose_schedule(recorder.selections(), tile, top_k,
                                                   args.get_int("max-reuse-distance"), args.get_double("threshold"), &steps);
  double calibrate_s = seconds_since(t0);

  // Evaluation on the windows after the calibration ones.
  auto t1 = std::chrono::steady_clock::now();
  std::vector<int64_t> rest(ids.begin() + calib * seq_len, ids.end());
  ppl_protocol protocol = parse_ppl_protocol("nonoverlap", seq_len, seq_len, std::nullopt);
  ppl_result dense = evaluate_perplexity(*model, rest, protocol, batch, eval);
  anchor_reuse_masks masks(schedule);
  ppl_result sparse = evaluate_perplexity(*model, rest, protocol, batch, eval, {}, &masks);
  double evaluate_s = seconds_since(t1);

  json layers = json::array();
  for (const calibration_step& s : steps) {
    json entry = {{"layer", s.layer}, {"role", s.reuse ? "reuse" : "anchor"}, {"keys_attended", masks.attended_fraction(s.layer)}};
    if (s.candidate >= 0) entry["compared_with"] = s.candidate;
    if (!s.versus.head_map.empty())
      entry.update({{"similarity", s.versus.similarity}, {"tile_overlap", s.versus.overlap}, {"head_map", s.versus.head_map}});
    layers.push_back(entry);
  }
  std::cout << fmt::format("calibration: {} windows of {} tokens, {} sampled queries each; anchors {}\n", calib, seq_len,
                           positions.size(), fmt::join(schedule.anchors, ", "));
  for (const json& l : layers) std::cout << "  " << l.dump() << "\n";
  std::cout << fmt::format("{} on {} windows after them: dense perplexity {:.4f}, anchor/reuse {:.4f} ({:+.2f}%), "
                           "keys attended {:.1f}%\n",
                           protocol.id(), dense.windows, dense.perplexity, sparse.perplexity,
                           100.0 * (sparse.perplexity / dense.perplexity - 1.0), 100.0 * masks.attended_fraction());

  result_document doc(find_case("kascade"), args);
  doc.add_model_inputs(model_dir);
  doc.add_input_files("tokenizer", tok.files());
  doc.add_input_files("data", {data});
  doc.set_environment(describe_environment(model->placement()));
  json& m = doc.metrics();
  m["protocol"] = protocol.id();
  m["calibration"] = {{"windows", calib}, {"tokens_per_window", seq_len}, {"sampled_positions", positions},
                      {"similarity", "mean over heads of (mass of the layer's head in the anchor head's tiles) / "
                                     "(mass in its own top-k tiles), head map = best anchor head"},
                      {"reuse_rule", "distance <= max-reuse-distance and 1 - similarity <= threshold"}};
  m["schedule"] = schedule_to_json(schedule);
  m["layers"] = layers;
  m["dense"] = {{"perplexity", dense.perplexity}, {"mean_nll", {{"value", dense.mean_nll}, {"stderr", dense.nll_stderr}}}};
  m["anchor_reuse"] = {{"perplexity", sparse.perplexity},
                       {"mean_nll", {{"value", sparse.mean_nll}, {"stderr", sparse.nll_stderr}}}};
  m["perplexity_change"] = sparse.perplexity / dense.perplexity - 1.0;
  m["keys_attended"] = masks.attended_fraction();
  m["tokens_scored"] = dense.tokens_scored;
  m["windows"] = dense.windows;
  doc.add_timing("calibrate", calibrate_s);
  doc.add_timing("evaluate", evaluate_s);
  std::string path = doc.write_for_model(args.get("out"), model_dir);
  std::string schedule_path = std::filesystem::path(path).replace_extension(".schedule.json").string();
  write_schedule(schedule_path, schedule);
  std::cout << "schedule: " << schedule_path << "\nresult: " << path << "\n";
}

}  // namespace

experiment_case kascade_case() {
  return {"kascade",
          1,
          "anchor/reuse (Kascade-style) sparse attention: schedule and perplexity change against dense",
          "calibrate an anchor/reuse schedule on a text, then perplexity dense vs with the schedule",
          {{"model", "data/models/tinystories-656k", "Hugging Face model directory"},
           {"data", "data/eval/wikitext-2-raw/wiki.test.raw", "text file: calibration windows first, then evaluation"},
           {"seq-len", "512", "tokens per window"},
           {"calibration-windows", "4", "windows the schedule is calibrated on"},
           {"eval-windows", "16", "windows after them on which perplexity is measured"},
           {"tile", "16", "keys per tile"},
           {"top-k", "8", "tiles kept per head and query"},
           {"max-reuse-distance", "4", "most layers a reuse layer may lie after its anchor"},
           {"threshold", "0.1", "largest similarity loss 1 - similarity a reuse layer may have"},
           {"sample-stride", "32", "calibration queries every this many positions (from top-k * tile on)"},
           {"batch", "4", "windows per forward pass in the evaluation"},
           {"device", "cpu", "cpu, cuda or cuda:N"},
           {"devices", "", "layers split across these devices: cuda:0,cuda:1,... (cuda: every GPU); overrides --device"},
           {"dtype", "f32", "f32 or bf16"},
           {"out", "results", "results directory"}},
          run_kascade,
          {{"tiny", {{"calibration-windows", "2"}, {"eval-windows", "4"}}}}};
}

}  // namespace harness
