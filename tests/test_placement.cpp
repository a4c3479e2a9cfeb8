// Placement planning: contiguous blocks balanced by weight bytes (against a brute force), the weight
// bytes a checkpoint puts on each device, device lists and their errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <random>

#include "runtime/checkpoint.h"
#include "runtime/error.h"
#include "runtime/model_config.h"
#include "runtime/placement.h"
#include "tests/test_paths.h"

namespace harness {
namespace {

std::vector<at::Device> cpus(size_t n) { return std::vector<at::Device>(n, at::Device(at::kCPU)); }

// The bytes each device of `p` holds.
std::vector<uint64_t> loads(const device_placement& p, const placement_bytes& b) {
  std::vector<uint64_t> out;
  int64_t layer = 0;
  for (size_t d = 0; d < p.devices().size(); ++d) {
    uint64_t sum = (d == 0 ? b.first : 0) + (d + 1 == p.devices().size() ? b.last : 0);
    for (int64_t i = 0; i < p.layer_counts()[d]; ++i) sum += b.layers[layer++];
    out.push_back(sum);
  }
  return out;
}

uint64_t largest(const std::vector<uint64_t>& v) { return *std::max_element(v.begin(), v.end()); }

// The smallest largest load over every split of the layers into `devices` non-empty contiguous blocks.
uint64_t brute_force(const placement_bytes& b, size_t devices) {
  int64_t layers = static_cast<int64_t>(b.layers.size());
  uint64_t best = UINT64_MAX;
  std::vector<int64_t> counts(devices, 1);
  std::function<void(size_t, int64_t)> place = [&](size_t d, int64_t left) {
    if (d + 1 == devices) {
      counts[d] = left;
      best = std::min(best, largest(loads(device_placement(cpus(devices), counts), b)));
      return;
    }
    for (int64_t c = 1; c <= left - static_cast<int64_t>(devices - d - 1); ++c) {
      counts[d] = c;
      place(d + 1, left - c);
    }
  };
  place(0, layers);
  return best;
}

}  // namespace

CATCH_TEST_CASE("placement: equal layers split evenly and the embedding and head weigh in", "[placement]") {
  placement_bytes b{0, std::vector<uint64_t>(4, 10), 0};
  CATCH_CHECK(plan_placement(cpus(2), b).layer_counts() == std::vector<int64_t>{2, 2});
  CATCH_CHECK(plan_placement(cpus(4), b).layer_counts() == std::vector<int64_t>{1, 1, 1, 1});
  CATCH_CHECK(plan_placement(cpus(1), b).layer_counts() == std::vector<int64_t>{4});
  // Uneven: 4 layers on 3 devices, the largest block is 2 layers (the earliest cut on ties).
  CATCH_CHECK(plan_placement(cpus(3), b).layer_counts() == std::vector<int64_t>{1, 1, 2});
  // An embedding worth 3 layers on the first device: 8 layers of 10 split 2 + 6 (loads 50 and 60).
  placement_bytes embed{30, std::vector<uint64_t>(8, 10), 0};
  device_placement p = plan_placement(cpus(2), embed);
  CATCH_CHECK(p.layer_counts() == std::vector<int64_t>{2, 6});
  CATCH_CHECK(loads(p, embed) == std::vector<uint64_t>{50, 60});
  // Embedding and untied head of equal size: the layers split in half again.
  placement_bytes both{25, std::vector<uint64_t>(8, 10), 25};
  CATCH_CHECK(plan_placement(cpus(2), both).layer_counts() == std::vector<int64_t>{4, 4});
}

CATCH_TEST_CASE("placement: the plan's largest device load equals a brute force minimum", "[placement]") {
  std::mt19937_64 rng(20261202);
  std::uniform_int_distribution<uint64_t> size(1, 100);
  for (int trial = 0; trial < 200; ++trial) {
    placement_bytes b;
    b.layers.resize(1 + rng() % 7);
    for (auto& l : b.layers) l = size(rng);
    b.first = size(rng) * (rng() % 3);
    b.last = size(rng) * (rng() % 3);
    size_t devices = 1 + rng() % b.layers.size();
    device_placement p = plan_placement(cpus(devices), b);
    CATCH_INFO("trial " << trial << ": " << b.layers.size() << " layers on " << devices << " devices");
    CATCH_REQUIRE(p.num_layers() == static_cast<int64_t>(b.layers.size()));
    CATCH_CHECK(largest(loads(p, b)) == brute_force(b, devices));
  }
}

CATCH_TEST_CASE("placement: layers map to their block's device and the placement describes itself", "[placement]") {
  device_placement p({at::Device(at::kCPU), at::Device(at::kCPU), at::Device("meta")}, {2, 1, 1});
  CATCH_CHECK(p.num_layers() == 4);
  CATCH_CHECK(p.layer_device(1).is_cpu());
  CATCH_CHECK(p.layer_device(3).is_meta());
  CATCH_CHECK(p.first().is_cpu());
  CATCH_CHECK(p.last().is_meta());
  CATCH_CHECK(p.describe() == nlohmann::json{{"devices", {"cpu", "cpu", "meta"}}, {"layers", {2, 1, 1}}});
  device_placement one(at::Device(at::kCPU), 3);
  CATCH_CHECK(one.layer_counts() == std::vector<int64_t>{3});
  CATCH_CHECK(one.layer_devices().size() == 3);
}

CATCH_TEST_CASE("placement: more devices than layers and empty blocks are refused", "[placement]") {
  placement_bytes b{0, std::vector<uint64_t>(2, 10), 0};
  CATCH_CHECK_THROWS_WITH(plan_placement(cpus(3), b), Catch::Contains("3 devices for 2 layers"));
  CATCH_CHECK_THROWS_WITH(plan_placement({}, b), Catch::Contains("no devices"));
  CATCH_CHECK_THROWS_AS(device_placement(cpus(2), {2, 0}), harness_error);
  CATCH_CHECK_THROWS_AS(device_placement(cpus(2), {2}), harness_error);
}

CATCH_TEST_CASE("placement: device lists parse and unknown devices are named", "[placement]") {
  CATCH_CHECK(parse_device_list("cpu,cpu,cpu").size() == 3);
  CATCH_CHECK(model_devices("cpu", "") == cpus(1));
  CATCH_CHECK(model_devices("cpu", "cpu,cpu") == cpus(2));
  CATCH_CHECK_THROWS_WITH(parse_device_list("cpu,tpu"), Catch::Contains("'tpu' is not cpu or cuda:N"));
  CATCH_CHECK_THROWS_WITH(parse_device_list("cpu,,cpu"), Catch::Contains("'' is not cpu or cuda:N"));
  CATCH_CHECK_THROWS_WITH(parse_device_list(""), Catch::Contains("'' is not cpu or cuda:N"));
  CATCH_CHECK_THROWS_WITH(parse_device_list("cpu,cuda"), Catch::Contains("'cuda' is not cpu or cuda:N"));
  CATCH_CHECK_THROWS_WITH(parse_device_list("cuda:x"), Catch::Contains("is not cpu or cuda:N"));
  if (!at::hasCUDA()) {
    CATCH_CHECK_THROWS_WITH(parse_device_list("cuda:0,cuda:1"), Catch::Contains("no CUDA device is available"));
    CATCH_CHECK_THROWS_WITH(parse_device_list("cuda"), Catch::Contains("no CUDA device is available"));
  } else {
    CATCH_CHECK(parse_device_list("cuda").size() == at::getNumGPUs());
    CATCH_CHECK_THROWS_WITH(parse_device_list("cuda:999"), Catch::Contains("is not one of the"));
  }
}

CATCH_TEST_CASE("placement: checkpoint bytes go to the embeddings' device each layer and the head's", "[placement]") {
  struct expected {
    std::string fixture;
    bool head_last;  // an untied lm_head is counted on the last device
  };
  for (const expected& e : {expected{"tiny-llama3", false}, expected{"tiny-llama2", true}, expected{"tiny-opt", false},
                            expected{"tiny-opt350", false}}) {
    CATCH_INFO(e.fixture);
    std::string dir = test::fixture_dir(e.fixture).string();
    model_config c = read_model_config(dir + "/config.json");
    checkpoint weights(dir);
    placement_bytes b = weight_bytes(weights, c);
    std::map<std::string, uint64_t> tensors = weights.tensor_bytes();
    CATCH_REQUIRE(b.layers.size() == static_cast<size_t>(c.num_layers));
    for (uint64_t l : b.layers) CATCH_CHECK(l == b.layers[0]);  // identical layers
    uint64_t total = b.first + b.last;
    for (uint64_t l : b.layers) total += l;
    CATCH_CHECK(total == weights.stored_bytes());  // every tensor counted once
    uint64_t head = tensors.count("lm_head.weight") ? tensors["lm_head.weight"] : 0;
    CATCH_CHECK((b.last >= head && head > 0) == e.head_last);
    uint64_t embed = 0;
    for (const auto& [name, bytes] : tensors)
      if (name.find("embed_tokens") != std::string::npos) embed = bytes;
    CATCH_CHECK(b.first >= embed);
    CATCH_CHECK(embed > 0);
  }
}

}  // namespace harness
