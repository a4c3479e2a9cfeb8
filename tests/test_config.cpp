// config.json parsing for Llama and OPT, including the spellings transformers 4.x and 5.x write, and a
// clear error for each missing or malformed field and for weights that disagree with the config.
#include <catch2/catch.hpp>

#include <fstream>

#include <nlohmann/json.hpp>

#include "runtime/json_file.h"
#include "runtime/model.h"
#include "runtime/model_config.h"
#include "tests/test_support.h"

namespace harness {
namespace {

namespace fs = std::filesystem;

std::string write_config(const fs::path& dir, const nlohmann::json& j) {
  fs::path p = dir / "config.json";
  std::ofstream(p) << j.dump();
  return p.string();
}

nlohmann::json llama_base() {
  return {{"model_type", "llama"},      {"vocab_size", 100},           {"hidden_size", 64},
          {"intermediate_size", 128},   {"num_hidden_layers", 2},      {"num_attention_heads", 4},
          {"max_position_embeddings", 256}};
}

}  // namespace

CATCH_TEST_CASE("config: fixtures parse with the values their README states", "[config]") {
  model_config l3 = read_model_config((test::fixture_dir("tiny-llama3") / "config.json").string());
  CATCH_CHECK(l3.arch == model_arch::llama);
  CATCH_CHECK(l3.num_kv_heads == 2);
  CATCH_CHECK(l3.head_dim == 16);
  CATCH_CHECK(l3.tie_word_embeddings);
  CATCH_REQUIRE(l3.rope_scaling);
  CATCH_CHECK(l3.rope_scaling->type == "llama3");
  CATCH_CHECK(l3.rope_scaling->factor == 32.0);
  CATCH_CHECK(l3.rope_scaling->original_max_position_embeddings == 64);
  CATCH_CHECK(l3.rope_theta == 500000.0);

  model_config o = read_model_config((test::fixture_dir("tiny-opt350") / "config.json").string());
  CATCH_CHECK(o.arch == model_arch::opt);
  CATCH_CHECK_FALSE(o.do_layer_norm_before);
  CATCH_CHECK(o.word_embed_proj_dim == 32);
  CATCH_CHECK(o.has_projections());
  CATCH_CHECK(o.tie_word_embeddings);
  CATCH_CHECK(o.intermediate_size == 256);
}

CATCH_TEST_CASE("config: rope scaling spellings of transformers 4 and 5", "[config]") {
  test::temp_dir dir("cfg");
  nlohmann::json j = llama_base();
  j["rope_theta"] = 500000.0;
  j["rope_scaling"] = {{"type", "llama3"}, {"factor", 8.0}, {"low_freq_factor", 1.0}, {"high_freq_factor", 4.0},
                       {"original_max_position_embeddings", 8192}};
  model_config a = read_model_config(write_config(dir.path(), j));
  CATCH_REQUIRE(a.rope_scaling);
  CATCH_CHECK(a.rope_scaling->type == "llama3");
  CATCH_CHECK(a.rope_theta == 500000.0);

  j.erase("rope_scaling");
  j.erase("rope_theta");
  j["rope_parameters"] = {{"rope_type", "llama3"}, {"rope_theta", 250000.0}, {"factor", 32.0}, {"low_freq_factor", 1.0},
                          {"high_freq_factor", 4.0}, {"original_max_position_embeddings", 8192}};
  model_config b = read_model_config(write_config(dir.path(), j));
  CATCH_REQUIRE(b.rope_scaling);
  CATCH_CHECK(b.rope_scaling->factor == 32.0);
  CATCH_CHECK(b.rope_theta == 250000.0);

  j["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", 10000.0}};
  CATCH_CHECK_FALSE(read_model_config(write_config(dir.path(), j)).rope_scaling);

  j["rope_parameters"] = {{"rope_type", "yarn"}, {"factor", 4.0}};
  CATCH_CHECK_THROWS_WITH(read_model_config(write_config(dir.path(), j)), Catch::Contains("'yarn' is not supported"));
  j["rope_parameters"] = {{"rope_type", "llama3"}, {"factor", 4.0}};
  CATCH_CHECK_THROWS_WITH(read_model_config(write_config(dir.path(), j)), Catch::Contains("missing 'low_freq_factor'"));
}

CATCH_TEST_CASE("config: missing and malformed fields are named", "[config][errors]") {
  test::temp_dir dir("cfg-bad");
  for (const char* field : {"vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                            "num_attention_heads", "max_position_embeddings"}) {
    nlohmann::json j = llama_base();
    j.erase(field);
    std::string path = write_config(dir.path(), j);
    CATCH_INFO(field);
    CATCH_CHECK_THROWS_WITH(read_model_config(path),
                            Catch::Contains(path) && Catch::Contains(std::string("missing config field '") + field));
  }
  nlohmann::json j = llama_base();
  j["num_key_value_heads"] = 3;
  CATCH_CHECK_THROWS_WITH(read_model_config(write_config(dir.path(), j)), Catch::Contains("not a multiple"));
  j = llama_base();
  j["hidden_size"] = "64";
  CATCH_CHECK_THROWS_WITH(read_model_config(write_config(dir.path(), j)), Catch::Contains("'hidden_size' must be"));
  j = llama_base();
  j["model_type"] = "gpt_neox";
  CATCH_CHECK_THROWS_WITH(read_model_config(write_config(dir.path(), j)), Catch::Contains("'gpt_neox' is not supported"));
  j = {{"model_type", "opt"}, {"vocab_size", 10}, {"hidden_size", 8}, {"num_hidden_layers", 1},
       {"num_attention_heads", 2}, {"max_position_embeddings", 16}};
  CATCH_CHECK_THROWS_WITH(read_model_config(write_config(dir.path(), j)), Catch::Contains("missing config field 'ffn_dim'"));
  std::ofstream(dir.path() / "config.json") << "{\"model_type\": ";
  CATCH_CHECK_THROWS_WITH(read_model_config((dir.path() / "config.json").string()), Catch::Contains("invalid JSON"));
  CATCH_CHECK_THROWS_WITH(read_model_config((dir.path() / "none.json").string()), Catch::Contains("cannot open"));
}

CATCH_TEST_CASE("loader: weights that disagree with config.json are reported", "[config][errors]") {
  test::temp_dir dir("model-bad");
  test::copy_model(test::fixture_dir("tiny-llama2"), dir.path());
  at::Device cpu(at::kCPU);
  std::string config_path = (dir.path() / "config.json").string();
  nlohmann::json original = read_json_file(config_path);

  nlohmann::json j = original;
  j["intermediate_size"] = 100;
  write_config(dir.path(), j);
  CATCH_CHECK_THROWS_WITH(load_model(dir.path().string(), at::kFloat, cpu),
                          Catch::Contains("model.safetensors") && Catch::Contains("mlp.gate_proj.weight") &&
                              Catch::Contains("has shape [176, 64]"));
  j = original;
  j["num_hidden_layers"] = 5;  // layer 4 does not exist
  write_config(dir.path(), j);
  CATCH_CHECK_THROWS_WITH(load_model(dir.path().string(), at::kFloat, cpu),
                          Catch::Contains("missing tensor 'model.layers.4.input_layernorm.weight'"));
  j = original;
  j["attention_bias"] = true;  // biases the checkpoint does not have
  write_config(dir.path(), j);
  CATCH_CHECK_THROWS_WITH(load_model(dir.path().string(), at::kFloat, cpu), Catch::Contains("q_proj.bias"));
  j = original;
  j["tie_word_embeddings"] = false;
  write_config(dir.path(), j);
  CATCH_CHECK_NOTHROW(load_model(dir.path().string(), at::kFloat, cpu));  // tiny-llama2 has its own lm_head
  fs::remove(dir.path() / "model.safetensors");
  CATCH_CHECK_THROWS_WITH(load_model(dir.path().string(), at::kFloat, cpu), Catch::Contains("no model.safetensors"));
}

}  // namespace harness
