// recorder.h: records, through the runtime's hook points, what DejaVu's predictors are trained on, per
// layer l, one row per real (non-padding) token, up to a row limit:
//   att_x.l          [N, d]  residual stream entering the attention sub-block (before its norm)
//   mlp_x.l          [N, d]  residual stream entering the MLP sub-block (before its norm)
//   mlp_label.l      [N, F]  MLP activation: ReLU(fc1) for OPT, SiLU(gate) * up for Llama
//   att_head_norm.l  [N, H]  L2 norm of each head's attention output (before the output projection)
// Each is an activation file (predictors/activation_file.h) streamed to disk, so memory stays bounded.
// A directory is complete once manifest.json exists (written last).
#pragma once
#include <array>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "predictors/activation_file.h"
#include "runtime/hooks.h"
#include "runtime/model_config.h"

namespace harness {

enum class record_kind { att_x, mlp_x, mlp_label, att_head_norm };
constexpr int record_kind_count = 4;
const char* record_kind_name(record_kind kind);
int64_t record_kind_cols(record_kind kind, const model_config& config);
// <dir>/<kind>.<layer>.act
std::string activation_path(const std::string& dir, record_kind kind, int64_t layer);

// Disk bytes a recording of `rows` rows per layer takes (headers included).
uint64_t recording_bytes(const model_config& config, int64_t rows);

class activation_recorder final : public forward_observer {
 public:
  // Refuses (with the sizes named) when the recording would not fit in the free space of `dir`.
  activation_recorder(const model_config& config, std::string dir, int64_t max_rows);

  // valid [B, T] bool: the real tokens of the next forward pass. Call before each pass.
  void begin_batch(const at::Tensor& valid);
  void observe(hook_point point, int64_t layer, const at::Tensor& value) override;
  int64_t rows() const { return rows_ + take_; }  // rows recorded per layer so far
  bool full() const { return rows() >= max_rows_; }
  // Row index at which each recorded sequence begins (rows of one sequence are consecutive).
  const std::vector<int64_t>& sequence_starts() const { return sequence_starts_; }
  // Closes every file and writes manifest.json (rows, shapes, sequence starts, `about` merged in).
  void finish(const nlohmann::json& about);

 private:
  void write(record_kind kind, int64_t layer, const at::Tensor& value);  // value [B, T, cols]

  model_config config_;
  std::string dir_;
  int64_t max_rows_;
  int64_t rows_ = 0;          // rows per layer before the current pass
  int64_t take_ = 0;          // rows the current pass contributes
  at::Tensor valid_index_;    // [B * T] positions of the real tokens, flattened
  std::vector<int64_t> sequence_starts_;
  std::vector<std::array<std::unique_ptr<activation_writer>, record_kind_count>> writers_;  // [layer][kind]
};

// A finished recording: its manifest and files, validated against the model it came from.
struct recording {
  std::string dir;
  int64_t rows = 0;
  std::vector<int64_t> sequence_starts;
  nlohmann::json manifest;
  activation_file open(record_kind kind, int64_t layer) const;
};
// Reads <dir>/manifest.json; fails if absent (an unfinished recording) or malformed.
recording open_recording(const std::string& dir);

}  // namespace harness
