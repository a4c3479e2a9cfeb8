// work_dir.h: where a case run keeps its finished units (a layer's predictor, a task, a sparsity level)
// so that a run killed at any moment resumes with --resume true without redoing or losing one.
#pragma once
#include <string>

#include "experiments/registry.h"

namespace harness {

// <work>/<case>/<model directory's name>.
std::string work_dir_for(const case_args& args, const std::string& case_name, const std::string& model_dir);

// Readies `work` for the units of this configuration: with --resume true and a work directory made with
// the same configuration, keeps it (a different configuration is an error); otherwise starts it empty.
void prepare_work_dir(const std::string& work, const case_args& args);

}  // namespace harness
