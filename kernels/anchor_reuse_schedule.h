// anchor_reuse_schedule.h: which layers are anchors and which reuse an earlier anchor's tile selection
// (through a head map), as data: a JSON file
//   {"tile": 16, "top_k": 8, "max_reuse_distance": 4, "layers": L, "heads": H, "anchors": [0, 3, ...],
//    "reuse": {"1": {"anchor": 0, "head_map": [h_0, ..., h_{H-1}]}, ...}}
// Reuse layer j's head h attends the tiles anchor head head_map[h] selected.
#pragma once
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace harness {

struct reuse_layer {
  int64_t anchor = 0;
  std::vector<int64_t> head_map;  // [H] anchor head per query head
};

struct anchor_reuse_schedule {
  int64_t tile = 16, top_k = 8, max_reuse_distance = 4;
  int64_t layers = 0, heads = 0;
  std::vector<int64_t> anchors;          // strictly ascending, starting with layer 0
  std::map<int64_t, reuse_layer> reuse;  // every other layer

  bool is_anchor(int64_t layer) const;
};

// Throws harness_error naming `where` and the field unless: tile, top_k, layers, heads >= 1 and
// max_reuse_distance >= 1; every layer is exactly one of anchor or reuse; layer 0 is an anchor; each
// reuse layer's anchor is an anchor, earlier, and at most max_reuse_distance before it; each head map
// has H entries in [0, H).
void validate_schedule(const anchor_reuse_schedule& s, const std::string& where);
nlohmann::json schedule_to_json(const anchor_reuse_schedule& s);
anchor_reuse_schedule schedule_from_json(const nlohmann::json& j, const std::string& where);
anchor_reuse_schedule read_schedule(const std::string& path);
void write_schedule(const std::string& path, const anchor_reuse_schedule& s);  // validates, writes atomically

}  // namespace harness
