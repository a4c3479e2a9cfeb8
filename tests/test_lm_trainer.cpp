// Training through the harness's forward (runtime/lm_trainer.h) on tiny random-init OPT and Llama models:
// the same seed gives the same weights bit for bit, a run saved and resumed equals an uninterrupted one,
// the loss falls on a learnable stream, and grad mode off is refused. Also the unigram baseline.
#include <catch2/catch.hpp>

#include <cmath>

#include <c10/core/GradMode.h>

#include "evals/unigram.h"
#include "runtime/error.h"
#include "runtime/lm_trainer.h"
#include "runtime/model.h"
#include "runtime/synthetic_checkpoint.h"
#include "tests/test_paths.h"

namespace harness {

namespace {

nlohmann::json tiny_config(const std::string& arch) {
  nlohmann::json c = {{"vocab_size", 40}, {"hidden_size", 16}, {"num_hidden_layers", 2}, {"num_attention_heads", 2},
                      {"max_position_embeddings", 16}, {"tie_word_embeddings", true}};
  if (arch == "opt")
    c.update({{"model_type", "opt"}, {"ffn_dim", 24}, {"do_layer_norm_before", true}, {"activation_function", "relu"}});
  else
    c.update({{"model_type", "llama"}, {"intermediate_size", 16}, {"num_key_value_heads", 1}, {"rms_norm_eps", 1e-5}});
  return c;
}

// A learnable stream: a fixed pseudo-random cycle of 40 ids, repeated.
std::vector<int64_t> cyclic_stream() {
  std::vector<int64_t> s;
  for (int64_t i = 0; i < 4000; ++i) s.push_back((i % 40) * 7 % 40);
  return s;
}

lm_train_options tiny_options() {
  lm_train_options o;
  o.steps = 30;
  o.batch = 4;
  o.seq_len = 16;
  o.lr = 1e-2;
  o.min_lr = 1e-3;
  o.warmup = 3;
  o.seed = 7;
  return o;
}

std::unique_ptr<causal_lm> init_model(const std::string& arch, const std::string& dir) {
  if (arch == "opt") write_synthetic_opt(dir, tiny_config(arch), at::kFloat, 3);
  else write_synthetic_llama(dir, tiny_config(arch), at::kFloat, 3);
  return load_model(dir, at::kFloat, at::Device(at::kCPU));
}

bool same_weights(const causal_lm& a, const causal_lm& b) {
  if (a.weights().size() != b.weights().size()) return false;
  for (size_t i = 0; i < a.weights().size(); ++i)
    if (a.weights()[i].first != b.weights()[i].first || !at::equal(a.weights()[i].second, b.weights()[i].second))
      return false;
  return true;
}

}  // namespace

CATCH_TEST_CASE("lm_trainer: same seed same weights and resume equals an uninterrupted run", "[train_pair]") {
  for (const std::string arch : {"opt", "llama"}) {
    CATCH_INFO(arch);
    test::temp_dir tmp("lm-trainer-" + arch);
    std::vector<int64_t> stream = cyclic_stream();
    lm_train_options o = tiny_options();
    o.steps = 8;

    auto a = init_model(arch, (tmp.path() / "a").string());
    lm_trainer ta(*a, o);
    for (int i = 0; i < 8; ++i) ta.train_step(stream);

    auto b = init_model(arch, (tmp.path() / "b").string());
    lm_trainer tb(*b, o);
    for (int i = 0; i < 8; ++i) tb.train_step(stream);
    CATCH_CHECK(same_weights(*a, *b));
    CATCH_CHECK(ta.losses() == tb.losses());

    // Stopped after 3 steps, then a fresh process (new model from the initial weights) resumes.
    auto c = init_model(arch, (tmp.path() / "c").string());
    {
      lm_trainer tc(*c, o);
      for (int i = 0; i < 3; ++i) tc.train_step(stream);
      tc.save((tmp.path() / "state").string());
    }
    auto d = init_model(arch, (tmp.path() / "d").string());
    lm_trainer td(*d, o);
    td.load((tmp.path() / "state").string());
    CATCH_CHECK(td.step() == 3);
    while (td.step() < 8) td.train_step(stream);
    CATCH_CHECK(same_weights(*a, *d));
    CATCH_CHECK(ta.losses() == td.losses());
  }
}

CATCH_TEST_CASE("lm_trainer: loss falls and the trained weights are what load_model reads back", "[train_pair]") {
  for (const std::string arch : {"opt", "llama"}) {
    CATCH_INFO(arch);
    test::temp_dir tmp("lm-trainer-loss-" + arch);
    auto m = init_model(arch, (tmp.path() / "init").string());
    lm_train_options o = tiny_options();
    o.steps = 100;
    lm_trainer t(*m, o);
    std::vector<int64_t> stream = cyclic_stream();
    while (t.step() < o.steps) t.train_step(stream);
    const auto& l = t.losses();
    CATCH_CHECK(l.front() > std::log(40.0) - 0.3);  // near uniform at N(0, 0.02) init
    CATCH_CHECK(l.back() < 0.5 * l.front());         // the cycle is learnt
    // The saved model.safetensors beside the initial config.json loads as the trained model.
    t.save((tmp.path() / "init").string());
    auto back = load_model((tmp.path() / "init").string(), at::kFloat, at::Device(at::kCPU));
    CATCH_CHECK(same_weights(*m, *back));
  }
}

CATCH_TEST_CASE("lm_trainer: refuses to train with grad mode off", "[train_pair]") {
  test::temp_dir tmp("lm-trainer-nograd");
  auto m = init_model("llama", (tmp.path() / "init").string());
  lm_trainer t(*m, tiny_options());
  c10::NoGradGuard no_grad;
  CATCH_CHECK_THROWS_WITH(t.train_step(cyclic_stream()), Catch::Contains("recorded no gradient"));
}

CATCH_TEST_CASE("lm_trainer: warm-up then cosine learning rate", "[train_pair]") {
  lm_train_options o;
  o.steps = 110;
  o.warmup = 10;
  o.lr = 1.0;
  o.min_lr = 0.1;
  CATCH_CHECK(lr_at(o, 0) == Approx(0.1));
  CATCH_CHECK(lr_at(o, 9) == Approx(1.0));
  CATCH_CHECK(lr_at(o, 10) == Approx(1.0));
  CATCH_CHECK(lr_at(o, 60) == Approx(0.55));  // half way: (1 + 0.1) / 2
  CATCH_CHECK(lr_at(o, 110) == Approx(0.1));
}

CATCH_TEST_CASE("unigram baseline: add-one frequencies on the protocol's targets", "[train_pair]") {
  // Training tokens 0,0,0,1 over a vocabulary of 3: p = (4, 2, 1) / 7.
  std::vector<double> lp = unigram_log_probs({0, 0, 0, 1}, 3);
  CATCH_CHECK(lp[0] == Approx(std::log(4.0 / 7)));
  CATCH_CHECK(lp[2] == Approx(std::log(1.0 / 7)));
  // nonoverlap windows of 3 over 7 tokens: windows [0,3) and [3,6), targets at positions 1,2 and 4,5.
  ppl_protocol p = parse_ppl_protocol("nonoverlap", 3, 0, std::nullopt);
  ppl_result r = unigram_perplexity(lp, {2, 0, 1, 2, 2, 0, 1}, p);
  CATCH_CHECK(r.tokens_scored == 4);
  double expected = -(std::log(4.0 / 7) + std::log(2.0 / 7) + std::log(1.0 / 7) + std::log(4.0 / 7)) / 4;
  CATCH_CHECK(r.mean_nll == Approx(expected));
  CATCH_CHECK(r.perplexity == Approx(std::exp(expected)));
  CATCH_CHECK_THROWS_WITH(unigram_log_probs({3}, 3), Catch::Contains("outside the vocabulary"));
}

}  // namespace harness
