// paper_models.h: the hyper-parameters (config.json, as published on the Hugging Face Hub) of the models
// the paper runs on, and how many safetensors shards the Hub's copy has. Used to write random-weight
// stand-ins of the exact shapes (scale_check) and to project memory, disk and time without the weights.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace harness {

struct paper_model {
  std::string name;        // the Hub's directory name, e.g. "Llama-3.2-3B", "opt-1.3b"
  nlohmann::json config;   // config.json's architecture fields
  int shards = 1;          // safetensors files in the Hub's copy
};

const std::vector<paper_model>& paper_models();
// Case-insensitive; errors listing the known names.
const paper_model& find_paper_model(const std::string& name);

}  // namespace harness
