// The scale check's pieces: parameter and FLOP counts against the tensors of real and synthetic
// checkpoints and against the published sizes of the paper models, sharded synthetic checkpoints, and the
// measured child process.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "experiments/measure.h"
#include "experiments/paper_models.h"
#include "experiments/scale_estimate.h"
#include "experiments/scale_stages.h"
#include "runtime/json_file.h"
#include "runtime/model.h"
#include "runtime/safetensors.h"
#include "runtime/synthetic_checkpoint.h"
#include "test_paths.h"

namespace fs = std::filesystem;
using namespace harness;

namespace {

// Elements of every tensor in a checkpoint folder (every .safetensors file in it), and of its 2-D
// tensors inside the decoder layers.
struct tensor_census {
  uint64_t all = 0, layer_matrices = 0;
};

tensor_census count_tensors(const fs::path& dir) {
  tensor_census n;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string file = e.path().filename().string();
    if (e.path().extension() != ".safetensors" || file.rfind("reference", 0) == 0) continue;  // fixtures' outputs
    safetensors_file f(e.path().string());
    for (const st_tensor_info& t : f.header().tensors) {
      uint64_t numel = 1;
      for (int64_t s : t.shape) numel *= static_cast<uint64_t>(s);
      n.all += numel;
      if (t.shape.size() == 2 && t.name.find("layers.") != std::string::npos) n.layer_matrices += numel;
    }
  }
  return n;
}

nlohmann::json tiny_llama(bool tied) {
  return {{"architectures", {"LlamaForCausalLM"}}, {"model_type", "llama"}, {"vocab_size", 300},
          {"hidden_size", 32}, {"intermediate_size", 48}, {"num_hidden_layers", 3}, {"num_attention_heads", 4},
          {"num_key_value_heads", 2}, {"head_dim", 8}, {"max_position_embeddings", 128}, {"rms_norm_eps", 1e-5},
          {"tie_word_embeddings", tied}, {"bos_token_id", 1}, {"eos_token_id", 2}};
}

}  // namespace

CATCH_TEST_CASE("scale estimate: parameter_count equals the tensors of real checkpoints", "[scale]") {
  std::vector<fs::path> dirs;
  for (const char* name : {"tiny-llama2", "tiny-llama3", "tiny-opt", "tiny-opt350"}) dirs.push_back(test::fixture_dir(name));
  for (const char* name : {"tinystories-656k", "tiny-pair-opt", "tiny-pair-llama"})
    dirs.push_back(test::project_dir() / "data" / "models" / name);
  for (const fs::path& dir : dirs) {
    model_config c = read_model_config((dir / "config.json").string());
    tensor_census n = count_tensors(dir);
    CATCH_INFO(dir.string());
    CATCH_REQUIRE(parameter_count(c) == n.all);
  }
}

CATCH_TEST_CASE("scale estimate: the paper models have their published sizes", "[scale]") {
  // Parameter counts as the model cards and transformers' num_parameters() report them.
  const std::pair<const char*, uint64_t> published[] = {
      {"Llama-3.2-3B", 3212749824ull}, {"Llama-3.1-8B", 8030261248ull}, {"opt-125m", 125239296ull},
      {"opt-350m", 331196416ull},      {"opt-1.3b", 1315758080ull},      {"opt-6.7b", 6658473984ull}};
  for (const auto& [name, count] : published) {
    CATCH_INFO(name);
    CATCH_REQUIRE(parameter_count(parse_model_config(find_paper_model(name).config, name)) == count);
  }
  CATCH_REQUIRE(find_paper_model("llama-3.2-3b").name == "Llama-3.2-3B");
  CATCH_REQUIRE_THROWS_WITH(find_paper_model("opt-7b"), Catch::Contains("unknown paper model 'opt-7b'") &&
                                                            Catch::Contains("opt-66b"));
}

CATCH_TEST_CASE("scale estimate: FLOPs per token count every layer matrix and the head", "[scale]") {
  for (bool tied : {true, false}) {
    test::temp_dir dir("scale-flops");
    write_synthetic_llama(dir.path().string(), tiny_llama(tied), at::kFloat, 1);
    model_config c = read_model_config((dir.path() / "config.json").string());
    tensor_census n = count_tensors(dir.path());
    CATCH_REQUIRE(parameter_count(c) == n.all);
    double head = 2.0 * c.vocab_size * c.hidden_size;
    CATCH_REQUIRE(forward_flops_per_token(c, 0) == 2.0 * static_cast<double>(n.layer_matrices) + head);
    // Each attended key costs Q.K and P.V: 4 x heads x head_dim per layer.
    CATCH_REQUIRE(forward_flops_per_token(c, 10) - forward_flops_per_token(c, 0) ==
                  10.0 * 4 * c.num_heads * c.head_dim * c.num_layers);
    // Passes that score tasks: positions through the layers, keys in all, the head where logits are taken.
    CATCH_REQUIRE(forward_flops(c, 3, 20, 1) == 3 * 2.0 * static_cast<double>(n.layer_matrices) +
                                                    20.0 * 4 * c.num_heads * c.head_dim * c.num_layers + head);
  }
}

CATCH_TEST_CASE("scale estimate: the working set grows with the batch and quadratically in attention", "[scale]") {
  model_config c = parse_model_config(find_paper_model("Llama-3.2-3B").config, "Llama-3.2-3B");
  uint64_t one = forward_working_bytes(c, {1, 2048}, 2), four = forward_working_bytes(c, {4, 2048}, 2);
  CATCH_REQUIRE(four == 4 * one);
  // At 2048 tokens the [B, H, T, T] scores and probabilities dominate one layer: 2 x 24 x 2048^2 x 2 bytes.
  CATCH_REQUIRE(one >= 2ull * 24 * 2048 * 2048 * 2);
  CATCH_REQUIRE(forward_working_bytes(c, {1, 2048, 29}, 2) - one == 29ull * 2048 * 3072 * 2);
}

CATCH_TEST_CASE("scale estimate: attention holds its scores and float32 probabilities and the head may run at one position", "[scale]") {
  model_config c = parse_model_config(find_paper_model("Llama-3.2-3B").config, "Llama-3.2-3B");
  const uint64_t tokens = 2048, scores = 24ull * 2048 * 2048;
  const uint64_t residual = 2 * tokens * 3072 * 2, projections = tokens * (3072 + 3072 + 2 * 1024 + 3072) * 2;
  // The head (logits and a float32 log-softmax at 2048 positions) is the largest transient ...
  CATCH_REQUIRE(forward_working_bytes(c, {1, 2048}, 2) == residual + tokens * 128256 * (2 + 8));
  // ... unless it runs at the last position only: then attention is, with the bf16 scores, the float32
  // copy of them the softmax makes and its float32 output (10 bytes per score); in float32, scores and
  // probabilities (8 bytes).
  CATCH_REQUIRE(forward_working_bytes(c, {1, 2048, 0, 0, true}, 2) == residual + projections + 10 * scores);
  CATCH_REQUIRE(forward_working_bytes(c, {1, 2048, 0, 0, true}, 4) == 2 * residual + 2 * projections + 8 * scores);
}

CATCH_TEST_CASE("scale estimate: anchor/reuse masks add their key masks to attention and keep every layer's tiles", "[scale]") {
  // A config whose attention is the largest transient, so that the added bytes show in the total.
  model_config c = parse_model_config(find_paper_model("Llama-3.2-3B").config, "Llama-3.2-3B");
  c.vocab_size = 1000;
  const uint64_t scores = 24ull * 2048 * 2048, tiles_kept = 28ull * 24 * 2048 * (2048 / 16);
  // A reuse layer's bool mask, its visible part and the additive mask: 4 bytes per score more in bf16
  // (the anchor layer's 8 bytes of float32 probabilities are fewer than that), 6 in float32.
  CATCH_REQUIRE(forward_working_bytes(c, {1, 2048, 0, 16}, 2) - forward_working_bytes(c, {1, 2048}, 2) == 4 * scores + tiles_kept);
  CATCH_REQUIRE(forward_working_bytes(c, {1, 2048, 0, 16}, 4) - forward_working_bytes(c, {1, 2048}, 4) == 6 * scores + tiles_kept);
  // A partial last tile counts whole.
  CATCH_REQUIRE(forward_working_bytes(c, {1, 2048, 0, 3000}, 2) - forward_working_bytes(c, {1, 2048}, 2) ==
                4 * scores + 28ull * 24 * 2048);
}

CATCH_TEST_CASE("synthetic checkpoint: shards load to the same model as one file", "[scale]") {
  test::temp_dir one("scale-one"), three("scale-three");
  write_synthetic_llama(one.path().string(), tiny_llama(false), at::kFloat, 7);
  write_synthetic_llama(three.path().string(), tiny_llama(false), at::kFloat, 7, 3);
  for (int i = 1; i <= 3; ++i)
    CATCH_REQUIRE(fs::exists(three.path() / fmt::format("model-{:05d}-of-00003.safetensors", i)));
  nlohmann::json index = read_json_file((three.path() / "model.safetensors.index.json").string());
  CATCH_REQUIRE(index["weight_map"].size() == 3 * 9 + 3);  // layers, embeddings, final norm, head
  CATCH_REQUIRE(index["metadata"]["total_size"].get<uint64_t>() == count_tensors(three.path()).all * 4);
  auto a = load_model(one.path().string(), at::kFloat, at::Device(at::kCPU));
  auto b = load_model(three.path().string(), at::kFloat, at::Device(at::kCPU));
  forward_input input;
  input.input_ids = at::tensor({1, 5, 9, 200}, at::kLong).unsqueeze(0);  // [1, 4]
  CATCH_REQUIRE(at::equal(a->forward(input, {}).logits, b->forward(input, {}).logits));
  CATCH_REQUIRE_THROWS_WITH(write_synthetic_llama((three.path() / "x").string(), tiny_llama(false), at::kFloat, 7, 100),
                            Catch::Contains("cannot write 30 tensors as 100 shards"));
}

CATCH_TEST_CASE("measure: a child's exit status wall time and peak memory", "[scale]") {
  test::temp_dir dir("measure");
  std::string log = (dir.path() / "log").string();
  // python allocates and touches 200 MB, prints, and exits 3.
  child_measure m = run_measured({HARNESS_PYTHON, "-c", "b = bytearray(200 * 2**20); print('hi'); raise SystemExit(3)"}, log);
  CATCH_REQUIRE(m.exit_code == 3);
  CATCH_REQUIRE(m.peak_rss_bytes > 200ull * 1024 * 1024);
  CATCH_REQUIRE(m.wall_s > 0);
  std::ifstream in(log);
  std::string line;
  std::getline(in, line);
  CATCH_REQUIRE(line == "hi");
  CATCH_REQUIRE(run_measured({"/nonexistent/program"}, log).exit_code == 127);
  reset_peak_rss();
  uint64_t before = peak_rss_bytes();
  std::vector<char> block(64 << 20, 1);
  CATCH_REQUIRE(peak_rss_bytes() >= before + (60ull << 20));
  CATCH_REQUIRE(block[12345] == 1);
}

CATCH_TEST_CASE("scale stages: the paper cases and what each keeps resident", "[scale]") {
  model_config c = parse_model_config(find_paper_model("Llama-3.2-3B").config, "Llama-3.2-3B");
  paper_data data;
  data.eval_tokens = 1000;
  data.zero_shot.work = {5000, 90000, 4000, 12};
  data.few_shot.work = {7000, 2e6, 100, 30};
  data.few_shot.missing = {"gpqa_diamond_n_shot"};
  data.dejavu_tasks.work = {300, 9000, 200, 5};
  std::vector<scale_stage> stages = scale_stages(c, "llama_sparse", 256, "/tmp/work", data);
  std::vector<std::string> names, paper;
  for (const scale_stage& s : stages) {
    names.push_back(s.case_name);
    if (s.in_paper) paper.push_back(s.case_name);
  }
  CATCH_REQUIRE(names == std::vector<std::string>{"forward_check", "perplexity", "drift", "llama_sparse", "zero_shot",
                                                  "few_shot", "kascade", "trace"});
  CATCH_REQUIRE(paper == std::vector<std::string>{"drift", "llama_sparse", "zero_shot", "few_shot", "kascade"});
  // DejaVu's sweep keeps one MLP predictor (d -> 1000 -> ffn) and one head predictor (d -> 1000 -> KV groups)
  // per layer; it and the trace keep the sparse kernels' transposed copies of down and o of every layer.
  CATCH_REQUIRE(stages[3].resident_f32_elements == 28ull * (3072 * 1000 + 1000 * 8192 + 3072 * 1000 + 1000 * 8));
  const uint64_t kernel_copy = 28ull * (8192 * 3072 + 3072 * 3072);
  CATCH_REQUIRE(stages[3].resident_model_elements == kernel_copy);
  CATCH_REQUIRE(stages[7].resident_model_elements == kernel_copy);
  CATCH_REQUIRE(stages[2].paper_forward_tokens == 64.0 * 2048);
  // Recording, then 15 sweep levels (dense, and oracle and predicted at 5 MLP and 2 head levels), each
  // scoring the texts and 4 windows of layer errors twice.
  CATCH_REQUIRE(stages[3].paper_forward_tokens == 400000.0 + 15 * 1000.0 + 15 * 2 * 4 * 2048.0);
  CATCH_REQUIRE(stages[3].paper_disk_bytes > 300ull << 30);
  // The task cases are timed by the passes that score their suites; the sweep scores its tasks at each level.
  CATCH_REQUIRE(stages[4].paper_scoring.keys == 90000);
  CATCH_REQUIRE(stages[5].paper_scoring.positions == 7000);
  CATCH_REQUIRE(stages[5].projection_note.find("not counted, no data: gpqa_diamond_n_shot") != std::string::npos);
  CATCH_REQUIRE(stages[3].paper_scoring.positions == 15 * 300.0);
  CATCH_REQUIRE(stages[3].paper_scoring.logit_positions == 15 * 200.0);
}
