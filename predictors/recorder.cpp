#include "predictors/recorder.h"

#include <filesystem>

#include "runtime/error.h"
#include "runtime/json_file.h"
#include "runtime/tensor_util.h"

namespace harness {

namespace {
constexpr const char* kind_names[record_kind_count] = {"att_x", "mlp_x", "mlp_label", "att_head_norm"};
}

const char* record_kind_name(record_kind kind) { return kind_names[static_cast<int>(kind)]; }

int64_t record_kind_cols(record_kind kind, const model_config& c) {
  switch (kind) {
    case record_kind::att_x:
    case record_kind::mlp_x: return c.hidden_size;
    case record_kind::mlp_label: return c.intermediate_size;
    case record_kind::att_head_norm: return c.num_heads;
  }
  return 0;
}

std::string activation_path(const std::string& dir, record_kind kind, int64_t layer) {
  return (std::filesystem::path(dir) / (std::string(record_kind_name(kind)) + "." + std::to_string(layer) + ".act"))
      .string();
}

uint64_t recording_bytes(const model_config& c, int64_t rows) {
  uint64_t cols = 0;
  for (int k = 0; k < record_kind_count; ++k) cols += static_cast<uint64_t>(record_kind_cols(static_cast<record_kind>(k), c));
  uint64_t per_layer = cols * static_cast<uint64_t>(rows) * sizeof(at::Half) + record_kind_count * activation_header_bytes;
  return per_layer * static_cast<uint64_t>(c.num_layers);
}

activation_recorder::activation_recorder(const model_config& config, std::string dir, int64_t max_rows)
    : config_(config), dir_(std::move(dir)), max_rows_(max_rows) {
  if (max_rows < 1) fail("recorder: the row limit must be at least 1, got {}", max_rows);
  std::filesystem::create_directories(dir_);
  uint64_t need = recording_bytes(config, max_rows);
  uint64_t free = std::filesystem::space(dir_).available;
  if (need > free)
    fail("{}: recording {} rows x {} layers needs {:.2f} GB but only {:.2f} GB are free", dir_, max_rows,
         config.num_layers, need / 1e9, free / 1e9);
  writers_.resize(config.num_layers);
  for (int64_t l = 0; l < config.num_layers; ++l)
    for (int k = 0; k < record_kind_count; ++k) {
      auto kind = static_cast<record_kind>(k);
      writers_[l][k] = std::make_unique<activation_writer>(activation_path(dir_, kind, l), record_kind_cols(kind, config));
    }
}

void activation_recorder::begin_batch(const at::Tensor& valid) {
  if (valid.dim() != 2 || valid.scalar_type() != at::kBool) fail("recorder: valid must be [B, T] bool, got {}", shape_str(valid.sizes()));
  rows_ += take_;
  at::Tensor real = valid.to(at::kCPU);
  valid_index_ = real.reshape({-1}).nonzero().squeeze(1);  // [real tokens]
  take_ = std::min<int64_t>(valid_index_.size(0), max_rows_ - rows_);
  valid_index_ = valid_index_.narrow(0, 0, take_);
  int64_t start = rows_;
  for (int64_t b = 0; b < real.size(0) && start < rows_ + take_; ++b) {
    int64_t n = real[b].sum().item<int64_t>();
    if (n > 0) sequence_starts_.push_back(start);
    start += n;
  }
}

void activation_recorder::observe(hook_point point, int64_t layer, const at::Tensor& value) {
  switch (point) {
    case hook_point::attn_in: return write(record_kind::att_x, layer, value);
    case hook_point::mlp_in: return write(record_kind::mlp_x, layer, value);
    case hook_point::mlp_act: return write(record_kind::mlp_label, layer, value);
    case hook_point::attn_heads: return write(record_kind::att_head_norm, layer, value.to(at::kFloat).norm(2, {-1}));
    default: return;
  }
}

void activation_recorder::write(record_kind kind, int64_t layer, const at::Tensor& value) {
  if (take_ == 0) return;
  at::Tensor rows = value.reshape({-1, value.size(-1)}).to(at::kCPU).index_select(0, valid_index_);  // [take, cols]
  writers_.at(layer)[static_cast<int>(kind)]->append(rows);
}

void activation_recorder::finish(const nlohmann::json& about) {
  rows_ += take_;
  take_ = 0;
  nlohmann::json manifest = about;
  manifest["format"] = "harness activation recording";
  manifest["format_version"] = activation_file_version;
  manifest["rows"] = rows_;
  manifest["layers"] = config_.num_layers;
  manifest["sequence_starts"] = sequence_starts_;
  for (int k = 0; k < record_kind_count; ++k) {
    auto kind = static_cast<record_kind>(k);
    manifest["cols"][record_kind_name(kind)] = record_kind_cols(kind, config_);
  }
  for (auto& layer : writers_)
    for (auto& w : layer) {
      if (w->rows() != rows_) fail("{}: {} rows recorded, expected {} (a pass skipped a hook point?)", dir_, w->rows(), rows_);
      w->finish();
    }
  write_json_file_atomic((std::filesystem::path(dir_) / "manifest.json").string(), manifest);
}

activation_file recording::open(record_kind kind, int64_t layer) const {
  activation_file f(activation_path(dir, kind, layer));
  if (f.rows() != rows) fail("{}: {} rows, but the recording's manifest says {}", f.path(), f.rows(), rows);
  int64_t cols = manifest.at("cols").at(record_kind_name(kind)).get<int64_t>();
  if (f.cols() != cols) fail("{}: {} columns, but the recording's manifest says {}", f.path(), f.cols(), cols);
  return f;
}

recording open_recording(const std::string& dir) {
  std::string path = (std::filesystem::path(dir) / "manifest.json").string();
  if (!std::filesystem::exists(path)) fail("{}: no manifest.json: not a finished recording", dir);
  recording r;
  r.dir = dir;
  r.manifest = read_json_file(path);
  if (!r.manifest.contains("rows") || !r.manifest["rows"].is_number_integer() || !r.manifest.contains("cols"))
    fail("{}: manifest without rows or cols", path);
  r.rows = r.manifest["rows"].get<int64_t>();
  if (r.manifest.contains("sequence_starts")) r.sequence_starts = r.manifest["sequence_starts"].get<std::vector<int64_t>>();
  return r;
}

}  // namespace harness
