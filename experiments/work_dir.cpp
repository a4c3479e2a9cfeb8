#include "experiments/work_dir.h"

#include <filesystem>

#include "runtime/error.h"
#include "runtime/json_file.h"

namespace harness {

namespace fs = std::filesystem;

std::string work_dir_for(const case_args& args, const std::string& case_name, const std::string& model_dir) {
  fs::path model = fs::path(model_dir).lexically_normal();
  std::string name = model.filename().empty() ? model.parent_path().filename().string() : model.filename().string();
  return (fs::path(args.get("work")) / case_name / name).string();
}

void prepare_work_dir(const std::string& work, const case_args& args) {
  nlohmann::json config = args.all();
  config.erase("resume");
  config.erase("out");
  std::string path = (fs::path(work) / "config.json").string();
  if (args.get_bool("resume") && fs::exists(path)) {
    if (read_json_file(path) != config)
      fail("{}: --resume with a configuration other than the one this work directory was made with", path);
    return;
  }
  fs::remove_all(work);
  fs::create_directories(work);
  write_json_file_atomic(path, config);
}

}  // namespace harness
