#include "experiments/task_workload.h"

#include <algorithm>
#include <filesystem>

#include "evals/tasks.h"
#include "experiments/progress.h"
#include "runtime/error.h"

namespace harness {

encoded_suite encode_suite(const tokenizer& tok, const std::string& data_dir, const std::vector<std::string>& tasks, int shots,
                           scoring_mode mode) {
  encoded_suite suite;
  auto progress = progress_printer("task workload", "tasks");
  for (size_t i = 0; i < tasks.size(); ++i) {
    const task_spec& spec = find_task(tasks[i]);
    const int task_shots = shots < 0 ? spec.default_shots : shots;
    std::vector<std::string> files = task_input_files(spec, data_dir, task_shots);
    if (!std::all_of(files.begin(), files.end(), [](const std::string& f) { return std::filesystem::exists(f); })) {
      suite.missing.push_back(spec.name);
    } else {
      std::vector<task_doc> docs = build_task_docs(spec, data_dir, task_shots, 0);
      suite.tasks.push_back({spec.name, encode_task_requests(tok, docs, mode), static_cast<int64_t>(docs.size())});
    }
    progress(static_cast<int64_t>(i + 1), static_cast<int64_t>(tasks.size()));
  }
  return suite;
}

suite_workload plan_suite(const encoded_suite& suite, const std::vector<std::string>& names, int64_t max_length, int64_t batch) {
  scoring_options options;
  options.batch = batch;
  suite_workload out;
  for (const std::string& name : names) {
    auto task = std::find_if(suite.tasks.begin(), suite.tasks.end(), [&](const encoded_task& t) { return t.name == name; });
    if (task == suite.tasks.end()) {
      if (std::find(suite.missing.begin(), suite.missing.end(), name) == suite.missing.end())
        fail("task workload: task {} was not encoded", name);
      out.missing.push_back(name);
      continue;
    }
    out.work += plan_work(plan_scoring(task->requests, max_length, options), batch);
    out.docs += task->docs;
  }
  return out;
}

}  // namespace harness
