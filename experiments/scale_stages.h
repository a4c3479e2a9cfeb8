// scale_stages.h: what scale_check runs for one model -- each case of the paper on a few hundred tokens
// (its options for the check) -- and the shape of the same case's paper preset, which the projection uses:
// tokens per forward pass, the forward passes in all, other FLOPs, and the disk it writes. A stage with
// neither forward tokens nor scoring passes has no time projection.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "experiments/paper_data.h"
#include "experiments/scale_estimate.h"
#include "runtime/model_config.h"

namespace harness {

struct scale_stage {
  std::string case_name;
  std::vector<std::string> options;  // the check's options besides --model, --device, --dtype and --out
  forward_shape check;               // the check's largest forward (validates the memory estimate)
  // Elements the case keeps beside the model for its whole run, the same in the check and the paper
  // preset: float32 (the predictors used at inference) and in the model's dtype (the sparse kernels' copies
  // of down^T and o^T: the trace, and the DejaVu cases' timed decode steps).
  uint64_t resident_f32_elements = 0;
  uint64_t resident_model_elements = 0;
  bool in_paper = false;             // `make paper` runs this case; the fields below describe its preset
  forward_shape paper;
  double paper_forward_tokens = 0;   // tokens through full forward passes (windows) ...
  double paper_context = 0;          // ... and the mean keys each attends
  scoring_work paper_scoring;        // forward passes that score task requests
  double paper_other_flops = 0;      // predictor training and inference
  uint64_t paper_disk_bytes = 0;     // written beyond the checkpoint (activations, predictors)
  std::string projection_note;       // what the time projection leaves out, or why there is none
};

// The stages for a model of config `c`: forward_check first (its peak is the baseline the others'
// working memory is measured against), then perplexity, drift, the DejaVu case (`dejavu_case`:
// opt_baseline or llama_sparse), zero_shot, few_shot, kascade and trace. `tokens` sizes the check
// (window, recorded rows per document); `work` holds its units.
std::vector<scale_stage> scale_stages(const model_config& c, const std::string& dejavu_case, int64_t tokens,
                                      const std::string& work, const paper_data& data);

}  // namespace harness
