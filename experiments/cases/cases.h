// cases.h: the registered cases, one file each in this folder.
#pragma once
#include "experiments/registry.h"

namespace harness {

experiment_case forward_check_case();
experiment_case perplexity_case();
experiment_case drift_case();
experiment_case opt_baseline_case();
experiment_case llama_sparse_case();
experiment_case zero_shot_case();
experiment_case few_shot_case();
experiment_case bench_case();
experiment_case trace_case();
experiment_case kascade_case();
experiment_case train_tiny_pair_case();
experiment_case scale_check_case();

}  // namespace harness
