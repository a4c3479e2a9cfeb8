#include "runtime/placement.h"

#include <algorithm>
#include <limits>

#include "runtime/checkpoint.h"
#include "runtime/device.h"
#include "runtime/error.h"
#include "runtime/model_config.h"

namespace harness {

device_placement::device_placement(std::vector<at::Device> devices, std::vector<int64_t> layer_counts)
    : devices_(std::move(devices)), layer_counts_(std::move(layer_counts)) {
  if (devices_.empty() || devices_.size() != layer_counts_.size())
    fail("placement: {} devices with {} layer counts; expected one count per device and at least one device",
         devices_.size(), layer_counts_.size());
  for (size_t n = 0; n < devices_.size(); ++n) {
    if (layer_counts_[n] < 1) fail("placement: device {} ({}) holds {} layers; each needs at least one", n,
                                   devices_[n].str(), layer_counts_[n]);
    by_layer_.insert(by_layer_.end(), layer_counts_[n], devices_[n]);
  }
}

device_placement::device_placement(const at::Device& device, int64_t layers)
    : devices_{device}, layer_counts_{layers}, by_layer_(static_cast<size_t>(std::max<int64_t>(layers, 0)), device) {}

nlohmann::json device_placement::describe() const {
  nlohmann::json devices = nlohmann::json::array();
  for (const auto& d : devices_) devices.push_back(d.str());
  return {{"devices", devices}, {"layers", layer_counts_}};
}

namespace {

// The decoder layer a checkpoint tensor belongs to ("model.layers.3.mlp.up_proj.weight" -> 3), or -1.
int64_t layer_of(const std::string& name) {
  size_t at = name.find("layers.");
  if (at == std::string::npos || (at > 0 && name[at - 1] != '.')) return -1;
  size_t digits = at + 7, end = name.find('.', digits);
  if (end == std::string::npos || end == digits || end - digits > 9) return -1;
  std::string index = name.substr(digits, end - digits);
  if (index.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stoll(index);
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

placement_bytes weight_bytes(const checkpoint& weights, const model_config& config) {
  placement_bytes out;
  out.layers.assign(config.num_layers, 0);
  std::map<std::string, uint64_t> tensors = weights.tensor_bytes();
  bool stored_embedding = std::any_of(tensors.begin(), tensors.end(),
                                      [](const auto& t) { return ends_with(t.first, "embed_tokens.weight"); });
  for (const auto& [name, bytes] : tensors) {
    int64_t layer = layer_of(name);
    if (layer >= 0) {
      if (layer < config.num_layers) out.layers[layer] += bytes;  // layers beyond config.json are not loaded
    } else if (name == "lm_head.weight") {
      // A tied head is the embedding: bound once, as the embedding, on the first device.
      if (!config.tie_word_embeddings) out.last += bytes;
      else if (!stored_embedding) out.first += bytes;
    } else if (name.find("embed") != std::string::npos || name.find("project_in") != std::string::npos) {
      out.first += bytes;
    } else {
      out.last += bytes;  // the final norm, OPT's project_out
    }
  }
  return out;
}

device_placement plan_placement(const std::vector<at::Device>& devices, const placement_bytes& bytes) {
  int64_t n = static_cast<int64_t>(devices.size()), layers = static_cast<int64_t>(bytes.layers.size());
  if (n == 0) fail("placement: no devices given");
  if (n > layers) fail("placement: {} devices for {} layers; each device needs at least one layer", n, layers);
  std::vector<uint64_t> prefix(layers + 1, 0);  // prefix[j]: bytes of layers [0, j)
  for (int64_t j = 0; j < layers; ++j) prefix[j + 1] = prefix[j] + bytes.layers[j];
  auto load = [&](int64_t d, int64_t begin, int64_t end) {  // device d holding layers [begin, end)
    return prefix[end] - prefix[begin] + (d == 0 ? bytes.first : 0) + (d == n - 1 ? bytes.last : 0);
  };
  // best[d][j]: the smallest largest load with layers [0, j) on devices 0..d; start[d][j]: where d's block begins.
  std::vector<std::vector<uint64_t>> best(n, std::vector<uint64_t>(layers + 1, std::numeric_limits<uint64_t>::max()));
  std::vector<std::vector<int64_t>> start(n, std::vector<int64_t>(layers + 1, 0));
  for (int64_t j = 1; j <= layers; ++j) best[0][j] = load(0, 0, j);
  for (int64_t d = 1; d < n; ++d)
    for (int64_t j = d + 1; j <= layers; ++j)
      for (int64_t begin = d; begin < j; ++begin) {
        uint64_t worst = std::max(best[d - 1][begin], load(d, begin, j));
        if (worst < best[d][j]) {
          best[d][j] = worst;
          start[d][j] = begin;
        }
      }
  std::vector<int64_t> counts(n);
  int64_t end = layers;
  for (int64_t d = n - 1; d > 0; --d) {
    counts[d] = end - start[d][end];
    end = start[d][end];
  }
  counts[0] = end;
  return device_placement(devices, counts);
}

std::vector<at::Device> parse_device_list(const std::string& text) {
  if (text == "cuda") {
    if (!at::hasCUDA()) fail("--devices cuda: no CUDA device is available on this machine");
    std::vector<at::Device> all;
    for (size_t i = 0; i < at::getNumGPUs(); ++i) all.emplace_back(at::kCUDA, static_cast<at::DeviceIndex>(i));
    return all;
  }
  std::vector<at::Device> out;
  size_t begin = 0;
  while (true) {
    size_t comma = text.find(',', begin);
    std::string entry = text.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin);
    std::string index = entry.rfind("cuda:", 0) == 0 ? entry.substr(5) : "";
    if (entry == "cpu") {
      out.emplace_back(at::kCPU);
    } else if (!index.empty() && index.size() <= 3 && index.find_first_not_of("0123456789") == std::string::npos) {
      if (!at::hasCUDA()) fail("--devices {}: '{}' is a GPU, but no CUDA device is available on this machine", text, entry);
      size_t visible = at::getNumGPUs();
      if (std::stoul(index) >= visible) fail("--devices {}: '{}' is not one of the {} visible GPUs", text, entry, visible);
      out.emplace_back(at::kCUDA, static_cast<at::DeviceIndex>(std::stoi(index)));
    } else {
      fail("--devices {}: '{}' is not cpu or cuda:N (\"cuda\" alone means every visible GPU)", text, entry);
    }
    if (comma == std::string::npos) return out;
    begin = comma + 1;
  }
}

std::vector<at::Device> model_devices(const std::string& device, const std::string& devices) {
  return devices.empty() ? std::vector<at::Device>{parse_device(device)} : parse_device_list(devices);
}

}  // namespace harness
