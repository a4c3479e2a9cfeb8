#include "evals/tasks.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>

#include "evals/data.h"
#include "evals/python_random.h"
#include "runtime/error.h"

namespace harness {

namespace {

using kind = task_kind;

// Python's str.strip() for the ASCII whitespace the data sets hold.
std::string strip(const std::string& s) {
  const char* ws = " \t\n\r\f\v";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

// Python's str.replace(from, to): one left-to-right pass over the original text.
std::string replaced(const std::string& s, const std::string& from, const std::string& to) {
  std::string out;
  size_t start = 0;
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, start)) {
    out.append(s, start, p - start);
    out += to;
    start = p + from.size();
  }
  out.append(s, start);
  return out;
}

// lm-eval gpqa utils.preprocess: strip, " [title]" -> ". ", "  " -> " ".
std::string gpqa_preprocess(const std::string& text) {
  return replaced(replaced(strip(text), " [title]", ". "), "  ", " ");
}

std::string render(const task_spec& t, const mc_item& item) {
  auto choice = [&](size_t i) { return i < item.choices.size() ? item.choices[i] : std::string(); };
  return fmt::format(fmt::runtime(t.prompt), fmt::arg("passage", item.passage), fmt::arg("question", item.question),
                     fmt::arg("A", choice(0)), fmt::arg("B", choice(1)), fmt::arg("C", choice(2)), fmt::arg("D", choice(3)));
}

// The choice texts lm-eval scores (doc_to_choice) for an item.
std::vector<std::string> choice_texts(const task_spec& t, const mc_item& item) {
  if (t.choices.empty()) return item.choices;
  if (t.choices.size() != item.choices.size())
    fail("{}: {} choices, task {} has {}", item.where, item.choices.size(), t.name, t.choices.size());
  return t.choices;
}

std::string data_path(const std::string& dir, const std::string& file) {
  return (std::filesystem::path(dir) / file).string();
}

// Items of a multiple-choice task as the data set gives them, then in the form the prompt uses.
std::vector<mc_item> load_items(const task_spec& t, const std::string& dir) {
  const std::string& r = t.reader;
  std::string f0 = data_path(dir, t.files.at(0));
  if (r == "boolq_mosaic") return read_boolq_mosaic(f0);
  if (r == "mosaic_mc") return read_mosaic_mc(f0);
  if (r == "arc") return read_arc(f0);
  if (r == "piqa") return read_piqa(f0, data_path(dir, t.files.at(1)));
  if (r == "winogrande") return read_winogrande(f0, data_path(dir, t.files.at(1)));
  if (r == "rte") return read_rte(f0);
  if (r == "medmcqa") return read_medmcqa(f0);
  if (r == "gpqa" || r == "gpqa_n_shot") return read_gpqa_csv(f0);
  if (r == "mmlu") return read_mmlu_split(f0, "test");
  if (r == "hellaswag_text" || r == "hellaswag_jsonl") {
    std::vector<mc_item> items = r == "hellaswag_text" ? read_hellaswag_text(f0) : read_hellaswag_jsonl(f0);
    for (mc_item& item : items) {
      item.question = hellaswag_preprocess(item.question);
      for (std::string& c : item.choices) c = hellaswag_preprocess(c);
    }
    return items;
  }
  fail("task {}: unknown reader '{}'", t.name, r);
}

// The first `limit` items; with `per_subject` (MMLU, whose subjects are lm-eval subtasks) of each subject.
std::vector<mc_item> limited(std::vector<mc_item> items, int64_t limit, bool per_subject) {
  if (limit <= 0) return items;
  std::vector<mc_item> kept;
  std::map<std::string, int64_t> taken;
  for (mc_item& item : items)
    if (taken[per_subject ? item.subject : std::string()]++ < limit) kept.push_back(std::move(item));
  return kept;
}

// GPQA (lm-eval gpqa n_shot utils): choices [incorrect 1..3, correct], preprocessed (zero-shot: strip and
// the "[title]" rules; n_shot: strip only), shuffled by one random.Random(42) in file order; gold is
// where the correct answer lands.
void shuffle_gpqa(std::vector<mc_item>& items, std::string (*preprocess)(const std::string&)) {
  python_random rng(gpqa_shuffle_seed);
  for (mc_item& item : items) {
    std::vector<std::string> c = {preprocess(item.choices[1]), preprocess(item.choices[2]), preprocess(item.choices[3]),
                                  preprocess(item.choices[0])};
    std::string correct = c[3];
    rng.shuffle(c);
    item.gold = static_cast<int>(std::find(c.begin(), c.end(), correct) - c.begin());
    item.choices = std::move(c);
  }
}

// Few-shot prefix for an item: description, then `shots` examples "<prompt> <answer>\n\n". MMLU takes
// the first `shots` of its subject's dev split (lm-eval's first_n sampler). Every other task draws them
// as lm-eval's default sampler does when the few-shot split is the evaluated one: one
// random.Random(1234) for the task, sample(docs, shots + 1) per item in order, the item itself dropped.
class fewshot_source {
 public:
  fewshot_source(const task_spec& t, const std::string& dir, int shots, const std::vector<mc_item>& evaluated)
      : task_(t), shots_(shots), evaluated_(evaluated), rng_(fewshot_seed) {
    if (shots_ > 0 && !t.fewshot_files.empty()) {
      for (mc_item& item : read_mmlu_split(data_path(dir, t.fewshot_files), "dev")) {
        item.question = strip(item.question);
        pool_[item.subject].push_back(std::move(item));
      }
    }
  }

  std::string prefix(const mc_item& item) {
    std::string subject = item.subject;
    std::replace(subject.begin(), subject.end(), '_', ' ');
    std::string text = fmt::format(fmt::runtime(task_.description), fmt::arg("subject", subject));
    for (const mc_item* ex : examples(item)) text += render(task_, *ex) + " " + choice_texts(task_, *ex).at(ex->gold) + "\n\n";
    return text;
  }

 private:
  std::vector<const mc_item*> examples(const mc_item& item) {
    std::vector<const mc_item*> chosen;
    if (shots_ == 0) return chosen;
    if (!task_.fewshot_files.empty()) {
      auto it = pool_.find(item.subject);
      size_t have = it == pool_.end() ? 0 : it->second.size();
      if (have < static_cast<size_t>(shots_))
        fail("task {}: subject '{}' has {} few-shot examples, {} asked", task_.name, item.subject, have, shots_);
      for (int i = 0; i < shots_; ++i) chosen.push_back(&it->second[i]);
      return chosen;
    }
    size_t want = static_cast<size_t>(shots_) + 1;
    if (evaluated_.size() < want)
      fail("task {}: {} items cannot give {} few-shot examples besides the item itself", task_.name, evaluated_.size(), shots_);
    for (size_t i : rng_.sample_indices(evaluated_.size(), want)) {
      const mc_item& ex = evaluated_[i];
      bool same = ex.question == item.question && ex.passage == item.passage && ex.choices == item.choices && ex.gold == item.gold;
      if (!same && chosen.size() < static_cast<size_t>(shots_)) chosen.push_back(&ex);
    }
    return chosen;
  }

  const task_spec& task_;
  int shots_;
  const std::vector<mc_item>& evaluated_;  // the whole evaluated split (before --limit), as lm-eval samples it
  python_random rng_;
  std::map<std::string, std::vector<mc_item>> pool_;
};

std::vector<task_doc> build_last_word_docs(const task_spec& t, const std::string& dir, int64_t limit) {
  std::vector<last_word_item> items = read_lambada_mosaic(data_path(dir, t.files.at(0)));
  if (limit > 0 && static_cast<int64_t>(items.size()) > limit) items.resize(limit);
  std::vector<task_doc> docs;
  for (const last_word_item& item : items)
    docs.push_back({item.where, {{item.context, " " + item.target}}, {item.target}, 0, ""});
  return docs;
}

// WinoGrande (lm-eval preprocess_winogrande): the contexts are the sentence up to "_" with each
// option, the shared continuation the stripped rest of the sentence.
task_doc partial_doc(const mc_item& item) {
  size_t blank = item.question.find('_');
  std::string rest = " ";
  rest += strip(item.question.substr(blank + 1));
  task_doc doc{item.where, {}, {}, item.gold, ""};
  for (const std::string& option : item.choices) {
    doc.choices.push_back(item.question.substr(0, blank) + option);
    doc.requests.push_back({doc.choices.back(), rest});
  }
  return doc;
}

}  // namespace

std::string hellaswag_preprocess(const std::string& text) {
  std::string s = replaced(strip(text), " [title]", ". ");
  s = std::regex_replace(s, std::regex("\\[.*?\\]"), "");
  return replaced(s, "  ", " ");
}

const std::vector<task_spec>& all_tasks() {
  static const std::vector<task_spec> tasks = {
      {"boolq", "boolq", "2.0", kind::multiple_choice, "boolq_mosaic", {"boolq/boolq.mosaicml.jsonl"},
       "{passage}\nQuestion: {question}?\nAnswer:", {"no", "yes"}, "", {"acc"}, 0, ""},
      {"winogrande", "winogrande", "1.0", kind::partial, "winogrande", {"winogrande/dev.jsonl", "winogrande/dev-labels.lst"},
       "", {}, "", {"acc"}, 0, ""},
      {"rte", "sglue_rte", "0.0", kind::multiple_choice, "rte", {"rte/val.jsonl"},
       "{passage}\nQuestion: {question} True or False?\nAnswer:", {"True", "False"}, "", {"acc"}, 0, ""},
      {"arc_easy", "arc_easy", "1.0", kind::multiple_choice, "arc", {"arc/ARC-Easy-Test.jsonl"},
       "Question: {question}\nAnswer:", {}, "", {"acc", "acc_norm"}, 0, ""},
      {"arc_challenge", "arc_challenge", "1.0", kind::multiple_choice, "arc", {"arc/ARC-Challenge-Test.jsonl"},
       "Question: {question}\nAnswer:", {}, "", {"acc", "acc_norm"}, 0, ""},
      {"hellaswag", "hellaswag", "1.0", kind::multiple_choice, "hellaswag_text", {"hellaswag/hellaswag_val_full.txt"},
       "{question}", {}, "", {"acc", "acc_norm"}, 0, ""},
      {"hellaswag_rowanz", "hellaswag", "1.0", kind::multiple_choice, "hellaswag_jsonl", {"hellaswag/hellaswag_val.jsonl"},
       "{question}", {}, "", {"acc", "acc_norm"}, 0, ""},
      {"openbookqa", "openbookqa", "1.0", kind::multiple_choice, "mosaic_mc", {"openbookqa/openbook_qa.mosaicml.jsonl"},
       "{question}", {}, "", {"acc", "acc_norm"}, 0, ""},
      {"piqa", "piqa", "1.0", kind::multiple_choice, "piqa", {"piqa/dev.jsonl", "piqa/dev-labels.lst"},
       "Question: {question}\nAnswer:", {}, "", {"acc", "acc_norm"}, 0, ""},
      {"lambada_openai", "lambada_openai", "1.0", kind::last_word, "lambada_mosaic", {"lambada/lambada_openai.mosaicml.jsonl"},
       "", {}, "", {"perplexity", "acc"}, 0, ""},
      {"mmlu", "mmlu", "1.0 (group 2)", kind::multiple_choice, "mmlu", {"mmlu"},
       "{question}\nA. {A}\nB. {B}\nC. {C}\nD. {D}\nAnswer:", {"A", "B", "C", "D"},
       "The following are multiple choice questions (with answers) about {subject}.\n\n", {"acc"}, 5, "mmlu"},
      {"medmcqa", "medmcqa", "unversioned", kind::multiple_choice, "medmcqa", {"medmcqa/dev.json"},
       "Question: {question}\nChoices:\nA. {A}\nB. {B}\nC. {C}\nD. {D}\nAnswer:", {"A", "B", "C", "D"}, "",
       {"acc", "acc_norm"}, 0, ""},
      {"gpqa_diamond", "gpqa_diamond_zeroshot (choice order of gpqa n_shot: random.Random(42))", "2.2",
       kind::multiple_choice, "gpqa", {"gpqa/gpqa_diamond.csv"},
       "What is the correct answer to this question:{question}\nChoices:\n(A) {A}\n(B) {B}\n(C) {C}\n(D) {D}\nAnswer:",
       {"(A)", "(B)", "(C)", "(D)"}, "", {"acc", "acc_norm"}, 0, ""},
      {"gpqa_diamond_n_shot", "gpqa_diamond_n_shot", "1.0", kind::multiple_choice, "gpqa_n_shot", {"gpqa/gpqa_diamond.csv"},
       "Question: {question}\nChoices:\n(A) {A}\n(B) {B}\n(C) {C}\n(D) {D}\nAnswer:", {"(A)", "(B)", "(C)", "(D)"},
       "Here are some example questions from experts. Answer the final question yourself, following the format of the "
       "previous questions exactly.\n",
       {"acc", "acc_norm"}, 0, ""},
  };
  return tasks;
}

const task_spec& find_task(std::string_view name) {
  std::string known;
  for (const task_spec& t : all_tasks()) {
    if (t.name == name) return t;
    known += (known.empty() ? "" : ", ") + t.name;
  }
  fail("unknown task '{}' (known: {})", name, known);
}

std::vector<std::string> zero_shot_suite() {
  return {"boolq", "winogrande", "rte", "arc_easy", "arc_challenge", "hellaswag", "openbookqa", "piqa", "lambada_openai"};
}

std::vector<std::string> few_shot_suite() { return {"mmlu", "gpqa_diamond_n_shot", "medmcqa"}; }

bool shuffles_choices(const task_spec& t) { return t.reader == "gpqa" || t.reader == "gpqa_n_shot"; }

std::vector<task_doc> build_task_docs(const task_spec& t, const std::string& dir, int shots, int64_t limit) {
  if (shots < 0) shots = t.default_shots;
  if (t.kind == kind::last_word) {
    if (shots > 0) fail("task {} is zero-shot only here; use --shots 0", t.name);
    return build_last_word_docs(t, dir, limit);
  }
  if (t.kind == kind::partial && shots > 0) fail("task {} is zero-shot only here; use --shots 0", t.name);
  std::vector<mc_item> all = load_items(t, dir);
  if (shuffles_choices(t)) shuffle_gpqa(all, t.reader == "gpqa" ? gpqa_preprocess : strip);
  if (t.reader == "mmlu")
    for (mc_item& item : all) item.question = strip(item.question);
  std::vector<mc_item> items = limited(all, limit, t.reader == "mmlu");
  fewshot_source fewshot(t, dir, shots, all);
  std::vector<task_doc> docs;
  for (const mc_item& item : items) {
    if (t.kind == kind::partial) {
      docs.push_back(partial_doc(item));
      continue;
    }
    task_doc doc{item.where, {}, choice_texts(t, item), item.gold, item.subject};
    std::string context = fewshot.prefix(item) + render(t, item);
    for (const std::string& choice : doc.choices) doc.requests.push_back({context, " " + choice});
    docs.push_back(std::move(doc));
  }
  return docs;
}

std::string fewshot_sampler_description(const task_spec& t) {
  if (!t.fewshot_files.empty()) return fmt::format("first_n: the first examples of the item's subject in {}/dev", t.fewshot_files);
  return fmt::format("lm-eval's default sampler: random.Random({}).sample of the evaluated split, the item itself "
                     "dropped (lm-eval draws from the training split instead where the task has one)", fewshot_seed);
}

std::vector<std::string> task_input_files(const task_spec& spec, const std::string& data_dir, int shots) {
  namespace fs = std::filesystem;
  std::vector<fs::path> given;
  for (const std::string& f : spec.files) given.push_back(spec.reader == "mmlu" ? fs::path(data_dir) / f / "test" : fs::path(data_dir) / f);
  if (!spec.fewshot_files.empty() && shots > 0) given.push_back(fs::path(data_dir) / spec.fewshot_files / "dev");
  std::vector<std::string> files;
  for (const fs::path& p : given) {
    if (!fs::is_directory(p)) {
      files.push_back(p.lexically_normal().string());
      continue;
    }
    std::vector<std::string> inside;
    for (const auto& entry : fs::directory_iterator(p)) inside.push_back(entry.path().string());
    std::sort(inside.begin(), inside.end());
    files.insert(files.end(), inside.begin(), inside.end());
  }
  return files;
}

}  // namespace harness
