#include "tools/sweep.h"

#include <map>

#include "experiments/registry.h"
#include "runtime/error.h"
#include "runtime/json_file.h"

namespace harness {

namespace {

using json = nlohmann::json;

// A JSON value as the command line gives it: strings as they are, numbers and booleans as JSON writes
// them, lists joined with commas; anything else is an error naming `where`.
std::string option_text(const json& value, const std::string& where, bool list_allowed = true) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean() || value.is_number()) return value.dump();
  if (value.is_array() && list_allowed) {
    std::string text;
    for (const json& item : value) {
      if (!text.empty()) text += ",";
      text += option_text(item, where, false);
    }
    return text;
  }
  fail("{}: a value must be a string, number, boolean{}, got {}", where, list_allowed ? " or list of them" : "",
       value.dump());
}

bool declares(const experiment_case& c, const std::string& option) {
  for (const case_option& o : c.options)
    if (o.name == option) return true;
  return false;
}

// One entry's units: every model, times every combination of the grid's values.
std::vector<sweep_unit> expand_entry(const json& entry, const std::string& where, const sweep_places& places,
                                     size_t first_index) {
  if (!entry.is_object()) fail("{}: an entry must be an object, got {}", where, entry.dump());
  for (const auto& [key, value] : entry.items()) {
    if (key != "case" && key != "model" && key != "models" && key != "options" && key != "grid" && key != "paper")
      fail("{}: unknown key '{}' (an entry has case, model or models, options, grid, paper)", where, key);
  }
  if (!entry.contains("case") || !entry["case"].is_string()) fail("{}: needs \"case\", a case name", where);
  const experiment_case* found = nullptr;
  try {
    found = &find_case(entry["case"].get<std::string>());
  } catch (const harness_error& e) {
    fail("{}: {}", where, e.what());
  }
  const experiment_case& c = *found;
  bool paper = false;
  if (entry.contains("paper")) {
    if (!entry["paper"].is_boolean()) fail("{}: \"paper\" must be true or false", where);
    paper = entry["paper"].get<bool>();
  }

  std::vector<std::string> models;
  if (entry.contains("model") && entry.contains("models")) fail("{}: give \"model\" or \"models\", not both", where);
  if (entry.contains("model")) models.push_back(option_text(entry["model"], where + ".model", false));
  if (entry.contains("models")) {
    if (!entry["models"].is_array() || entry["models"].empty()) fail("{}: \"models\" must be a non-empty list", where);
    for (const json& m : entry["models"]) models.push_back(option_text(m, where + ".models", false));
  }
  if (models.empty()) models.push_back("");  // the case's default model

  std::map<std::string, std::string> fixed;
  if (entry.contains("options")) {
    if (!entry["options"].is_object()) fail("{}: \"options\" must be an object of option: value", where);
    for (const auto& [name, value] : entry["options"].items())
      fixed[name] = option_text(value, fmt::format("{}.options.{}", where, name));
  }
  std::vector<std::pair<std::string, std::vector<std::string>>> grid;  // in name order
  if (entry.contains("grid")) {
    if (!entry["grid"].is_object()) fail("{}: \"grid\" must be an object of option: [values]", where);
    for (const auto& [name, values] : entry["grid"].items()) {
      std::string at = fmt::format("{}.grid.{}", where, name);
      if (!values.is_array() || values.empty()) fail("{}: a grid option needs a non-empty list of values", at);
      if (fixed.count(name)) fail("{}: --{} is both in \"options\" and in \"grid\"", where, name);
      grid.push_back({name, {}});
      for (const json& v : values) grid.back().second.push_back(option_text(v, at));
    }
  }
  for (const char* own : {"out", "work", "resume"})
    if (fixed.count(own) || (entry.contains("grid") && entry["grid"].contains(own)))
      fail("{}: --{} is set by `harness submit` for every unit (results go to its --out; resumable cases keep "
           "their work per unit)", where, own);
  if (fixed.count("model") || (entry.contains("grid") && entry["grid"].contains("model")))
    fail("{}: give models with \"model\" or \"models\", not as an option", where);

  size_t combinations = 1;
  for (const auto& [name, values] : grid) combinations *= values.size();
  std::vector<sweep_unit> units;
  for (const std::string& model : models) {
    for (size_t k = 0; k < combinations; ++k) {
      std::map<std::string, std::string> given = fixed;
      std::string label = c.name;
      if (!model.empty()) given["model"] = model, label += " model=" + model;
      size_t rest = k;
      for (size_t g = grid.size(); g-- > 0;) {  // the last grid option varies fastest
        const auto& [name, values] = grid[g];
        given[name] = values[rest % values.size()];
        rest /= values.size();
      }
      for (const auto& [name, values] : grid) label += fmt::format(" {}={}", name, given[name]);
      given["out"] = places.out_dir;
      size_t index = first_index + units.size();
      if (declares(c, "work") && declares(c, "resume")) {
        given["work"] = fmt::format("{}/{}", places.work_root, index);
        given["resume"] = "true";
      }
      try {
        resolve_args(c, given);
      } catch (const harness_error& e) {
        fail("{}: {}", where, e.what());
      }
      sweep_unit unit{c.name, label, {"run", c.name}, paper};
      if (paper) unit.argv.push_back("--paper");
      for (const auto& [name, value] : given) {
        unit.argv.push_back("--" + name);
        unit.argv.push_back(value);
      }
      units.push_back(std::move(unit));
    }
  }
  return units;
}

}  // namespace

std::vector<sweep_unit> expand_sweep(const nlohmann::json& sweep, const std::string& file, const sweep_places& places) {
  if (!sweep.is_object()) fail("{}: a sweep is an object with \"units\": [...]", file);
  for (const auto& [key, value] : sweep.items())
    if (key != "units" && key != "description") fail("{}: unknown key '{}' (a sweep has description, units)", file, key);
  if (!sweep.contains("units") || !sweep["units"].is_array() || sweep["units"].empty())
    fail("{}: \"units\" must be a non-empty list of entries", file);
  std::vector<sweep_unit> units;
  for (size_t i = 0; i < sweep["units"].size(); ++i) {
    std::string where = fmt::format("{}: units[{}]", file, i);
    for (sweep_unit& u : expand_entry(sweep["units"][i], where, places, units.size())) units.push_back(std::move(u));
  }
  return units;
}

std::vector<sweep_unit> read_sweep(const std::string& path, const sweep_places& places) {
  return expand_sweep(read_json_file(path), path, places);
}

}  // namespace harness
