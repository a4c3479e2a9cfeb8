// Perplexity protocols: which windows run and which tokens are scored (worked out by hand), the value
// on models whose answer is known, and the NLL against transformers' logits from the fixtures.
#include <catch2/catch.hpp>

#include <cmath>

#include "evals/perplexity.h"
#include "runtime/safetensors.h"
#include "tests/test_support.h"

namespace harness {
namespace {

// A fake model: logit `boost` for token (input + 1) % V at every position, 0 for the rest.
class next_token_model final : public causal_lm {
 public:
  next_token_model(int64_t vocab, double boost) : causal_lm(make_config(vocab), at::kFloat, at::Device(at::kCPU)), boost_(boost) {}
  forward_output forward(const forward_input& in, const forward_options&) override {
    int64_t v = config_.vocab_size;
    at::Tensor logits = at::zeros({in.input_ids.size(0), in.input_ids.size(1), v});
    logits.scatter_(2, ((in.input_ids + 1) % v).unsqueeze(-1), boost_);
    seen.push_back(in.input_ids.clone());
    return {logits, {}};
  }
  std::vector<at::Tensor> seen;

 private:
  static model_config make_config(int64_t vocab) {
    model_config c;
    c.vocab_size = vocab;
    return c;
  }
  double boost_;
};

std::vector<int64_t> counting(int64_t n, int64_t vocab) {
  std::vector<int64_t> ids;
  for (int64_t i = 0; i < n; ++i) ids.push_back(i % vocab);
  return ids;
}

}  // namespace

CATCH_TEST_CASE("perplexity: window plans of the three protocols", "[perplexity]") {
  auto nonoverlap = plan_windows(parse_ppl_protocol("nonoverlap", 4, 0, std::nullopt), 10);
  CATCH_REQUIRE(nonoverlap.size() == 2);  // tokens 8 and 9 are the dropped tail
  CATCH_CHECK(nonoverlap[1].start == 4);
  CATCH_CHECK(nonoverlap[1].first_target == 1);  // 3 targets per window

  // HF sliding, max_len 4, stride 2 over 10 tokens: windows [0,4) [2,6) [4,8) [6,10); every token but
  // the first is scored exactly once.
  auto sliding = plan_windows(parse_ppl_protocol("sliding", 4, 2, std::nullopt), 10);
  CATCH_REQUIRE(sliding.size() == 4);
  int64_t scored = 0;
  for (const auto& w : sliding) scored += w.length - w.first_target;
  CATCH_CHECK(scored == 9);
  CATCH_CHECK(sliding[1].start == 2);
  CATCH_CHECK(sliding[1].first_target == 2);  // window positions 2, 3 = stream tokens 4, 5

  // llama.cpp: n_ctx 8 over 20 tokens: 2 chunks, positions 5..7 scored (n_ctx/2 - 1 = 3 each).
  auto half = plan_windows(parse_ppl_protocol("halfwin", 8, 0, 1), 20);
  CATCH_REQUIRE(half.size() == 2);
  CATCH_CHECK(half[0].first_target == 5);

  CATCH_CHECK_THROWS_WITH(parse_ppl_protocol("rolling", 8, 0, std::nullopt), Catch::Contains("'rolling' is unknown"));
  CATCH_CHECK_THROWS_WITH(plan_windows(parse_ppl_protocol("nonoverlap", 16, 0, std::nullopt), 10),
                          Catch::Contains("too few"));
  CATCH_CHECK(parse_ppl_protocol("sliding", 2048, 512, std::nullopt).id() == "ppl.sliding@1{max_len=2048,stride=512}");
}

CATCH_TEST_CASE("perplexity: a uniform model has perplexity V under every protocol", "[perplexity]") {
  next_token_model uniform(50, 0.0);
  std::vector<int64_t> ids = counting(40, 50);
  for (const char* kind : {"nonoverlap", "sliding", "halfwin"}) {
    CATCH_INFO(kind);
    ppl_result r = evaluate_perplexity(uniform, ids, parse_ppl_protocol(kind, 8, 3, std::nullopt), 2, 0);
    CATCH_CHECK(std::abs(r.perplexity - 50.0) < 1e-4);  // float32 log-softmax
    CATCH_CHECK(r.nll_stderr < 1e-6);
  }
}

CATCH_TEST_CASE("perplexity: scored tokens and their NLL worked out by hand", "[perplexity]") {
  // The model puts logit b on the successor of each input token. In a counting stream every target is
  // the successor (NLL = log(e^b + V - 1) - b); breaking the count at one position makes that target
  // a non-successor (NLL = log(e^b + V - 1)).
  const int64_t v = 10;
  const double b = 3.0;
  double hit = std::log(std::exp(b) + v - 1) - b, miss = std::log(std::exp(b) + v - 1);
  std::vector<int64_t> ids = counting(12, v);
  ids[6] = 0;  // the target at stream position 6 is now a miss (and position 7's too: 0 -> 7 is not +1)

  next_token_model model(v, b);
  // nonoverlap seqlen 4: windows [0,4) [4,8) [8,12); targets at stream 1-3, 5-7, 9-11: two misses (6, 7).
  ppl_result r = evaluate_perplexity(model, ids, parse_ppl_protocol("nonoverlap", 4, 0, std::nullopt), 8, 0);
  CATCH_CHECK(r.tokens_scored == 9);
  CATCH_CHECK(std::abs(r.mean_nll - (7 * hit + 2 * miss) / 9) < 1e-6);
  CATCH_REQUIRE(r.window_mean_nll.size() == 3);
  CATCH_CHECK(std::abs(r.window_mean_nll[1] - (hit + 2 * miss) / 3) < 1e-6);

  // halfwin n_ctx 6 with BOS 9 written over each chunk's first token: chunks [0,6) [6,12), targets at
  // window positions 4, 5 = stream 4, 5 (hits) and 10, 11 (hits); the stream itself is not modified.
  next_token_model model2(v, b);
  r = evaluate_perplexity(model2, ids, parse_ppl_protocol("halfwin", 6, 0, 9), 1, 0);
  CATCH_CHECK(r.tokens_scored == 4);
  CATCH_CHECK(std::abs(r.mean_nll - hit) < 1e-6);
  CATCH_CHECK(model2.seen[1][0][0].item<int64_t>() == 9);
  CATCH_CHECK(ids[6] == 0);

  // --limit: only the first window.
  r = evaluate_perplexity(model, ids, parse_ppl_protocol("nonoverlap", 4, 0, std::nullopt), 1, 1);
  CATCH_CHECK(r.windows == 1);
  CATCH_CHECK(r.tokens_scored == 3);
}

CATCH_TEST_CASE("perplexity: NLL equals the log-softmax of transformers' logits from the fixture", "[perplexity]") {
  auto name = GENERATE(as<std::string>{}, "tiny-llama3", "tiny-opt");
  CATCH_INFO(name);
  safetensors_file ref((test::fixture_dir(name) / "reference.safetensors").string());
  at::Tensor ids = ref.view("input_ids")[0].clone();  // [24]
  at::Tensor logits = ref.view("logits")[0].clone();  // [24, V]
  at::Tensor expected = -at::log_softmax(logits.narrow(0, 0, 23).to(at::kDouble), -1)
                             .gather(-1, ids.narrow(0, 1, 23).unsqueeze(-1));  // [23, 1]
  auto model = load_model(test::fixture_dir(name).string(), at::kFloat, at::Device(at::kCPU));
  std::vector<int64_t> stream(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + 24);
  ppl_result r = evaluate_perplexity(*model, stream, parse_ppl_protocol("nonoverlap", 24, 0, std::nullopt), 1, 0);
  CATCH_CHECK(r.tokens_scored == 23);
  CATCH_CHECK(std::abs(r.mean_nll - expected.mean().item<double>()) < 1e-5);
}

}  // namespace harness
