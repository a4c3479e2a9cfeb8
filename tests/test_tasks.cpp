// Tasks and their scoring: prompts built from the shipped slices exactly as lm-evaluation-harness
// builds them, metrics on hand-made scores worked out here, and the log-likelihood of a continuation
// against the log-softmax of transformers' logits from ../shared/fixtures.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "artifact/process.h"
#include "evals/loglikelihood.h"
#include "evals/python_random.h"
#include "evals/task_eval.h"
#include "evals/task_metrics.h"
#include "evals/tasks.h"
#include "runtime/safetensors.h"
#include "tests/test_support.h"

namespace harness {
namespace {

std::string shipped() { return (test::project_dir() / "data" / "eval").string(); }
std::string tinystories() { return (test::project_dir() / "data" / "models" / "tinystories-656k").string(); }

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// A fake model: logit `boost` for token (input + 1) % V at every position, 0 for the rest; it records
// every batch it is given.
class next_token_model final : public causal_lm {
 public:
  next_token_model(int64_t vocab, double boost, int64_t max_positions)
      : causal_lm(make_config(vocab, max_positions), at::kFloat, at::Device(at::kCPU)), boost_(boost) {}
  forward_output forward(const forward_input& in, const forward_options&) override {
    int64_t v = config_.vocab_size;
    at::Tensor logits = at::zeros({in.input_ids.size(0), in.input_ids.size(1), v});  // [B, T, V]
    logits.scatter_(2, ((in.input_ids + 1) % v).unsqueeze(-1), boost_);
    seen.push_back(in.input_ids.clone());
    return {logits, {}};
  }
  std::vector<at::Tensor> seen;

 private:
  static model_config make_config(int64_t vocab, int64_t max_positions) {
    model_config c;
    c.vocab_size = vocab;
    c.max_position_embeddings = max_positions;
    return c;
  }
  double boost_;
};

// Sum over positions p in [from, to) of log_softmax(logits[p])[ids[p + 1]], in double.
double fixture_logprob(const at::Tensor& logits, const at::Tensor& ids, int64_t from, int64_t to) {
  at::Tensor lp = at::log_softmax(logits.narrow(0, from, to - from).to(at::kDouble), -1);  // [n, V]
  return lp.gather(1, ids.narrow(0, from + 1, to - from).unsqueeze(1)).sum().item<double>();
}

scoring_options batch_of(int64_t batch, bool share_prefixes = true) {
  scoring_options o;
  o.batch = batch;
  o.share_prefixes = share_prefixes;
  return o;
}

std::vector<int64_t> slice(const at::Tensor& ids, int64_t from, int64_t to) {
  at::Tensor s = ids.narrow(0, from, to - from).contiguous();
  return std::vector<int64_t>(s.data_ptr<int64_t>(), s.data_ptr<int64_t>() + s.numel());
}

}  // namespace

CATCH_TEST_CASE("tasks: lm-eval prompts from the shipped slices", "[tasks]") {
  auto boolq = build_task_docs(find_task("boolq"), shipped(), -1, 0);
  CATCH_REQUIRE(boolq.size() == 50);
  CATCH_CHECK(ends_with(boolq[0].requests[0].context, "\nQuestion: does ethanol take more energy make that produces?\nAnswer:"));
  CATCH_CHECK(boolq[0].requests[0].context.rfind("All biomass goes through", 0) == 0);
  CATCH_CHECK(boolq[0].requests[0].continuation == " no");
  CATCH_CHECK(boolq[0].requests[1].continuation == " yes");

  auto rte = build_task_docs(find_task("rte"), shipped(), -1, 2);
  CATCH_REQUIRE(rte.size() == 2);  // --limit 2
  CATCH_CHECK(rte[0].requests[1].context ==
              "Dana Reeve, the widow of the actor Christopher Reeve, has died of lung cancer at age 44, according to the "
              "Christopher Reeve Foundation.\nQuestion: Christopher Reeve had an accident. True or False?\nAnswer:");
  CATCH_CHECK(rte[0].requests[1].continuation == " False");
  CATCH_CHECK(rte[0].gold == 1);

  auto wino = build_task_docs(find_task("winogrande"), shipped(), -1, 1);
  CATCH_REQUIRE(wino[0].requests.size() == 2);
  CATCH_CHECK(wino[0].requests[0].context == "Sarah was a much better surgeon than Maria so Sarah");
  CATCH_CHECK(wino[0].requests[1].context == "Sarah was a much better surgeon than Maria so Maria");
  CATCH_CHECK(wino[0].requests[1].continuation == " always got the easier cases.");

  auto arc = build_task_docs(find_task("arc_easy"), shipped(), -1, 1);
  CATCH_CHECK(arc[0].requests[0].context ==
              "Question: Which statement best explains why photosynthesis is the foundation of most food webs?\nAnswer:");
  CATCH_CHECK(arc[0].choices[0] == "Sunlight is the source of energy for nearly all ecosystems.");

  auto obqa = build_task_docs(find_task("openbookqa"), shipped(), -1, 2);
  CATCH_CHECK(obqa[1].requests[0].context == "There is most likely going to be fog around:");
  CATCH_CHECK(obqa[1].requests[0].continuation == " a marsh");

  auto lambada = build_task_docs(find_task("lambada_openai"), shipped(), -1, 0);
  CATCH_REQUIRE(lambada.size() == 50);
  CATCH_CHECK(lambada[0].requests[0].continuation == " signs");
  CATCH_CHECK(ends_with(lambada[0].requests[0].context, "I don't care about"));

  auto hella = build_task_docs(find_task("hellaswag"), shipped(), -1, 0);
  CATCH_REQUIRE(hella.size() == 50);
  CATCH_CHECK(hella[0].requests[3].context == "Roof shingle removal: A man is sitting on a roof. he");
  CATCH_CHECK(hella[0].requests[3].continuation == " starts pulling up roofing on a roof.");

  auto med = build_task_docs(find_task("medmcqa"), shipped(), -1, 1);
  CATCH_CHECK(med[0].requests[2].context ==
              "Question: Which of the following is not true for myelinated nerve fibers:\nChoices:\n"
              "A. Impulse through myelinated fibers is slower than non-myelinated fibers\n"
              "B. Membrane currents are generated at nodes of Ranvier\nC. Saltatory conduction of impulses is seen\n"
              "D. Local anesthesia is effective only when the nerve is not covered by myelin sheath\nAnswer:");
  CATCH_CHECK(med[0].requests[2].continuation == " C");
  CATCH_CHECK(build_task_docs(find_task("medmcqa"), shipped(), -1, 3).size() == 3);  // not 3 per MedMCQA subject
  CATCH_CHECK(med[0].choices == std::vector<std::string>{"A", "B", "C", "D"});
}

CATCH_TEST_CASE("tasks: MMLU 5-shot from the dev split with the subject's description", "[tasks]") {
  auto docs = build_task_docs(find_task("mmlu"), shipped(), -1, 2);
  CATCH_REQUIRE(docs.size() == 6);  // --limit 2 per subject, 3 subjects shipped
  const std::string& ctx = docs[0].requests[0].context;
  CATCH_CHECK(ctx.rfind("The following are multiple choice questions (with answers) about abstract algebra.\n\n"
                        "Find all c in Z_3 such that Z_3[x]/(x^2 + c) is a field.\nA. 0\nB. 1\nC. 2\nD. 3\nAnswer: B\n\n",
                        0) == 0);
  CATCH_CHECK(ends_with(ctx, "\n\nFind the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q.\n"
                             "A. 0\nB. 4\nC. 2\nD. 6\nAnswer:"));
  size_t answers = 0;
  for (size_t p = ctx.find("\nAnswer: "); p != std::string::npos; p = ctx.find("\nAnswer: ", p + 1)) ++answers;
  CATCH_CHECK(answers == 5);
  CATCH_CHECK(docs[0].gold == 1);
  CATCH_CHECK(docs[0].requests[3].continuation == " D");
  CATCH_CHECK(docs[2].subject == "anatomy");
  CATCH_CHECK(docs[2].requests[0].context.rfind("The following are multiple choice questions (with answers) about anatomy.\n\n", 0) == 0);
  CATCH_CHECK(docs[4].requests[0].context.find("about high school biology.") != std::string::npos);

  auto zero = build_task_docs(find_task("mmlu"), shipped(), 0, 1);
  CATCH_CHECK(zero[0].requests[0].context.rfind("The following are multiple choice questions (with answers) about abstract "
                                                "algebra.\n\nFind the degree", 0) == 0);
  CATCH_CHECK_THROWS_WITH(build_task_docs(find_task("mmlu"), shipped(), 6, 1), Catch::Contains("has 5 few-shot examples, 6 asked"));
  CATCH_CHECK_THROWS_WITH(build_task_docs(find_task("winogrande"), shipped(), 1, 1), Catch::Contains("zero-shot only"));
  CATCH_CHECK_THROWS_WITH(find_task("mnli"), Catch::Contains("unknown task 'mnli'"));
}

namespace {

// A GPQA CSV of two items in dir/gpqa/gpqa_diamond.csv.
void write_two_gpqa_items(const test::temp_dir& dir) {
  std::filesystem::create_directories(dir.path() / "gpqa");
  std::ofstream(dir.path() / "gpqa" / "gpqa_diamond.csv")
      << "Question,Correct Answer,Incorrect Answer 1,Incorrect Answer 2,Incorrect Answer 3\n"
         "What is 2+2?,\" 4  apples \",5,3,22\n"
         "Pick c.,c,i1,i2,i3\n";
}

}  // namespace

CATCH_TEST_CASE("tasks: GPQA choices shuffled as random.Random(42) shuffles them", "[tasks]") {
  test::temp_dir dir("gpqa-task");
  write_two_gpqa_items(dir);
  auto docs = build_task_docs(find_task("gpqa_diamond"), dir.path().string(), -1, 0);
  CATCH_REQUIRE(docs.size() == 2);
  // Python: r = random.Random(42); for each row x = [i1, i2, i3, correct]; r.shuffle(x)
  // gives [i3, i2, c, i1] and then [c, i3, i1, i2]. " 4  apples " is preprocessed to "4 apples".
  CATCH_CHECK(docs[0].requests[0].context ==
              "What is the correct answer to this question:What is 2+2?\nChoices:\n(A) 22\n(B) 3\n(C) 4 apples\n(D) 5\nAnswer:");
  CATCH_CHECK(docs[0].gold == 2);
  CATCH_CHECK(docs[0].requests[2].continuation == " (C)");
  CATCH_CHECK(docs[1].gold == 0);
  CATCH_CHECK(ends_with(docs[1].requests[0].context, "(A) c\n(B) i3\n(C) i1\n(D) i2\nAnswer:"));
}

CATCH_TEST_CASE("tasks: GPQA n_shot prompt with its description and examples from the other items", "[tasks]") {
  test::temp_dir dir("gpqa-n-shot");
  write_two_gpqa_items(dir);
  const task_spec& spec = find_task("gpqa_diamond_n_shot");
  CATCH_CHECK(shuffles_choices(spec));
  CATCH_CHECK(!shuffles_choices(find_task("mmlu")));
  // The same random.Random(42) order as the zero-shot variant; n_shot's preprocess only strips.
  const std::string description =
      "Here are some example questions from experts. Answer the final question yourself, following the format of the "
      "previous questions exactly.\n";
  const std::string first = "Question: What is 2+2?\nChoices:\n(A) 22\n(B) 3\n(C) 4  apples\n(D) 5\nAnswer:";
  const std::string second = "Question: Pick c.\nChoices:\n(A) c\n(B) i3\n(C) i1\n(D) i2\nAnswer:";
  auto zero = build_task_docs(spec, dir.path().string(), -1, 0);  // lm-eval's default: no examples
  CATCH_REQUIRE(zero.size() == 2);
  CATCH_CHECK(zero[0].requests[0].context == description + first);
  CATCH_CHECK(zero[0].gold == 2);
  CATCH_CHECK(zero[0].requests[3].continuation == " (D)");
  // One shot from two items: sample(docs, 2) draws both, the item itself is dropped, the other is the example.
  auto one = build_task_docs(spec, dir.path().string(), 1, 0);
  CATCH_CHECK(one[0].requests[0].context == description + second + " (A)\n\n" + first);
  CATCH_CHECK(one[1].requests[0].context == description + first + " (C)\n\n" + second);
  CATCH_CHECK_THROWS_WITH(build_task_docs(spec, dir.path().string(), 2, 0), Catch::Contains("cannot give 2 few-shot examples"));
}

CATCH_TEST_CASE("tasks: HellaSwag from rowanz's jsonl as lm-eval builds it", "[tasks]") {
  test::temp_dir dir("hellaswag-jsonl");
  std::filesystem::create_directories(dir.path() / "hellaswag");
  std::ofstream(dir.path() / "hellaswag" / "hellaswag_val.jsonl")
      << "{\"activity_label\": \"Roof shingle removal\", \"ctx_a\": \"A man is sitting on a roof.\", \"ctx_b\": \"THE man\", "
         "\"endings\": [\"is using wrap [title] x.\", \"b\", \"c\", \"d\"], \"label\": 3}\n"
         "{\"activity_label\": \"Family Life\", \"ctx_a\": \"How to x. [title] Do y.\", \"ctx_b\": \"\", "
         "\"endings\": [\"a\", \"b\", \"c\", \"d\"], \"label\": \"0\"}\n";
  auto docs = build_task_docs(find_task("hellaswag_rowanz"), dir.path().string(), -1, 0);
  CATCH_REQUIRE(docs.size() == 2);
  // Python: preprocess(activity_label + ": " + ctx_a + " " + ctx_b.capitalize()); "THE man" -> "The man".
  CATCH_CHECK(docs[0].requests[0].context == "Roof shingle removal: A man is sitting on a roof. The man");
  CATCH_CHECK(docs[0].requests[0].continuation == " is using wrap. x.");
  CATCH_CHECK(docs[0].gold == 3);
  CATCH_CHECK(docs[1].requests[0].context == "Family Life: How to x.. Do y.");
  CATCH_CHECK(docs[1].gold == 0);
}

CATCH_TEST_CASE("tasks: HellaSwag preprocessing as lm-eval's", "[tasks]") {
  // Python: preprocess(" A man [title] Does it.  [step] Yes [header] ") == "A man. Does it.  Yes "
  CATCH_CHECK(hellaswag_preprocess(" A man [title] Does it.  [step] Yes [header] ") == "A man. Does it.  Yes ");
  CATCH_CHECK(hellaswag_preprocess("Visit [www.kiddio.org] now") == "Visit now");
}

CATCH_TEST_CASE("task metrics: mean, standard error, acc and acc_norm worked out by hand", "[tasks]") {
  // {1, 0, 1, 1}: mean 0.75, sample variance (3 * 0.0625 + 0.5625) / 3 = 0.25, se = 0.5 / 2.
  mean_se m = mean_with_stderr({1, 0, 1, 1});
  CATCH_CHECK(m.mean == 0.75);
  CATCH_CHECK(std::abs(m.se - 0.25) < 1e-12);
  CATCH_CHECK(mean_with_stderr({0.5}).se == 0);
  CATCH_CHECK(utf8_length("h\xc3\xa9llo") == 5);  // "héllo": 6 bytes, 5 characters
  CATCH_CHECK(argmax_first({1, 3, 3}) == 1);
  // -2 for "a" beats -3 for "abcdef"; per character -2 loses to -0.5.
  choice_outcome o = score_choices({-2, -3}, {"a", "abcdef"}, 1);
  CATCH_CHECK(o.pred == 0);
  CATCH_CHECK(o.pred_norm == 1);
  CATCH_CHECK(o.acc == 0);
  CATCH_CHECK(o.acc_norm == 1);
}

CATCH_TEST_CASE("task metrics: lm-eval and DejaVu aggregation of hand-made scores", "[tasks]") {
  const task_spec& arc = find_task("arc_easy");
  std::vector<task_doc> docs = {{"d0", {{"c", " a"}, {"c", " abcdef"}}, {"a", "abcdef"}, 1, ""},
                                {"d1", {{"c", " xx"}, {"c", " yy"}}, {"xx", "yy"}, 0, ""}};
  // d0: -2 over 1 token and -3 over 3 tokens; d1: -1 and -5, one token each.
  std::vector<ll_score> scores = {{-2, 1, false}, {-3, 3, false}, {-1, 1, true}, {-5, 1, false}};
  task_result lm = aggregate_task(arc, docs, scores, scoring_mode::lm_eval);
  // acc {0, 1}: 0.5 +/- sqrt(0.5) / sqrt(2) = 0.5; acc_norm {1 (-0.5 > -2), 1}.
  CATCH_CHECK(lm.metrics.at("acc").mean == 0.5);
  CATCH_CHECK(std::abs(lm.metrics.at("acc").se - 0.5) < 1e-12);
  CATCH_CHECK(lm.metrics.at("acc_norm").mean == 1.0);
  CATCH_CHECK(lm.requests == 4);
  // DejaVu: d0 compares means per token, -2 against -1, so choice 1 wins: acc {1, 1}.
  task_result dv = aggregate_task(arc, docs, scores, scoring_mode::dejavu);
  CATCH_CHECK(dv.metrics.at("acc").mean == 1.0);
  CATCH_CHECK(dv.docs[0].pred == 1);

  // LAMBADA: log-likelihoods -1 (greedy) and -3: acc 0.5, perplexity exp(2), its se exp(2) * 1.
  const task_spec& lambada = find_task("lambada_openai");
  std::vector<task_doc> passages = {{"p0", {{"c", " w"}}, {"w"}, 0, ""}, {"p1", {{"c", " v"}}, {"v"}, 0, ""}};
  task_result lr = aggregate_task(lambada, passages, {{-1, 1, true}, {-3, 2, false}}, scoring_mode::lm_eval);
  CATCH_CHECK(lr.metrics.at("acc").mean == 0.5);
  CATCH_CHECK(std::abs(lr.metrics.at("perplexity").mean - std::exp(2.0)) < 1e-12);
  CATCH_CHECK(std::abs(lr.metrics.at("perplexity").se - std::exp(2.0)) < 1e-12);

  // MMLU: acc over all questions (micro average) and per subject.
  const task_spec& mmlu = find_task("mmlu");
  std::vector<std::string> abcd = {"A", "B", "C", "D"};
  std::vector<ll_request> four(4, ll_request{"q", " A"});
  std::vector<task_doc> questions = {{"q0", four, abcd, 0, "x"}, {"q1", four, abcd, 1, "x"}, {"q2", four, abcd, 0, "y"}};
  std::vector<ll_score> s;
  for (int q = 0; q < 3; ++q)
    for (int c = 0; c < 4; ++c) s.push_back({c == 0 ? -1.0 : -2.0, 1, false});  // choice A always wins
  task_result mr = aggregate_task(mmlu, questions, s, scoring_mode::lm_eval);
  CATCH_CHECK(std::abs(mr.metrics.at("acc").mean - 2.0 / 3.0) < 1e-12);
  CATCH_CHECK(mr.acc_by_subject.at("x").mean == 0.5);
  CATCH_CHECK(mr.acc_by_subject.at("y").mean == 1.0);
}

CATCH_TEST_CASE("loglikelihood: encoding splits at the context's token length", "[tasks]") {
  tokenizer tok = load_tokenizer(tinystories());
  ll_request r{"The sun was hot, so Ben and his sister went to the lake to swim.", " They saw a big green frog on a rock!"};
  token_request t = encode_request(tok, r, true);
  std::vector<int32_t> ctx = tok.encode(r.context, true), whole = tok.encode(r.context + r.continuation, true);
  // This tokenizer puts spaces at the end of tokens: ".▁They▁" straddles the boundary, so the
  // context's own tokens are not a prefix of the whole text's.
  CATCH_CHECK(t.context == std::vector<int64_t>(ctx.begin(), ctx.end()));
  CATCH_CHECK(t.continuation == std::vector<int64_t>(whole.begin() + static_cast<std::ptrdiff_t>(ctx.size()), whole.end()));
  CATCH_CHECK(t.context.back() != whole[ctx.size() - 1]);
  CATCH_CHECK(t.context[0] == 1);  // BOS
  CATCH_CHECK(encode_request(tok, r, false).context[0] != 1);
  // Trailing whitespace of the context moves to the continuation.
  token_request moved = encode_request(tok, {"The sun was hot. ", "Ben"}, false);
  token_request same = encode_request(tok, {"The sun was hot.", " Ben"}, false);
  CATCH_CHECK(moved.context == same.context);
  CATCH_CHECK(moved.continuation == same.continuation);
  CATCH_CHECK_THROWS_WITH(encode_request(tok, {"  ", "x"}, false), Catch::Contains("context is empty"));
  CATCH_CHECK(!t.continuation_alone);
  // "He sat on the ground" is fewer tokens than "He sat on the" ("on▁the▁ground" is one token):
  // the continuation is then tokenised on its own, and the request says so.
  token_request merged = encode_request(tok, {"He sat on the", " ground"}, true);
  CATCH_CHECK(tok.encode("He sat on the ground", true).size() < tok.encode("He sat on the", true).size());
  CATCH_CHECK(merged.continuation_alone);
  std::vector<int32_t> ground = tok.encode(" ground", false);
  CATCH_CHECK(merged.continuation == std::vector<int64_t>(ground.begin(), ground.end()));
}

CATCH_TEST_CASE("loglikelihood: with GPT-2's BPE the answer is its own token after the context", "[tasks]") {
  // Byte-level BPE starts a token at the space, so the context's tokens are a prefix of the whole text's
  // and " yes" is the single token "\u0120yes".
  tokenizer tok = load_tokenizer((test::shared_dir() / "data" / "tokenizers" / "gpt2").string());
  token_request t = encode_request(tok, {"Question: is the sky blue?\nAnswer:", " yes"}, false);
  std::vector<int32_t> ctx = tok.encode("Question: is the sky blue?\nAnswer:", false);
  CATCH_CHECK(t.context == std::vector<int64_t>(ctx.begin(), ctx.end()));
  CATCH_REQUIRE(t.continuation.size() == 1);
  CATCH_CHECK(t.continuation[0] == *tok.token_to_id("\u0120yes"));
  CATCH_CHECK(!t.continuation_alone);
}

CATCH_TEST_CASE("loglikelihood: continuation log-likelihood equals the fixture's log-softmax", "[tasks]") {
  // tinystories-656k with its tokenizer: the reference sentence is BOS + context + continuation, split
  // where the context's own tokens are a prefix of the sentence's (Hugging Face tokenizers agrees).
  safetensors_file ref((test::fixture_dir("tinystories-656k") / "reference.safetensors").string());
  at::Tensor ids = ref.view("input_ids_1").clone();  // [26]
  at::Tensor logits = ref.view("logits_1").clone();  // [26, 2048]
  tokenizer tok = load_tokenizer(tinystories());
  auto model = load_model(tinystories(), at::kFloat, at::Device(at::kCPU));
  token_request t = encode_request(
      tok, {"The sun was hot, so Ben and his sister went to the lake to swim", ". They saw a big green frog on a rock!"}, true);
  std::vector<int64_t> all = t.context;
  all.insert(all.end(), t.continuation.begin(), t.continuation.end());
  CATCH_REQUIRE(all == slice(ids, 0, 26));
  int64_t k = static_cast<int64_t>(t.context.size());
  CATCH_CHECK(k == 19);
  double expected = fixture_logprob(logits, ids, k - 1, 25);
  bool greedy = logits.narrow(0, k - 1, 26 - k).argmax(-1).equal(ids.narrow(0, k, 26 - k));

  // A shorter request (context = first 9 ids, continuation the next 6) and one sharing the long
  // request's row (same input, another last token), scored together in batches of 2 with right padding.
  token_request shorter{slice(ids, 0, 9), slice(ids, 9, 15)};
  token_request sibling = t;
  sibling.continuation.back() = (sibling.continuation.back() + 1) % 2048;
  std::vector<ll_score> s = score_requests(*model, {t, shorter, sibling}, batch_of(2)).scores;
  CATCH_CHECK(std::abs(s[0].logprob - expected) < 1e-3);
  CATCH_CHECK(s[0].tokens == 26 - k);
  CATCH_CHECK(s[0].greedy == greedy);
  CATCH_CHECK(std::abs(s[1].logprob - fixture_logprob(logits, ids, 8, 14)) < 1e-3);
  double sibling_expected = fixture_logprob(logits, ids, k - 1, 24) +
                            at::log_softmax(logits[24].to(at::kDouble), -1)[sibling.continuation.back()].item<double>();
  CATCH_CHECK(std::abs(s[2].logprob - sibling_expected) < 1e-3);
  // The same scores one request at a time.
  std::vector<ll_score> alone = score_requests(*model, {t, shorter, sibling}, batch_of(1)).scores;
  for (size_t i = 0; i < 3; ++i) CATCH_CHECK(std::abs(alone[i].logprob - s[i].logprob) < 1e-5);
}

CATCH_TEST_CASE("loglikelihood: right padding in a batch on OPT against the fixture", "[tasks]") {
  safetensors_file ref((test::fixture_dir("tiny-opt") / "reference.safetensors").string());
  at::Tensor ids = ref.view("input_ids").clone();  // [2, 24]
  at::Tensor logits = ref.view("logits").clone();  // [2, 24, 512]
  auto model = load_model(test::fixture_dir("tiny-opt").string(), at::kFloat, at::Device(at::kCPU));
  // Row 0: 8 context ids, 16 continuation ids (input 23 long); row 1: 3 + 9 (input 11 long, padded to 23).
  std::vector<ll_score> s =
      score_requests(*model, {{slice(ids[0], 0, 8), slice(ids[0], 8, 24)}, {slice(ids[1], 0, 3), slice(ids[1], 3, 12)}}, batch_of(2))
          .scores;
  CATCH_CHECK(std::abs(s[0].logprob - fixture_logprob(logits[0], ids[0], 7, 23)) < 1e-3);
  CATCH_CHECK(std::abs(s[1].logprob - fixture_logprob(logits[1], ids[1], 2, 11)) < 1e-3);
}

CATCH_TEST_CASE("loglikelihood: a shared context runs once and its cache is continued with each choice", "[tasks]") {
  // Three multi-token continuations of one context: two are the fixture's own text (scores known from
  // its logits), the third changes one token; and another document sharing the context's head. Shared
  // or not, the scores agree with each other and with the fixture, on Llama (RoPE positions after the
  // cache) and OPT (learned positions after the cache), in batches of 2.
  for (const char* name : {"tinystories-656k", "tiny-opt"}) {
    CATCH_INFO(name);
    safetensors_file ref((test::fixture_dir(name) / "reference.safetensors").string());
    bool llama = std::string(name) == "tinystories-656k";
    at::Tensor ids = ref.view(llama ? "input_ids_1" : "input_ids").clone();
    at::Tensor logits = ref.view(llama ? "logits_1" : "logits").clone();
    if (!llama) {
      ids = ids[0];        // [24]
      logits = logits[0];  // [24, V]
    }
    auto model = load_model(llama ? tinystories() : test::fixture_dir(name).string(), at::kFloat, at::Device(at::kCPU));
    std::vector<int64_t> context = slice(ids, 0, 9);
    token_request changed{context, slice(ids, 9, 13)};
    changed.continuation[2] = (changed.continuation[2] + 1) % model->config().vocab_size;
    // Another document whose 11-token context shares only the first 8 tokens.
    token_request other{slice(ids, 0, 11), slice(ids, 11, 14)};
    other.context[8] = (other.context[8] + 1) % model->config().vocab_size;
    std::vector<token_request> requests = {{context, slice(ids, 9, 15)}, {context, slice(ids, 9, 20)}, changed, other};

    scored_requests shared = score_requests(*model, requests, batch_of(2));  // the other document runs alone
    scoring_options long_head = batch_of(2);
    long_head.min_shared_prefix = 8;  // the other document joins: 8 tokens run once for all four rows
    scored_requests head = score_requests(*model, requests, long_head);
    scored_requests whole = score_requests(*model, requests, batch_of(2, false));
    CATCH_CHECK(shared.rows == 4);
    CATCH_CHECK(shared.shared_prefixes == 1);
    CATCH_CHECK(head.shared_prefixes == 1);
    CATCH_CHECK(whole.shared_prefixes == 0);
    CATCH_CHECK(std::abs(shared.scores[0].logprob - fixture_logprob(logits, ids, 8, 14)) < 1e-3);
    CATCH_CHECK(std::abs(shared.scores[1].logprob - fixture_logprob(logits, ids, 8, 19)) < 1e-3);
    for (const scored_requests* run : {&shared, &head}) {
      for (size_t i = 0; i < requests.size(); ++i) {
        CATCH_CHECK(std::abs(run->scores[i].logprob - whole.scores[i].logprob) < 1e-4);
        CATCH_CHECK(run->scores[i].greedy == whole.scores[i].greedy);
        CATCH_CHECK(run->scores[i].tokens == whole.scores[i].tokens);
      }
    }
  }
}

CATCH_TEST_CASE("loglikelihood: what a shared context feeds the model", "[tasks]") {
  const int64_t v = 10;
  const double b = 3.0, hit = b - std::log(std::exp(b) + v - 1);
  next_token_model model(v, b, 0);
  // Context 1 2 with continuations 3 4 and 5 6: the context runs once, then the tails 3 and 5 together.
  scored_requests s = score_requests(model, {{{1, 2}, {3, 4}}, {{1, 2}, {5, 6}}}, batch_of(8));
  CATCH_REQUIRE(model.seen.size() == 2);
  CATCH_CHECK(model.seen[0].equal(at::tensor(std::vector<int64_t>{1, 2}, at::kLong).unsqueeze(0)));
  CATCH_CHECK(model.seen[1].equal(at::tensor(std::vector<int64_t>{3, 5}, at::kLong).unsqueeze(1)));
  CATCH_CHECK(std::abs(s.scores[0].logprob - 2 * hit) < 1e-5);
  CATCH_CHECK(s.scores[0].greedy);
  CATCH_CHECK(std::abs(s.scores[1].logprob - (2 * hit - b)) < 1e-5);  // 5 does not follow 2; 6 follows 5
  CATCH_CHECK(!s.scores[1].greedy);
  CATCH_CHECK(s.shared_prefixes == 1);

  // Two documents whose contexts 1 2 3 and 1 2 7 share a head of 2 tokens: shared only when the
  // threshold allows so short a head; then 1 2 runs once and 3, 7 continue it.
  next_token_model apart(v, b, 0), together(v, b, 0);
  std::vector<token_request> docs = {{{1, 2, 3}, {4}}, {{1, 2, 7}, {8}}};
  CATCH_CHECK(score_requests(apart, docs, batch_of(8)).shared_prefixes == 0);
  CATCH_REQUIRE(apart.seen.size() == 1);  // one batch of two whole rows
  scoring_options short_head = batch_of(8);
  short_head.min_shared_prefix = 2;
  s = score_requests(together, docs, short_head);
  CATCH_REQUIRE(together.seen.size() == 2);
  CATCH_CHECK(together.seen[0].equal(at::tensor(std::vector<int64_t>{1, 2}, at::kLong).unsqueeze(0)));
  CATCH_CHECK(together.seen[1].equal(at::tensor(std::vector<int64_t>{3, 7}, at::kLong).unsqueeze(1)));
  CATCH_CHECK(std::abs(s.scores[0].logprob - hit) < 1e-5);
  CATCH_CHECK(std::abs(s.scores[1].logprob - hit) < 1e-5);
}

CATCH_TEST_CASE("loglikelihood: the plan counts the forward passes scoring runs", "[tasks]") {
  // Rows: 1 2 3 4 5 (request 0), 1 2 3 4 (requests 1 and 3: one row) and 9 8 7 6 (request 2). The first
  // two share their whole 4-token context; the third shares nothing and runs whole.
  std::vector<token_request> requests = {{{1, 2, 3, 4}, {5, 6}}, {{1, 2, 3, 4}, {7}}, {{9, 8}, {7, 6, 5}}, {{1, 2, 3, 4}, {7}}};
  struct expected {
    int64_t batch;
    bool share;
    double positions, keys, logit_positions;
    int64_t forwards;
  };
  // Shared: the prefix (4 positions, 1 + 2 + 3 + 4 keys, one logit row), the tails 0 and 1 token long
  // padded to 1 (2 positions, each attending 4 cached keys and itself), then 9 8 7 6 whole (4 positions).
  // Whole rows, longest first: one padded batch of 3 x 5, or 2 x 5 and then 1 x 4.
  for (const expected& e : {expected{8, true, 4 + 2 + 4, 10 + 2 * 5 + 10, 1 + 2 + 4, 3}, expected{8, false, 15, 45, 15, 1},
                            expected{2, false, 14, 40, 14, 2}}) {
    CATCH_INFO("batch " << e.batch << " shared " << e.share);
    next_token_model model(10, 3.0, 0);
    scored_requests scored = score_requests(model, requests, batch_of(e.batch, e.share));
    scoring_plan plan = plan_scoring(requests, 0, batch_of(e.batch, e.share));
    scoring_work w = plan_work(plan, e.batch);
    CATCH_CHECK(plan.rows.size() == 3);
    CATCH_CHECK(static_cast<int64_t>(plan.groups.size()) == scored.shared_prefixes);
    CATCH_CHECK(w.positions == e.positions);
    CATCH_CHECK(w.keys == e.keys);
    CATCH_CHECK(w.logit_positions == e.logit_positions);
    CATCH_CHECK(w.forwards == e.forwards);
    // What the model was fed: as many passes, and as many positions, as the plan counts.
    CATCH_CHECK(static_cast<int64_t>(model.seen.size()) == w.forwards);
    double fed = 0;
    for (const at::Tensor& input : model.seen) fed += static_cast<double>(input.numel());
    CATCH_CHECK(fed == w.positions);
  }
}

CATCH_TEST_CASE("loglikelihood: left truncation to the model's positions and shared rows", "[tasks]") {
  const int64_t v = 10;
  const double b = 3.0, hit = b - std::log(std::exp(b) + v - 1);
  next_token_model model(v, b, 4);
  // Context 1..5, continuation 6 7: the input 1..6 is cut to its last 4 tokens, 3 4 5 6.
  std::vector<ll_score> s = score_requests(model, {{{1, 2, 3, 4, 5}, {6, 7}}}, batch_of(1)).scores;
  CATCH_REQUIRE(model.seen.size() == 1);
  CATCH_CHECK(model.seen[0].equal(at::tensor(std::vector<int64_t>{3, 4, 5, 6}, at::kLong).unsqueeze(0)));
  CATCH_CHECK(std::abs(s[0].logprob - 2 * hit) < 1e-5);
  CATCH_CHECK(s[0].greedy);
  // Two one-token answers after the same context share one row: one forward of one row.
  next_token_model shared(v, b, 0);
  s = score_requests(shared, {{{1, 2}, {3}}, {{1, 2}, {5}}}, batch_of(8)).scores;
  CATCH_REQUIRE(shared.seen.size() == 1);
  CATCH_CHECK(shared.seen[0].size(0) == 1);
  CATCH_CHECK(std::abs(s[0].logprob - hit) < 1e-5);
  CATCH_CHECK(std::abs(s[1].logprob - (hit - b)) < 1e-5);  // token 5 is not the successor of 2: logit 0
  CATCH_CHECK(!s[1].greedy);
  CATCH_CHECK_THROWS_WITH(score_requests(model, {{{1}, {2, 3, 4, 5, 6}}}, batch_of(1)), Catch::Contains("exceed the model's 4 positions"));
}

namespace {

// Lines of numbers printed by tests/oracle/lm_eval_fewshot.py.
std::vector<std::vector<size_t>> oracle_indices(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {HARNESS_PYTHON, (test::project_dir() / "tests/oracle/lm_eval_fewshot.py").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::istringstream out(run_checked(argv));
  std::vector<std::vector<size_t>> lines;
  for (std::string line; std::getline(out, line);) {
    std::istringstream words(line);
    lines.emplace_back(std::istream_iterator<size_t>(words), std::istream_iterator<size_t>());
  }
  return lines;
}

}  // namespace

CATCH_TEST_CASE("python_random: sample picks what CPython's random.sample picks", "[tasks]") {
  // Small populations take CPython's pool path, larger ones its set path (k <= 5: n > 21).
  for (auto [n, k] : {std::pair<size_t, size_t>{10, 4}, {50, 4}, {200, 6}, {30, 30}}) {
    python_random r(1234);
    for (const std::vector<size_t>& expected : oracle_indices({"sample", "1234", std::to_string(n), std::to_string(k), "5"}))
      CATCH_CHECK(r.sample_indices(n, k) == expected);
  }
  CATCH_CHECK_THROWS_WITH(python_random(1).sample_indices(3, 4), Catch::Contains("sample of 4 from a population of 3"));
}

CATCH_TEST_CASE("tasks: few-shot examples drawn as lm-eval's default sampler draws them", "[tasks]") {
  // ARC-Easy's shipped 50 items: each of the first 6 gets 3 examples from the other 49, in lm-eval's draw order.
  auto zero = build_task_docs(find_task("arc_easy"), shipped(), 0, 0);
  CATCH_REQUIRE(zero.size() == 50);
  auto docs = build_task_docs(find_task("arc_easy"), shipped(), 3, 6);
  CATCH_REQUIRE(docs.size() == 6);
  std::vector<std::vector<size_t>> picks = oracle_indices({"fewshot", "1234", "50", "3", "6"});
  CATCH_REQUIRE(picks.size() == 6);
  for (size_t d = 0; d < 6; ++d) {
    std::string expected;
    for (size_t j : picks[d]) expected += zero[j].requests[0].context + " " + zero[j].choices[zero[j].gold] + "\n\n";
    expected += zero[d].requests[0].context;
    CATCH_CHECK(docs[d].requests[0].context == expected);
    CATCH_CHECK(docs[d].requests[0].continuation == zero[d].requests[0].continuation);
  }
  CATCH_CHECK_THROWS_WITH(build_task_docs(find_task("arc_easy"), shipped(), 50, 1), Catch::Contains("cannot give 50 few-shot"));
}

}  // namespace harness
