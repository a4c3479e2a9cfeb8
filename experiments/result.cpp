#include "experiments/result.h"

#include <cstdlib>
#include <filesystem>

#include <unistd.h>

#include "artifact/provenance.h"
#include "experiments/build_info.h"
#include "experiments/measure.h"
#include "runtime/checkpoint.h"
#include "runtime/device.h"
#include "runtime/error.h"
#include "runtime/json_file.h"
#include "runtime/sha256.h"
#include "runtime/utc_time.h"

namespace harness {

namespace {
// $HARNESS_MACHINE, else the host name: the folder that keeps one machine's runs side by side.
std::string machine_name() {
  if (const char* env = std::getenv("HARNESS_MACHINE"); env && *env) return env;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || !*host) return "unknown-machine";
  return host;
}
}  // namespace

result_document::result_document(const experiment_case& c, const case_args& args) {
  json_["schema_version"] = result_schema_version;
  json_["case"] = {{"name", c.name}, {"version", c.version}, {"feeds", c.feeds}};
  json_["config"] = args.all();
  // The hash identifies the experiment: options that only say where files go (bench-dir: which build's
  // suites, i.e. code, named by `code`) are left out of it.
  nlohmann::json measured = json_["config"];
  for (const char* where : {"out", "work", "resume", "bench-dir"}) measured.erase(where);
  // An empty --devices (the model all on --device) is the run from before the option existed.
  if (measured.contains("devices") && measured["devices"] == "") measured.erase("devices");
  json_["config_hash"] = sha256_string(measured.dump());
  json_["code"] = {{"commit", build_commit}, {"dirty", build_dirty}, {"diff_sha256", build_diff_sha256}};
  for (const auto& source : build_source_hashes) json_["code"]["source_sha256"][source.path] = source.sha256;
  json_["started_at"] = utc_now();
  json_["seeds"] = nlohmann::json::object();
  json_["metrics"] = nlohmann::json::object();
  json_["inputs"] = nlohmann::json::object();
  if (build_dirty) mark_invalid("built from a dirty source tree");
}

void result_document::add_input_files(const std::string& label, const std::vector<std::string>& paths) {
  for (const auto& p : paths) json_["inputs"][label][std::filesystem::path(p).filename().string()] = sha256_file(p);
}

void result_document::add_model_inputs(const std::string& model_dir) {
  add_input_files("model", {(std::filesystem::path(model_dir) / "config.json").string()});
  add_input_files("model", checkpoint(model_dir).files());
}

std::string result_document::write_for_model(const std::string& out_dir, const std::string& model_dir) {
  std::filesystem::path dir = std::filesystem::path(model_dir).lexically_normal();
  std::string subject = dir.filename().string();
  if (subject.empty()) subject = dir.parent_path().filename().string();  // "models/x/" names x
  return write(out_dir, subject);
}

std::string result_document::write(const std::string& out_dir, const std::string& subject) {
  json_["finished_at"] = utc_now();
  json_["resources"] = {{"peak_rss_bytes", peak_rss_bytes()}, {"cuda_memory_peaks", describe_cuda_memory_peaks()}};
  json_["status"] = invalid_reasons_.empty() ? "VALID" : "INVALID";
  json_["status_reasons"] = invalid_reasons_;
  std::string machine = machine_name();
  if (machine.find('/') != std::string::npos || machine.front() == '.')
    fail("machine name '{}' (from $HARNESS_MACHINE or the host name) cannot name a results folder", machine);
  json_["subject"] = subject;
  json_["machine"] = machine;
  std::string commit = std::string(build_commit).substr(0, 12);
  std::string name = fmt::format("{}-{}-{}.json", utc_now("%Y%m%dT%H%M%SZ"), commit, ::getpid());
  std::filesystem::path path = std::filesystem::path(out_dir) / json_["case"]["name"].get<std::string>() / subject / machine / name;
  if (std::filesystem::exists(path)) fail("{}: a result with this name already exists; refusing to overwrite", path.string());
  write_json_file_atomic(path.string(), json_);
  // The provenance log: this run, and every code change since the previous recorded run of the case.
  record_run(out_dir, built_code_identity(build_source_dir, build_commit, build_dirty, build_diff_sha256, build_diff_path),
             {path.string()}, json_["case"]["name"].get<std::string>(), subject);
  return path.string();
}

}  // namespace harness
