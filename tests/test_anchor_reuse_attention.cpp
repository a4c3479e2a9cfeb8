// Anchor/reuse (Kascade-style) sparse attention: the CPU variant equals the libtorch reference (NMSE, as
// test_kernels.cpp) on random GQA inputs, fp32 and bf16, 1 and 3 new tokens, a partial last tile; keeping
// every tile equals dense attention (runtime/layers.cpp); hand-worked tile selections (forced newest tile,
// ties to the lower index); rejected inputs; the schedule's JSON round trip and validation; calibration
// on a hand-worked three-layer case; the schedule applied in the forward; and the `kascade` case end to end.
#include <catch2/catch.hpp>

#include <c10/core/GradMode.h>

#include <filesystem>
#include <functional>

#include "experiments/registry.h"
#include "kernels/anchor_reuse_attention.h"
#include "kernels/anchor_reuse_calibration.h"
#include "kernels/anchor_reuse_schedule.h"
#include "kernels/sparse_mlp.h"
#include "runtime/error.h"
#include "runtime/json_file.h"
#include "runtime/layers.h"
#include "runtime/model.h"
#include "tests/test_paths.h"
#include "tests/test_support.h"

namespace harness {
namespace {

using Catch::Matchers::Contains;
using test::nmse;

// T new tokens among N keys; H query heads over KV key/value heads.
anchor_reuse_step random_step(int64_t t, int64_t heads, int64_t kv_heads, int64_t n, int64_t hd, at::ScalarType dtype,
                              uint64_t seed = 7) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  anchor_reuse_step s;
  s.q = (at::randn({t, heads, hd}, gen) * 2.0).to(dtype);  // * 2: peaked enough that the top-k matters
  s.k = at::randn({kv_heads, n, hd}, gen).to(dtype);
  s.v = at::randn({kv_heads, n, hd}, gen).to(dtype);
  s.score_scale = 1.0 / std::sqrt(static_cast<double>(hd));
  return s;
}

at::Tensor longs(std::vector<int64_t> v) { return at::tensor(v, at::kLong); }

// Dense causal attention of the step through the runtime's attention(): [T, H, hd] float32.
at::Tensor dense_attention(const anchor_reuse_step& s) {
  int64_t t = s.q.size(0), n = s.k.size(1);
  at::Tensor mask = causal_padding_mask({}, 1, n - t, t, at::kFloat, at::Device(at::kCPU));
  return attention(s.q.to(at::kFloat).permute({1, 0, 2}).unsqueeze(0), s.k.to(at::kFloat).unsqueeze(0),
                   s.v.to(at::kFloat).unsqueeze(0), mask, s.score_scale)[0];
}

CATCH_TEST_CASE("anchor/reuse attention: the CPU variant equals the reference on random GQA inputs", "[anchor_reuse]") {
  for (int64_t t : {1, 3}) {
    for (at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
      anchor_reuse_step s = random_step(t, 8, 2, 100, 32, dtype);  // 7 tiles, the last of 4 keys
      anchor_output ref = anchor_attention_reference(s, 3);
      anchor_output cpu = anchor_attention_cpu(s, 3);
      double limit = dtype == at::kFloat ? 1e-7 : 1e-4;
      CATCH_CHECK(nmse(cpu.out.to(at::kFloat), ref.out.to(at::kFloat)) < limit);
      CATCH_REQUIRE(cpu.tiles.sizes() == at::IntArrayRef({8, 3}));
      if (dtype == at::kFloat) CATCH_CHECK(at::equal(cpu.tiles, ref.tiles));
      CATCH_CHECK((ref.tiles.select(1, 2) == 6).all().item<bool>());  // the newest tile always kept
      // Reuse through a head map that sends heads across KV groups.
      at::Tensor map = longs({7, 0, 3, 3, 1, 6, 2, 5});
      at::Tensor reuse_ref = reuse_attention_reference(s, ref.tiles, map);
      at::Tensor reuse_cpu = reuse_attention_cpu(s, ref.tiles, map);
      CATCH_CHECK(nmse(reuse_cpu.to(at::kFloat), reuse_ref.to(at::kFloat)) < limit);
      // Fewer keys than dense: the outputs differ from the anchor's exact ones.
      CATCH_CHECK(nmse(reuse_ref.to(at::kFloat), ref.out.to(at::kFloat)) > 1e-4);
    }
  }
}

CATCH_TEST_CASE("anchor/reuse attention: keeping every tile is dense attention", "[anchor_reuse]") {
  anchor_reuse_step s = random_step(2, 6, 3, 70, 16, at::kFloat);  // 5 tiles
  at::Tensor dense = dense_attention(s);
  at::Tensor all = at::arange(5, at::kLong).unsqueeze(0).repeat({6, 1});
  at::Tensor identity = at::arange(6, at::kLong);
  CATCH_CHECK(nmse(reuse_attention_reference(s, all, identity), dense) < 1e-12);
  CATCH_CHECK(nmse(reuse_attention_cpu(s, all, identity), dense) < 1e-12);
  CATCH_CHECK(nmse(anchor_attention_reference(s, 5).out, dense) < 1e-12);
  CATCH_CHECK(nmse(anchor_attention_cpu(s, 5).out, dense) < 1e-12);
}

CATCH_TEST_CASE("anchor/reuse attention: tile selection by hand", "[anchor_reuse]") {
  // One row, one head, five tiles; tile 4 holds the query.
  at::Tensor mass = at::tensor({0.1f, 0.3f, 0.3f, 0.05f, 0.25f}).view({1, 1, 5});
  auto keep = [&](int64_t first, int64_t last, int64_t k) {
    at::Tensor kept = select_tiles(mass, longs({first}), longs({last}), k)[0][0];
    std::vector<int64_t> out;
    for (int64_t i = 0; i < 5; ++i)
      if (kept[i].item<bool>()) out.push_back(i);
    return out;
  };
  CATCH_CHECK(keep(4, 4, 2) == std::vector<int64_t>{1, 4});        // the tie 1 = 2 goes to tile 1
  CATCH_CHECK(keep(4, 4, 3) == std::vector<int64_t>{1, 2, 4});
  CATCH_CHECK(keep(3, 4, 2) == std::vector<int64_t>{3, 4});        // two forced tiles
  CATCH_CHECK(keep(2, 2, 2) == std::vector<int64_t>{1, 2});        // tiles 3, 4 not visible
  CATCH_CHECK(keep(1, 1, 4) == std::vector<int64_t>{0, 1});        // k >= visible: all visible
  CATCH_CHECK(at::allclose(tile_mass(at::ones({1, 1, 40}), 16), at::tensor({16.0f, 16.0f, 8.0f}).view({1, 1, 3})));

  // Uniform attention (all keys equal): equal masses, so the anchor keeps the newest tile and the lowest.
  anchor_reuse_step s = random_step(1, 2, 1, 64, 8, at::kFloat);
  s.k.zero_();
  for (const anchor_output& a : {anchor_attention_reference(s, 2), anchor_attention_cpu(s, 2)})
    CATCH_CHECK(at::equal(a.tiles, longs({0, 3, 0, 3}).view({2, 2})));
}

CATCH_TEST_CASE("anchor/reuse attention: bad inputs are rejected with a clear error", "[anchor_reuse]") {
  anchor_reuse_step s = random_step(1, 4, 2, 64, 8, at::kFloat);  // 4 tiles
  at::Tensor tiles = longs({0, 3, 1, 3, 2, 3, 0, 3}).view({4, 2});
  at::Tensor map = longs({0, 1, 2, 3});
  CATCH_CHECK_THROWS_WITH(anchor_attention_cpu(s, 5), Contains("top-k 5 is not in [1, 4]"));
  CATCH_CHECK_THROWS_WITH(anchor_attention_reference(s, 0), Contains("top-k 0 is not in [1, 4]"));
  CATCH_CHECK_THROWS_WITH(reuse_attention_cpu(s, longs({3, 0, 1, 3, 2, 3, 0, 3}).view({4, 2}), map),
                          Contains("tiles[0] must be strictly ascending"));
  CATCH_CHECK_THROWS_WITH(reuse_attention_cpu(s, longs({3, 3, 1, 3, 2, 3, 0, 3}).view({4, 2}), map),
                          Contains("strictly ascending"));
  CATCH_CHECK_THROWS_WITH(reuse_attention_reference(s, longs({0, 4, 1, 3, 2, 3, 0, 3}).view({4, 2}), map),
                          Contains("tiles[0][1] = 4 is out of range [0, 4)"));
  CATCH_CHECK_THROWS_WITH(reuse_attention_cpu(s, longs({0, 3, 1, 2, 2, 3, 0, 3}).view({4, 2}), map),
                          Contains("tiles[1] must keep the new tokens' tiles 3 .. 3"));
  CATCH_CHECK_THROWS_WITH(reuse_attention_cpu(s, at::zeros({4, 5}, at::kLong), map),
                          Contains("5 tiles per head but 64 keys make only 4"));
  CATCH_CHECK_THROWS_WITH(reuse_attention_cpu(s, tiles, longs({0, 1, 2})), Contains("head map must be [4] int64"));
  CATCH_CHECK_THROWS_WITH(reuse_attention_cpu(s, tiles, longs({0, 1, 2, 4})),
                          Contains("head map[3] = 4 is out of range [0, 4)"));
  CATCH_CHECK_THROWS_WITH(reuse_attention_cpu(s, tiles.to(at::kInt), map), Contains("int64"));
  anchor_reuse_step bad = s;
  bad.k = at::randn({3, 64, 8});
  CATCH_CHECK_THROWS_WITH(anchor_attention_cpu(bad, 2), Contains("KV dividing 4 query heads"));
  bad = s;
  bad.v = s.v.to(at::kBFloat16);
  CATCH_CHECK_THROWS_WITH(anchor_attention_cpu(bad, 2), Contains("k and v must be"));
  bad = s;
  bad.q = at::randn({20, 4, 8});
  CATCH_CHECK_THROWS_WITH(anchor_attention_cpu(bad, 1), Contains("top-k 1 is not in [2, 4]"));
  if (!sparse_mlp_cuda_built())
    CATCH_CHECK_THROWS_WITH(anchor_attention_cuda(s, 2), Contains("no CUDA code"));
  else
    CATCH_CHECK_THROWS_WITH(reuse_attention_cuda(s, tiles, map), Contains("input is on cpu"));
}

CATCH_TEST_CASE("anchor/reuse attention: the CUDA variant equals the reference", "[anchor_reuse][cuda]") {
  if (!sparse_mlp_cuda_built() || !at::hasCUDA()) return;  // compiled only; runs where a GPU is
  for (at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
    anchor_reuse_step s = random_step(3, 8, 2, 100, 32, dtype);
    anchor_output ref = anchor_attention_reference(s, 3);
    anchor_reuse_step g = s;
    g.q = s.q.cuda();
    g.k = s.k.cuda();
    g.v = s.v.cuda();
    anchor_output cuda = anchor_attention_cuda(g, 3);
    double limit = dtype == at::kFloat ? 1e-7 : 1e-4;
    CATCH_CHECK(nmse(cuda.out.cpu().to(at::kFloat), ref.out.to(at::kFloat)) < limit);
    if (dtype == at::kFloat) CATCH_CHECK(at::equal(cuda.tiles.cpu(), ref.tiles));
    at::Tensor map = longs({7, 0, 3, 3, 1, 6, 2, 5});
    CATCH_CHECK(nmse(reuse_attention_cuda(g, ref.tiles, map).cpu().to(at::kFloat),
                     reuse_attention_reference(s, ref.tiles, map).to(at::kFloat)) < limit);
  }
}

anchor_reuse_schedule small_schedule() {
  anchor_reuse_schedule s;
  s.layers = 4;
  s.heads = 2;
  s.max_reuse_distance = 2;
  s.anchors = {0, 3};
  s.reuse[1] = {0, {1, 0}};
  s.reuse[2] = {0, {0, 0}};
  return s;
}

CATCH_TEST_CASE("anchor/reuse schedule: JSON round trip and validation", "[anchor_reuse]") {
  test::temp_dir dir("schedule");
  std::string path = (dir.path() / "schedule.json").string();
  write_schedule(path, small_schedule());
  nlohmann::json j = read_json_file(path);
  CATCH_CHECK(j["reuse"]["1"]["head_map"] == nlohmann::json({1, 0}));
  CATCH_CHECK(j["anchors"] == nlohmann::json({0, 3}));
  anchor_reuse_schedule back = read_schedule(path);
  CATCH_CHECK(schedule_to_json(back) == j);
  CATCH_CHECK(back.tile == 16);
  CATCH_CHECK(back.top_k == 8);

  auto rejects = [&](const std::function<void(nlohmann::json&)>& edit, const std::string& message) {
    nlohmann::json bad = j;
    edit(bad);
    CATCH_CHECK_THROWS_WITH(schedule_from_json(bad, "s.json"), Contains("s.json") && Contains(message));
  };
  rejects([](nlohmann::json& b) { b["anchors"] = {1, 3}; }, "layer 0 must be the first anchor");
  rejects([](nlohmann::json& b) { b["reuse"]["1"]["anchor"] = 3; }, "reuse layer 1 names anchor 3, which is not earlier");
  rejects([](nlohmann::json& b) { b["reuse"]["2"]["anchor"] = 1; }, "names anchor 1, which is not an anchor");
  rejects([](nlohmann::json& b) { b["max_reuse_distance"] = 1; }, "reuse layer 2 is 2 layers after its anchor 0; at most 1");
  rejects([](nlohmann::json& b) { b["reuse"]["1"]["head_map"] = {0}; }, "head map has 1 entries; expected 2");
  rejects([](nlohmann::json& b) { b["reuse"]["1"]["head_map"] = {0, 2}; }, "head map[1] = 2 is out of range [0, 2)");
  rejects([](nlohmann::json& b) { b["reuse"].erase("2"); }, "layer 2 is neither an anchor nor a reuse layer");
  rejects([](nlohmann::json& b) { b["reuse"]["3"] = b["reuse"]["1"]; }, "layer 3 is both an anchor and a reuse layer");
  rejects([](nlohmann::json& b) { b["reuse"]["x"] = b["reuse"]["1"]; }, "'reuse.x' is not a layer number");
  rejects([](nlohmann::json& b) { b["tile"] = "16"; }, "'tile' must be an integer");
  rejects([](nlohmann::json& b) { b["top_k"] = 0; }, "'top_k' must be at least 1");
}

// One query at position 63 (tile 3 of 4), two heads; mass per tile spread evenly over its 16 keys.
layer_selections hand_layer(std::vector<float> head0, std::vector<float> head1) {
  at::Tensor mass = at::tensor(head0).view({1, 4});
  mass = at::cat({mass, at::tensor(head1).view({1, 4})}).unsqueeze(0);  // [1, 2, 4]
  at::Tensor probs = (mass / 16.0).repeat_interleave(16, -1);           // [1, 2, 64]
  return select_query_tiles(probs, longs({63}), 16, 2);
}

CATCH_TEST_CASE("anchor/reuse calibration: a hand-worked three-layer case", "[anchor_reuse]") {
  // Layer 0 keeps tiles {0,3} (head 0) and {1,3} (head 1). Layer 1's heads are layer 0's swapped: each keeps
  // all of its own top-k mass (0.8) in the other head's tiles: similarity 1, head map [1, 0], reuse. Layer
  // 2's head 0 keeps {2,3} (0.8) but finds only 0.1 + 0.2 in either anchor head (0.375, tie -> head 0);
  // head 1 keeps {0,3} = anchor head 0's (1.0): similarity (0.375 + 1) / 2 = 0.6875, a loss of 0.3125 > 0.1.
  std::vector<layer_selections> layers = {hand_layer({0.6f, 0.1f, 0.1f, 0.2f}, {0.1f, 0.6f, 0.1f, 0.2f}),
                                          hand_layer({0.1f, 0.6f, 0.1f, 0.2f}, {0.6f, 0.1f, 0.1f, 0.2f}),
                                          hand_layer({0.1f, 0.1f, 0.6f, 0.2f}, {0.7f, 0.05f, 0.05f, 0.2f})};
  layer_similarity one = compare_layers(layers[0], layers[1]);
  CATCH_CHECK(one.head_map == std::vector<int64_t>{1, 0});
  CATCH_CHECK(one.similarity == Approx(1.0));
  CATCH_CHECK(one.overlap == Approx(1.0));
  layer_similarity two = compare_layers(layers[0], layers[2]);
  CATCH_CHECK(two.head_map == std::vector<int64_t>{0, 0});
  CATCH_CHECK(two.similarity == Approx(0.6875));
  CATCH_CHECK(two.overlap == Approx(0.75));  // head 0: {3} of {2,3}; head 1: both

  std::vector<calibration_step> steps;
  anchor_reuse_schedule s = choose_schedule(layers, 16, 2, 4, 0.1, &steps);
  CATCH_CHECK(s.anchors == std::vector<int64_t>{0, 2});
  CATCH_REQUIRE(s.reuse.size() == 1);
  CATCH_CHECK(s.reuse.at(1).anchor == 0);
  CATCH_CHECK(s.reuse.at(1).head_map == std::vector<int64_t>{1, 0});
  CATCH_REQUIRE(steps.size() == 3);
  CATCH_CHECK(steps[2].candidate == 0);
  CATCH_CHECK_FALSE(steps[2].reuse);
  // A looser threshold lets layer 2 reuse too; a reuse distance of 1 does not reach it from layer 0.
  CATCH_CHECK(choose_schedule(layers, 16, 2, 4, 0.35).anchors == std::vector<int64_t>{0});
  CATCH_CHECK(choose_schedule(layers, 16, 2, 1, 0.35).anchors == std::vector<int64_t>{0, 2});
}

CATCH_TEST_CASE("anchor/reuse masks: applied in the forward of tinystories-656k", "[anchor_reuse]") {
  c10::NoGradGuard no_grad;
  auto model = load_model((test::project_dir() / "data/models/tinystories-656k").string(), at::kFloat,
                          at::Device(at::kCPU));
  at::Tensor ids = at::arange(3, 3 + 2 * 70, 2, at::kLong).unsqueeze(0);  // [1, 70]: 5 tiles
  at::Tensor dense = model->forward({ids, {}, {}}, {}).logits;
  anchor_reuse_schedule s;
  s.layers = 2;
  s.heads = 8;
  s.anchors = {0};
  s.reuse[1] = {0, {0, 1, 2, 3, 4, 5, 6, 7}};
  auto run = [&](anchor_reuse_masks& masks) {
    forward_options opt;
    opt.dynamic_masks = &masks;
    return model->forward({ids, {}, {}}, opt).logits;
  };
  s.top_k = 5;  // every tile: the same as dense
  anchor_reuse_masks all(s);
  CATCH_CHECK(nmse(run(all), dense) < 1e-12);
  CATCH_CHECK(all.attended_fraction() == 1.0);
  s.top_k = 1;  // the query's own tile only in layer 1
  anchor_reuse_masks own(s);
  at::Tensor sparse = run(own);
  CATCH_CHECK(nmse(sparse.narrow(1, 0, 16), dense.narrow(1, 0, 16)) < 1e-12);  // tile 0's queries see all they can
  CATCH_CHECK(nmse(sparse, dense) > 1e-6);
  CATCH_CHECK(own.attended_fraction(0) == 1.0);
  // Layer 1: query p sees p % 16 + 1 keys of p + 1: sum over p < 70 of (p % 16 + 1) = 4 * 136 + 21 = 565.
  CATCH_CHECK(own.attended_fraction(1) == Approx(565.0 / (70.0 * 71.0 / 2.0)));
}

CATCH_TEST_CASE("anchor/reuse: the kascade case runs end to end on the tiny preset", "[anchor_reuse]") {
  const experiment_case& c = find_case("kascade");
  CATCH_CHECK(resolve_args(c, {{"preset", "tiny"}}).get_int("calibration-windows") == 2);
  test::temp_dir out("kascade-case");
  std::filesystem::path root = test::project_dir();
  c.run(resolve_args(c, {{"preset", "tiny"},
                         {"model", (root / "data/models/tinystories-656k").string()},
                         {"data", (root / "data/eval/wikitext-2-raw/wiki.test.raw").string()},
                         {"calibration-windows", "1"},
                         {"eval-windows", "1"},
                         {"out", out.path().string()}}));
  std::vector<std::filesystem::path> results, schedules;
  for (const auto& f : std::filesystem::recursive_directory_iterator(out.path() / "kascade")) {
    std::string name = f.path().filename().string();
    if (name.size() > 14 && name.substr(name.size() - 14) == ".schedule.json")
      schedules.push_back(f.path());
    else if (f.path().extension() == ".json")
      results.push_back(f.path());
  }
  CATCH_REQUIRE(results.size() == 1);
  CATCH_REQUIRE(schedules.size() == 1);
  nlohmann::json m = read_json_file(results[0].string())["metrics"];
  anchor_reuse_schedule s = read_schedule(schedules[0].string());
  CATCH_CHECK(schedule_to_json(s) == m["schedule"]);
  CATCH_CHECK(s.layers == 2);
  CATCH_CHECK(s.anchors[0] == 0);
  CATCH_CHECK(m["windows"] == 1);
  CATCH_CHECK(m["tokens_scored"] == 511);
  double fraction = m["keys_attended"].get<double>();
  CATCH_CHECK(fraction > 0.0);
  CATCH_CHECK(fraction <= 1.0);
  if (s.reuse.empty()) CATCH_CHECK(m["anchor_reuse"]["perplexity"] == m["dense"]["perplexity"]);
  CATCH_CHECK(m["dense"]["perplexity"].get<double>() > 1.0);
  CATCH_CHECK(m["layers"].size() == 2);
}

}  // namespace
}  // namespace harness
