#include "runtime/checkpoint.h"

#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include <fmt/ranges.h>

#include "runtime/error.h"
#include "runtime/json_file.h"

namespace harness {

namespace fs = std::filesystem;

checkpoint::checkpoint(const std::string& model_dir) : dir_(model_dir) {
  if (!fs::is_directory(model_dir)) fail("{}: model directory does not exist", model_dir);
  fs::path single = fs::path(model_dir) / "model.safetensors";
  fs::path index = fs::path(model_dir) / "model.safetensors.index.json";
  if (fs::exists(index)) {
    index_path_ = index.string();
    nlohmann::json j = read_json_file(index_path_);
    auto map_it = j.find("weight_map");
    if (map_it == j.end() || !map_it->is_object() || map_it->empty())
      fail("{}: missing or empty 'weight_map'", index_path_);
    std::map<std::string, size_t> shard_index;
    for (const auto& [name, shard] : map_it->items()) {
      if (!shard.is_string()) fail("{}: weight_map entry for '{}' is not a file name", index_path_, name);
      std::string shard_name = shard.get<std::string>();
      if (shard_name.find('/') != std::string::npos)
        fail("{}: shard '{}' is not a plain file name", index_path_, shard_name);
      auto [it, inserted] = shard_index.try_emplace(shard_name, shards_.size());
      if (inserted) {
        fs::path shard_path = fs::path(model_dir) / shard_name;
        if (!fs::exists(shard_path)) fail("{}: shard '{}' listed in the index is missing", index_path_, shard_name);
        shards_.push_back(std::make_unique<safetensors_file>(shard_path.string()));
      }
      if (!shards_[it->second]->contains(name))
        fail("{}: index says '{}' is in {}, but that shard has no such tensor", index_path_, name, shard_name);
      shard_of_[name] = it->second;
    }
  } else if (fs::exists(single)) {
    shards_.push_back(std::make_unique<safetensors_file>(single.string()));
    for (const auto& t : shards_[0]->header().tensors) shard_of_[t.name] = 0;
  } else {
    fail("{}: no model.safetensors or model.safetensors.index.json", model_dir);
  }
}

bool checkpoint::contains(const std::string& name) const { return shard_of_.count(name) != 0; }

std::vector<std::string> checkpoint::files() const {
  std::vector<std::string> out;
  if (!index_path_.empty()) out.push_back(index_path_);
  for (const auto& s : shards_) out.push_back(s->path());
  return out;
}

const safetensors_file* checkpoint::file_for(const std::string& name) const {
  auto it = shard_of_.find(name);
  if (it == shard_of_.end())
    fail("{}: missing tensor '{}'", index_path_.empty() ? shards_[0]->path() : index_path_, name);
  return shards_[it->second].get();
}

at::Tensor checkpoint::load(const std::string& name, const std::vector<int64_t>& shape, at::ScalarType dtype,
                            const at::Device& device) const {
  const safetensors_file* file = file_for(name);
  const st_tensor_info& info = file->info(name);
  if (info.shape != shape)
    fail("{}: tensor '{}' has shape {} but config.json implies {}", file->path(), name,
         fmt::format("[{}]", fmt::join(info.shape, ", ")), fmt::format("[{}]", fmt::join(shape, ", ")));
  at::Tensor t = file->load(name, dtype, device);
  if (at::isFloatingType(t.scalar_type()) && !at::isfinite(t).all().item<bool>())
    fail("{}: tensor '{}' contains NaN or infinite values", file->path(), name);
  return t;
}

uint64_t checkpoint::stored_bytes() const {
  uint64_t total = 0;
  for (const auto& s : shards_)
    for (const auto& t : s->header().tensors) total += t.end - t.begin;
  return total;
}

std::map<std::string, uint64_t> checkpoint::tensor_bytes() const {
  std::map<std::string, uint64_t> out;
  for (const auto& [name, shard] : shard_of_) {
    const st_tensor_info& info = shards_[shard]->info(name);
    out[name] = info.end - info.begin;
  }
  return out;
}

}  // namespace harness
