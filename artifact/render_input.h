// render_input.h: the stored results one rendering reads -- the latest run (by finished_at) of each
// model for each case it names -- with their paths relative to the results folder, the notes that mark
// INVALID ones, and the sources record written beside every output.
#pragma once
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "artifact/result_set.h"

namespace harness {

class render_input {
 public:
  // Reads `results_dir` for `user` (e.g. "table recall"). Fails, naming the folder, when none of
  // `need_one_of` has a result there.
  render_input(const std::string& results_dir, const std::string& user, const std::vector<std::string>& cases,
               const std::vector<std::string>& need_one_of);

  // The latest result of each model for `case_name` (one of the cases read), in model order.
  const std::vector<stored_result>& results(const std::string& case_name) const;
  const std::string& user() const { return user_; }
  std::string relative_path(const stored_result& result) const;

  // "† INVALID: PATH: reason; reason" for every INVALID result read, in path order.
  std::vector<std::string> invalid_notes() const;

  // {"rendering", "kind", "results": [{path, sha256, case, subject, status, status_reasons}]}, by path.
  nlohmann::json sources(const std::string& name, const std::string& kind) const;

 private:
  std::vector<const stored_result*> all_read() const;

  std::string results_dir_;
  std::string user_;
  std::map<std::string, std::vector<stored_result>> by_case_;
};

}  // namespace harness
