// anchor_reuse_schedule.cpp: the anchor/reuse schedule's JSON form, its reader, writer and validation.
#include "kernels/anchor_reuse_schedule.h"

#include <algorithm>
#include <set>

#include "runtime/error.h"
#include "runtime/json_file.h"

namespace harness {

using nlohmann::json;

namespace {

int64_t get_int(const json& j, const std::string& key, const std::string& where) {
  if (!j.is_object() || !j.contains(key) || !j.at(key).is_number_integer())
    fail("{}: '{}' must be an integer", where, key);
  return j.at(key).get<int64_t>();
}

std::vector<int64_t> get_int_list(const json& j, const std::string& key, const std::string& where) {
  if (!j.is_object() || !j.contains(key) || !j.at(key).is_array()) fail("{}: '{}' must be a list of integers", where, key);
  std::vector<int64_t> out;
  for (const json& v : j.at(key)) {
    if (!v.is_number_integer()) fail("{}: '{}' must be a list of integers, found {}", where, key, v.dump());
    out.push_back(v.get<int64_t>());
  }
  return out;
}

}  // namespace

bool anchor_reuse_schedule::is_anchor(int64_t layer) const {
  return std::find(anchors.begin(), anchors.end(), layer) != anchors.end();
}

void validate_schedule(const anchor_reuse_schedule& s, const std::string& where) {
  for (auto [name, value] : {std::pair<const char*, int64_t>{"tile", s.tile}, {"top_k", s.top_k},
                             {"max_reuse_distance", s.max_reuse_distance}, {"layers", s.layers}, {"heads", s.heads}})
    if (value < 1) fail("{}: '{}' must be at least 1, got {}", where, name, value);
  if (s.anchors.empty() || s.anchors[0] != 0) fail("{}: layer 0 must be the first anchor", where);
  for (size_t i = 0; i < s.anchors.size(); ++i) {
    if (s.anchors[i] >= s.layers) fail("{}: anchor {} is not a layer (the model has {})", where, s.anchors[i], s.layers);
    if (i > 0 && s.anchors[i] <= s.anchors[i - 1])
      fail("{}: anchors must be strictly ascending: {} follows {}", where, s.anchors[i], s.anchors[i - 1]);
  }
  for (const auto& [layer, r] : s.reuse) {
    if (layer < 0 || layer >= s.layers) fail("{}: reuse layer {} is not a layer (the model has {})", where, layer, s.layers);
    if (s.is_anchor(layer)) fail("{}: layer {} is both an anchor and a reuse layer", where, layer);
    if (!s.is_anchor(r.anchor)) fail("{}: reuse layer {} names anchor {}, which is not an anchor", where, layer, r.anchor);
    if (r.anchor >= layer) fail("{}: reuse layer {} names anchor {}, which is not earlier", where, layer, r.anchor);
    if (layer - r.anchor > s.max_reuse_distance)
      fail("{}: reuse layer {} is {} layers after its anchor {}; at most {} allowed", where, layer, layer - r.anchor,
           r.anchor, s.max_reuse_distance);
    if (static_cast<int64_t>(r.head_map.size()) != s.heads)
      fail("{}: reuse layer {}'s head map has {} entries; expected {} (one per head)", where, layer, r.head_map.size(),
           s.heads);
    for (size_t h = 0; h < r.head_map.size(); ++h)
      if (r.head_map[h] < 0 || r.head_map[h] >= s.heads)
        fail("{}: reuse layer {}'s head map[{}] = {} is out of range [0, {})", where, layer, h, r.head_map[h], s.heads);
  }
  for (int64_t layer = 0; layer < s.layers; ++layer)
    if (!s.is_anchor(layer) && !s.reuse.count(layer)) fail("{}: layer {} is neither an anchor nor a reuse layer", where, layer);
}

json schedule_to_json(const anchor_reuse_schedule& s) {
  json reuse = json::object();
  for (const auto& [layer, r] : s.reuse) reuse[std::to_string(layer)] = {{"anchor", r.anchor}, {"head_map", r.head_map}};
  return {{"tile", s.tile},     {"top_k", s.top_k},     {"max_reuse_distance", s.max_reuse_distance},
          {"layers", s.layers}, {"heads", s.heads},     {"anchors", s.anchors},
          {"reuse", reuse}};
}

anchor_reuse_schedule schedule_from_json(const json& j, const std::string& where) {
  anchor_reuse_schedule s;
  s.tile = get_int(j, "tile", where);
  s.top_k = get_int(j, "top_k", where);
  s.max_reuse_distance = get_int(j, "max_reuse_distance", where);
  s.layers = get_int(j, "layers", where);
  s.heads = get_int(j, "heads", where);
  s.anchors = get_int_list(j, "anchors", where);
  if (!j.contains("reuse") || !j.at("reuse").is_object()) fail("{}: 'reuse' must be an object of layer -> entry", where);
  for (const auto& [key, entry] : j.at("reuse").items()) {
    std::string field = "reuse." + key;
    size_t used = 0;
    int64_t layer = -1;
    try {
      layer = std::stoll(key, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != key.size()) fail("{}: '{}' is not a layer number", where, field);
    reuse_layer r;
    r.anchor = get_int(entry, "anchor", where + " " + field);
    r.head_map = get_int_list(entry, "head_map", where + " " + field);
    s.reuse[layer] = r;
  }
  validate_schedule(s, where);
  return s;
}

anchor_reuse_schedule read_schedule(const std::string& path) { return schedule_from_json(read_json_file(path), path); }

void write_schedule(const std::string& path, const anchor_reuse_schedule& s) {
  validate_schedule(s, path);
  write_json_file_atomic(path, schedule_to_json(s));
}

}  // namespace harness
