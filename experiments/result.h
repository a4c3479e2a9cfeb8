// result.h: the JSON result of one run of a case, carrying its own provenance (case and version,
// resolved config and its hash, input hashes, environment, code identity, timings, status). Written
// atomically under <out>/<case>/<model>/<machine>/ with a name that never collides with another run's.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "experiments/registry.h"
#include "experiments/result_schema.h"

namespace harness {

class result_document {
 public:
  result_document(const experiment_case& c, const case_args& args);

  void add_input_files(const std::string& label, const std::vector<std::string>& paths);
  // Hashes a model directory's config.json and its weights (the shard index and every shard included).
  void add_model_inputs(const std::string& model_dir);
  void set_environment(nlohmann::json environment) { json_["environment"] = std::move(environment); }
  nlohmann::json& metrics() { return json_["metrics"]; }
  void add_timing(const std::string& phase, double seconds) { json_["timings_s"][phase] = seconds; }
  // The seed of one source of randomness (data sampling, predictor init, bootstrap, ...).
  void set_seed(const std::string& concern, uint64_t seed) { json_["seeds"][concern] = seed; }
  void mark_invalid(const std::string& reason) { invalid_reasons_.push_back(reason); }

  // Finalises status and end time, writes the file under <out_dir>/<case>/<subject>/<machine>/ (the
  // machine: $HARNESS_MACHINE, else the host name), returns its path.
  std::string write(const std::string& out_dir, const std::string& subject);
  // The usual subject: the model directory's name.
  std::string write_for_model(const std::string& out_dir, const std::string& model_dir);

 private:
  nlohmann::json json_;
  std::vector<std::string> invalid_reasons_;
};

}  // namespace harness
