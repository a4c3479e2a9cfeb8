// DejaVu pipeline pieces: the activation file format, the recorder against the hook values, labels and
// metrics on hand-made values, the trainer on planted and on random targets, and the mask sources
// (oracle at 0% sparsity and a keep-everything plan reproduce dense logits exactly).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>

#include <c10/core/GradMode.h>

#include "predictors/activation_file.h"
#include "predictors/labels.h"
#include "predictors/mask_sources.h"
#include "predictors/metrics.h"
#include "predictors/recorder.h"
#include "predictors/set_stability.h"
#include "predictors/trainer.h"
#include "runtime/error.h"
#include "runtime/model.h"
#include "tests/test_support.h"

namespace harness {
namespace {

namespace fs = std::filesystem;

at::Tensor bools(std::vector<int64_t> values, std::vector<int64_t> shape) {
  return at::tensor(values, at::kLong).view(shape).to(at::kBool);
}

// Keeps every value that passes a hook point.
struct keeper : forward_observer {
  std::map<std::pair<hook_point, int64_t>, at::Tensor> seen;
  void observe(hook_point p, int64_t layer, const at::Tensor& value) override { seen[{p, layer}] = value.clone(); }
};

std::unique_ptr<causal_lm> load_fixture(const std::string& name) {
  return load_model(test::fixture_dir(name).string(), at::kFloat, at::Device(at::kCPU));
}

}  // namespace

CATCH_TEST_CASE("activation files round-trip as float16 and refuse damage", "[predictors]") {
  test::temp_dir dir("act");
  std::string path = (dir.path() / "t.act").string();
  at::Tensor a = at::randn({5, 3}), b = at::randn({2, 3});
  {
    activation_writer w(path, 3);
    w.append(a);
    w.append(b);
    CATCH_CHECK_FALSE(fs::exists(path));  // only the .partial file until finish()
    w.finish();
  }
  activation_file f(path);
  CATCH_REQUIRE(f.rows() == 7);
  CATCH_REQUIRE(f.cols() == 3);
  CATCH_CHECK(at::equal(f.tensor(), at::cat({a, b}).to(at::kHalf)));
  CATCH_CHECK(fs::file_size(path) == activation_header_bytes + 7 * 3 * 2);

  activation_writer bad_shape((dir.path() / "u.act").string(), 3);
  CATCH_CHECK_THROWS_WITH(bad_shape.append(at::zeros({2, 4})), Catch::Contains("rows of shape [2, 4]"));
  CATCH_CHECK_THROWS_WITH(bad_shape.append(at::full({1, 3}, NAN)), Catch::Contains("non-finite"));

  fs::resize_file(path, fs::file_size(path) - 2);
  CATCH_CHECK_THROWS_WITH(activation_file(path), Catch::Contains("t.act") && Catch::Contains("truncated"));
  std::ofstream((dir.path() / "junk.act").string()) << std::string(80, 'x');
  CATCH_CHECK_THROWS_WITH(activation_file((dir.path() / "junk.act").string()), Catch::Contains("bad magic"));
  CATCH_CHECK_THROWS_WITH(activation_file((dir.path() / "none.act").string()), Catch::Contains("cannot open"));
}

CATCH_TEST_CASE("the recorder stores exactly the hook values of real tokens up to its row limit", "[predictors]") {
  c10::NoGradGuard no_grad;
  auto name = GENERATE(as<std::string>{}, "tiny-llama3", "tiny-opt");
  CATCH_INFO("fixture " << name);
  auto model = load_fixture(name);
  const model_config& c = model->config();
  test::temp_dir dir("rec");
  // Two sequences, the second right-padded by 3; 9 + 6 = 15 real tokens, the limit cuts at 12.
  at::Tensor ids = at::arange(3, 21, at::kLong).view({2, 9});
  at::Tensor mask = at::ones({2, 9}, at::kLong);
  mask[1].narrow(0, 6, 3).fill_(0);
  activation_recorder rec(c, dir.path().string(), 12);
  keeper seen;
  rec.begin_batch(mask.to(at::kBool));
  forward_options opt;
  opt.observer = &seen;
  opt.dynamic_masks = nullptr;
  model->forward({ids, mask, {}}, opt);
  opt.observer = &rec;
  model->forward({ids, mask, {}}, opt);
  CATCH_CHECK(rec.full());
  rec.finish({{"test", true}});
  recording r = open_recording(dir.path().string());
  CATCH_REQUIRE(r.rows == 12);
  CATCH_CHECK(r.sequence_starts == std::vector<int64_t>{0, 9});
  at::Tensor real = mask.reshape({-1}).nonzero().squeeze(1).narrow(0, 0, 12);  // first 12 real positions
  for (int64_t l = 0; l < c.num_layers; ++l) {
    auto expect = [&](hook_point p) {
      at::Tensor v = seen.seen.at({p, l});
      if (p == hook_point::attn_heads) v = v.norm(2, {-1});
      return v.reshape({-1, v.size(-1)}).index_select(0, real).to(at::kHalf);
    };
    CATCH_CHECK(at::equal(r.open(record_kind::att_x, l).tensor(), expect(hook_point::attn_in)));
    CATCH_CHECK(at::equal(r.open(record_kind::mlp_x, l).tensor(), expect(hook_point::mlp_in)));
    CATCH_CHECK(at::equal(r.open(record_kind::mlp_label, l).tensor(), expect(hook_point::mlp_act)));
    CATCH_CHECK(at::allclose(r.open(record_kind::att_head_norm, l).tensor().to(at::kFloat),
                             expect(hook_point::attn_heads).to(at::kFloat), 1e-3, 1e-3));
  }
  CATCH_CHECK(recording_bytes(c, 12) == static_cast<uint64_t>(c.num_layers) *
                                           ((2 * c.hidden_size + c.intermediate_size + c.num_heads) * 12 * 2 + 4 * 64));
}

CATCH_TEST_CASE("an unfinished recording is refused", "[predictors]") {
  test::temp_dir dir("unfinished");
  CATCH_CHECK_THROWS_WITH(open_recording(dir.path().string()), Catch::Contains("no manifest.json"));
}

CATCH_TEST_CASE("MLP labels on hand-made activations", "[predictors]") {
  at::Tensor act = at::tensor({0.5f, -2.0f, 0.0f, 1.0f, -0.1f, 3.0f, -4.0f, 0.2f}).view({2, 4});
  CATCH_CHECK(at::equal(mlp_labels(act, mlp_label_rule::positive, 0, 0), bools({1, 0, 0, 1, 0, 1, 0, 1}, {2, 4})));
  // keep 0.5 of 4 -> the 2 largest |act| per row: row 0 {-2, 1}, row 1 {3, -4}.
  CATCH_CHECK(at::equal(mlp_labels(act, mlp_label_rule::topk, 0.5, 0), bools({0, 1, 0, 1, 0, 1, 1, 0}, {2, 4})));
  // keep 3 of 8 entries overall: |act| sorted 4, 3, 2, 1, ... -> the threshold passes 4, 3, 2.
  double t = calibrate_threshold(act, 3.0 / 8);
  CATCH_CHECK(t < 2.0);
  CATCH_CHECK(t > 1.0);
  CATCH_CHECK(at::equal(mlp_labels(act, mlp_label_rule::threshold, 0, t), bools({0, 1, 0, 0, 0, 1, 1, 0}, {2, 4})));
  CATCH_CHECK(mlp_label_rule_from_name("topk") == mlp_label_rule::topk);
  CATCH_CHECK_THROWS_WITH(mlp_label_rule_from_name("relu"), Catch::Contains("unknown MLP label rule 'relu'"));
}

CATCH_TEST_CASE("head labels: DejaVu's top int(0.3 H) heads and GQA group norms", "[predictors]") {
  // 8 heads: int(0.3 * 8) = 2 heads kept per row.
  at::Tensor norms = at::tensor({1.f, 5.f, 2.f, 0.f, 3.f, 4.f, 0.5f, 0.1f}).view({1, 8});
  CATCH_CHECK(at::equal(head_labels(norms, 0.3), bools({0, 1, 0, 0, 0, 1, 0, 0}, {1, 8})));
  // 4 KV groups of 2 consecutive heads: sqrt(1+25), sqrt(4+0), sqrt(9+16), sqrt(0.25+0.01).
  at::Tensor groups = kv_group_norms(norms, 4);
  CATCH_CHECK(at::allclose(groups, at::tensor({std::sqrt(26.f), 2.f, 5.f, std::sqrt(0.26f)}).view({1, 4})));
  CATCH_CHECK_THROWS_WITH(kv_group_norms(norms, 3), Catch::Contains("do not split into 3 KV groups"));
  CATCH_CHECK_THROWS_WITH(head_labels(norms, 0.1), Catch::Contains("keeps none"));
}

CATCH_TEST_CASE("predictor metrics on a worked example", "[predictors]") {
  // Row 0: true {0, 1}, predicted (logit >= 0) {0, 2}; row 1: true {3}, predicted {3}.
  at::Tensor labels = bools({1, 1, 0, 0, 0, 0, 0, 1}, {2, 4});
  at::Tensor logits = at::tensor({2.f, -1.f, 0.5f, -3.f, -1.f, -2.f, -0.5f, 4.f}).view({2, 4});
  metrics_accumulator acc(/*top_k=*/1);
  acc.add(logits, labels);
  predictor_metrics m = acc.result();
  CATCH_CHECK(m.rows == 2);
  CATCH_CHECK(m.recall == Approx(2.0 / 3));     // true positives {0 in row 0, 3 in row 1} of 3 actives
  CATCH_CHECK(m.precision == Approx(2.0 / 3));  // of 3 predicted
  CATCH_CHECK(m.f1 == Approx(2.0 / 3));
  CATCH_CHECK(m.true_active == Approx(1.5));
  CATCH_CHECK(m.predicted_active == Approx(1.5));
  CATCH_CHECK(m.recall_at_k == Approx(2.0 / 3));  // top-1: column 0 (row 0), column 3 (row 1)
}

CATCH_TEST_CASE("a predictor learns a planted pattern and stays near chance on noise", "[predictors][train]") {
  // 4000 rows, d = 16, 32 outputs. Planted: unit j is active when x . w_j > 0 (a linear rule the
  // low-rank predictor can represent). Noise: labels independent of x with the same density.
  at::manual_seed(7);
  at::Tensor x = at::randn({4000, 16});
  at::Tensor w = at::randn({16, 32});
  at::Tensor planted = at::matmul(x, w);               // [4000, 32]; about half positive
  at::Tensor noise = at::randn({4000, 32});
  train_options o;
  o.rank = 32;
  o.batch = 256;
  o.max_epochs = 15;
  o.lr = 1e-2;
  o.top_k = 16;
  label_fn positive = [](const at::Tensor& y) { return y > 0; };
  train_result fit = train_predictor(x.to(at::kHalf), planted.to(at::kHalf), 32, positive, o);
  CATCH_CHECK(fit.best.recall > 0.97);
  CATCH_CHECK(fit.best.precision > 0.9);
  train_result chance = train_predictor(x.to(at::kHalf), noise.to(at::kHalf), 32, positive, o);
  // Keeping 16 of 32 units at random finds half the actives: recall@16 near 0.5.
  CATCH_CHECK(chance.best.recall_at_k > 0.4);
  CATCH_CHECK(chance.best.recall_at_k < 0.6);
  CATCH_CHECK(fit.test_rows == 200);
  // Deterministic for a seed.
  train_result again = train_predictor(x.to(at::kHalf), planted.to(at::kHalf), 32, positive, o);
  CATCH_CHECK(at::equal(again.net->up->weight, fit.net->up->weight));
  CATCH_CHECK(again.best.recall == fit.best.recall);
}

CATCH_TEST_CASE("predictors save and load bit-exactly", "[predictors]") {
  test::temp_dir dir("pred");
  torch::manual_seed(3);
  predictor net(predictor_shape{8, 5, 12, true});
  std::string path = (dir.path() / "p.safetensors").string();
  save_predictor(net, path);
  predictor back = load_predictor(path);
  CATCH_CHECK(back->shape().relu);
  CATCH_CHECK(back->shape().rank == 5);
  at::Tensor x = at::randn({3, 8});
  torch::NoGradGuard no_grad;
  CATCH_CHECK(at::equal(back->forward(x), net->forward(x)));
}

CATCH_TEST_CASE("oracle masks: 0% sparsity and keep-all reproduce dense logits exactly; top-K keeps K", "[predictors][masks]") {
  c10::NoGradGuard no_grad;
  auto name = GENERATE(as<std::string>{}, "tiny-llama3", "tiny-opt");
  auto model = load_fixture(name);
  const model_config& c = model->config();
  at::Tensor ids = at::arange(5, 17, at::kLong).view({2, 6});
  at::Tensor dense = model->forward({ids, {}, {}}, {}).logits;
  oracle_masks none(c, make_sparsity_plan(c, 0, 0, false, {}, {}));
  forward_options opt;
  opt.dynamic_masks = &none;
  CATCH_CHECK(at::equal(model->forward({ids, {}, {}}, opt).logits, dense));
  sparsity_plan all = make_sparsity_plan(c, 0.5, 0.5, false, {}, {});
  all.mlp_keep = c.intermediate_size;
  all.head_keep = c.num_heads;
  oracle_masks keep_all(c, all);
  opt.dynamic_masks = &keep_all;
  CATCH_CHECK(at::equal(model->forward({ids, {}, {}}, opt).logits, dense));

  // 75% MLP sparsity: every token keeps exactly F/4 neurons, the largest |act| of the dense values.
  oracle_masks quarter(c, make_sparsity_plan(c, 0.75, 0.5, false, {0}, {}));
  keeper seen;
  opt.dynamic_masks = &quarter;
  opt.observer = &seen;
  model->forward({ids, {}, {}}, opt);
  at::Tensor act1 = seen.seen.at({hook_point::mlp_act, 1});  // [2, 6, F], after masking
  CATCH_CHECK(at::equal((act1 != 0).sum(-1), at::full({2, 6}, c.intermediate_size / 4, at::kLong)));
  at::Tensor act0 = seen.seen.at({hook_point::mlp_act, 0});  // layer 0 left dense
  CATCH_CHECK((act0 != 0).sum().item<int64_t>() > 2 * 6 * c.intermediate_size / 4);
  at::Tensor heads = seen.seen.at({hook_point::attn_heads, 1});  // [2, 6, H, hd]
  CATCH_CHECK(at::equal((heads.abs().sum(-1) != 0).sum(-1), at::full({2, 6}, c.num_heads / 2, at::kLong)));
}

CATCH_TEST_CASE("KV-group masks keep or drop whole groups of query heads", "[predictors][masks]") {
  c10::NoGradGuard no_grad;
  auto model = load_fixture("tiny-llama3");
  const model_config& c = model->config();
  CATCH_REQUIRE(c.num_kv_heads < c.num_heads);
  oracle_masks groups(c, make_sparsity_plan(c, 0, 0.5, true, {}, {}));
  keeper seen;
  forward_options opt;
  opt.dynamic_masks = &groups;
  opt.observer = &seen;
  model->forward({at::arange(5, 13, at::kLong).view({1, 8}), {}, {}}, opt);
  int64_t group = c.num_heads / c.num_kv_heads;
  at::Tensor kept = seen.seen.at({hook_point::attn_heads, 0}).abs().sum(-1) != 0;  // [1, 8, H]
  at::Tensor per_group = kept.view({1, 8, c.num_kv_heads, group});
  CATCH_CHECK(at::equal(per_group.all(-1), per_group.any(-1)));  // all or none of each group
  CATCH_CHECK(at::equal(per_group.all(-1).sum(-1), at::full({1, 8}, c.num_kv_heads / 2, at::kLong)));
}

CATCH_TEST_CASE("predicted masks read the input of the layer they were trained on", "[predictors][masks]") {
  c10::NoGradGuard no_grad;
  auto model = load_fixture("tiny-llama3");
  const model_config& c = model->config();
  CATCH_CHECK(parse_predictor_input("attn_in-2").lookback == 2);
  CATCH_CHECK(parse_predictor_input("mlp_in").point == hook_point::mlp_in);
  CATCH_CHECK_THROWS_WITH(parse_predictor_input("mlp_act"), Catch::Contains("only attn_in and mlp_in"));
  // A predictor whose logits copy the first F... here: a rank-d identity-like map on a hand-set
  // predictor for layer 1 fed attn_in of layer 0; its mask must equal the top-K of its own logits.
  torch::manual_seed(1);
  std::map<int64_t, predictor> mlp;
  for (int64_t l = 1; l < c.num_layers; ++l) mlp.emplace(l, predictor(predictor_shape{c.hidden_size, 16, c.intermediate_size, false}));
  predictor probe = mlp.at(1);
  sparsity_plan plan = make_sparsity_plan(c, 0.5, 0, false, {0}, {});
  predicted_masks masks(c, plan, mlp, parse_predictor_input("attn_in-1"), {}, parse_predictor_input("attn_in"));
  keeper seen;
  forward_options opt;
  opt.dynamic_masks = &masks;
  opt.observer = &seen;
  at::Tensor ids = at::arange(5, 13, at::kLong).view({1, 8});
  model->forward({ids, {}, {}}, opt);
  at::Tensor x0 = seen.seen.at({hook_point::attn_in, 0});  // [1, 8, d]
  at::Tensor expected = top_k_keep(probe->forward(x0), plan.mlp_keep);  // [1, 8, F]
  at::Tensor act1 = seen.seen.at({hook_point::mlp_act, 1});
  CATCH_CHECK(at::equal((act1 != 0), expected));
  CATCH_CHECK_THROWS_WITH(predicted_masks(c, plan, {}, parse_predictor_input("attn_in"), {}, parse_predictor_input("attn_in")),
                          Catch::Contains("no MLP predictor"));
}

CATCH_TEST_CASE("set stability: Jaccard of consecutive top-k sets within sequences", "[predictors]") {
  // Top-2 sets by |act|: row 0 {0, 1}, row 1 {1, 2}, row 2 {2, 3}, row 3 {0, 1}.
  at::Tensor act = at::tensor({5.f, -4.f, 0.f, 0.f,  //
                               0.f, 3.f, -6.f, 1.f,   //
                               0.f, 0.f, 2.f, 7.f,    //
                               -9.f, 8.f, 0.f, 0.f})
                       .view({4, 4});
  // One sequence: pairs (0,1) 1/3, (1,2) 1/3, (2,3) 0.
  jaccard_summary one = consecutive_token_jaccard(act, {0}, 2, /*batch=*/2);
  CATCH_CHECK(one.pairs == 3);
  CATCH_CHECK(one.mean == Approx(2.0 / 9));
  // A sequence starting at row 2 removes the pair (1, 2).
  jaccard_summary two = consecutive_token_jaccard(act, {0, 2}, 2);
  CATCH_CHECK(two.pairs == 2);
  CATCH_CHECK(two.mean == Approx(1.0 / 6));
  CATCH_CHECK(two.standard_error == Approx(1.0 / 6));  // sample sd sqrt(1/18) over sqrt(2) pairs
  // ReLU rows firing fewer than k neurons: the set is what fires. Top-3 sets {0, 2}, {0}, {}, {}: pairs
  // (0,1) 1/2, (1,2) 0; (2,3) has nothing active on either side and is not counted.
  at::Tensor relu = at::tensor({3.f, 0.f, 1.f, 0.f,  //
                                2.f, 0.f, 0.f, 0.f,  //
                                0.f, 0.f, 0.f, 0.f,  //
                                0.f, 0.f, 0.f, 0.f})
                        .view({4, 4});
  CATCH_CHECK(at::equal(top_k_nonzero(relu, 3).sum(1), at::tensor({2, 1, 0, 0}, at::kLong)));
  jaccard_summary fired = consecutive_token_jaccard(relu, {0}, 3);
  CATCH_CHECK(fired.pairs == 2);
  CATCH_CHECK(fired.mean == Approx(0.25));
}

CATCH_TEST_CASE("predicted set Jaccard: the predictor's top-k against the true top-k by |target|", "[predictors]") {
  // An identity predictor (down = up = I): it scores unit j by x_j.
  torch::manual_seed(1);
  predictor net(predictor_shape{4, 4, 4, false});
  {
    torch::NoGradGuard no_grad;
    net->down->weight.copy_(at::eye(4));
    net->up->weight.copy_(at::eye(4));
  }
  at::Tensor x = at::tensor({4.f, 3.f, 0.f, 0.f,  // top-2 {0, 1}
                             0.f, 1.f, 2.f, 3.f,  // top-2 {2, 3}
                             9.f, 0.f, 8.f, 0.f,  // top-2 {0, 2}
                             1.f, 0.f, 5.f, 0.f,  // top-1 {2}
                             1.f, 2.f, 3.f, 4.f})
                     .view({5, 4});
  // True top-2 by |target| among nonzero values: {0, 1} (J 1), {0, 1} (J 0), {0, 3} (J 1/3; -7 counts by
  // its size); a ReLU-like row with one active unit {2}, against the predictor's top 1 (J 1); nothing
  // active (not counted).
  at::Tensor target = at::tensor({1.f, -2.f, 0.f, 0.f,  //
                                  5.f, 6.f, 0.f, 0.f,   //
                                  -7.f, 0.f, 0.f, 1.f,  //
                                  0.f, 0.f, 3.f, 0.f,   //
                                  0.f, 0.f, 0.f, 0.f})
                          .view({5, 4});
  jaccard_summary all = predicted_set_jaccard(net, x.to(at::kHalf), target.to(at::kHalf), 0, 5, 2, /*batch=*/2);
  CATCH_CHECK(all.pairs == 4);
  CATCH_CHECK(all.mean == Approx((1 + 0 + 1.0 / 3 + 1) / 4));
  jaccard_summary middle = predicted_set_jaccard(net, x, target, 1, 3, 2, 8);  // rows [1, 3) only, as for test rows
  CATCH_CHECK(middle.pairs == 2);
  CATCH_CHECK(middle.mean == Approx(1.0 / 6));
  CATCH_CHECK_THROWS_WITH(predicted_set_jaccard(net, x, target, 0, 3, 5, 8), Catch::Contains("k = 5 outside 1..4"));
}

}  // namespace harness
