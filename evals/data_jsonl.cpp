// Readers for the data sets published as JSON lines (one object per line).
#include <cctype>
#include <functional>

#include <nlohmann/json.hpp>

#include "evals/data.h"
#include "evals/data_lines.h"
#include "runtime/error.h"
#include "runtime/text_file.h"

namespace harness {

namespace {

using nlohmann::json;

// Calls `row(where, object)` for every line of a jsonl file; an empty line or one that is not a JSON
// object is an error naming the file and line. Errors thrown by `row` get the same prefix.
void for_each_json_line(const std::string& path, const std::function<void(const std::string&, const json&)>& row) {
  std::string text = read_text_file(path);
  for (const numbered_line& line : split_lines(text)) {
    std::string where = fmt::format("{}:{}", path, line.number);
    if (line.text.find_first_not_of(" \t") == std::string_view::npos) fail("{}: empty line", where);
    json object;
    try {
      object = json::parse(line.text);
    } catch (const json::exception& e) {
      fail("{}: not valid JSON ({})", where, e.what());
    }
    if (!object.is_object()) fail("{}: expected a JSON object", where);
    row(where, object);
  }
}

const json& field(const std::string& where, const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end()) fail("{}: missing field '{}'", where, name);
  return *it;
}

std::string string_field(const std::string& where, const json& object, const char* name) {
  const json& v = field(where, object, name);
  if (!v.is_string()) fail("{}: field '{}' is not a string", where, name);
  return v.get<std::string>();
}

int64_t int_field(const std::string& where, const json& object, const char* name) {
  const json& v = field(where, object, name);
  if (!v.is_number_integer()) fail("{}: field '{}' is not an integer", where, name);
  return v.get<int64_t>();
}

std::vector<std::string> string_list_field(const std::string& where, const json& object, const char* name) {
  const json& v = field(where, object, name);
  if (!v.is_array() || v.empty()) fail("{}: field '{}' is not a non-empty list", where, name);
  std::vector<std::string> out;
  for (const json& s : v) {
    if (!s.is_string()) fail("{}: field '{}' holds a non-string", where, name);
    out.push_back(s.get<std::string>());
  }
  return out;
}

int checked_gold(const std::string& where, int64_t gold, size_t choices) {
  if (gold < 0 || gold >= static_cast<int64_t>(choices))
    fail("{}: gold answer {} is outside the {} choices", where, gold, choices);
  return static_cast<int>(gold);
}

// One label per line (e.g. "0"/"1"), for PIQA and WinoGrande label files.
std::vector<std::pair<std::string, std::string>> read_labels(const std::string& path) {
  std::string text = read_text_file(path);
  std::vector<std::pair<std::string, std::string>> labels;  // (where, label)
  for (const numbered_line& line : split_lines(text)) {
    std::string where = fmt::format("{}:{}", path, line.number);
    if (line.text.empty()) fail("{}: empty line", where);
    labels.emplace_back(where, std::string(line.text));
  }
  return labels;
}

}  // namespace

std::vector<std::string> read_text_jsonl(const std::string& path) {
  std::vector<std::string> texts;
  for_each_json_line(path, [&](const std::string& where, const json& o) { texts.push_back(string_field(where, o, "text")); });
  return texts;
}

std::vector<mc_item> read_mosaic_mc(const std::string& path) {
  std::vector<mc_item> items;
  for_each_json_line(path, [&](const std::string& where, const json& o) {
    mc_item item;
    item.where = where;
    item.question = string_field(where, o, "query");
    item.choices = string_list_field(where, o, "choices");
    item.gold = checked_gold(where, int_field(where, o, "gold"), item.choices.size());
    items.push_back(std::move(item));
  });
  return items;
}

std::vector<mc_item> read_boolq_mosaic(const std::string& path) {
  std::vector<mc_item> items = read_mosaic_mc(path);
  const std::string passage_tag = "Passage: ", question_tag = "\nQuestion: ";
  for (mc_item& item : items) {
    const std::string& query = item.question;
    size_t q = query.rfind(question_tag);  // the last one: a passage may quote "Question: " itself
    if (query.rfind(passage_tag, 0) != 0 || q == std::string::npos || query.back() != '?')
      fail("{}: query is not \"Passage: ...\\nQuestion: ...?\"", item.where);
    if (item.choices != std::vector<std::string>{"no", "yes"}) fail("{}: choices are not [no, yes]", item.where);
    item.passage = query.substr(passage_tag.size(), q - passage_tag.size());
    item.question = query.substr(q + question_tag.size(), query.size() - q - question_tag.size() - 1);
  }
  return items;
}

std::vector<last_word_item> read_lambada_mosaic(const std::string& path) {
  std::vector<last_word_item> items;
  for_each_json_line(path, [&](const std::string& where, const json& o) {
    last_word_item item{where, string_field(where, o, "context"), string_field(where, o, "continuation")};
    if (item.target.empty() || item.target.find(' ') != std::string::npos)
      fail("{}: continuation '{}' is not one word", where, item.target);
    if (item.context.empty() || item.context.back() == ' ') fail("{}: context is empty or ends in a space", where);
    items.push_back(std::move(item));
  });
  return items;
}

std::vector<mc_item> read_arc(const std::string& path) {
  std::vector<mc_item> items;
  for_each_json_line(path, [&](const std::string& where, const json& o) {
    const json& q = field(where, o, "question");
    if (!q.is_object()) fail("{}: field 'question' is not an object", where);
    mc_item item;
    item.where = where;
    item.question = string_field(where, q, "stem");
    const json& choices = field(where, q, "choices");
    if (!choices.is_array() || choices.empty()) fail("{}: field 'choices' is not a non-empty list", where);
    std::string key = string_field(where, o, "answerKey");
    item.gold = -1;
    for (const json& c : choices) {
      if (!c.is_object()) fail("{}: a choice is not an object", where);
      if (string_field(where, c, "label") == key) item.gold = static_cast<int>(item.choices.size());
      item.choices.push_back(string_field(where, c, "text"));
    }
    if (item.gold < 0) fail("{}: answerKey '{}' names no choice", where, key);
    items.push_back(std::move(item));
  });
  return items;
}

std::vector<mc_item> read_piqa(const std::string& path, const std::string& labels_path) {
  std::vector<mc_item> items;
  for_each_json_line(path, [&](const std::string& where, const json& o) {
    items.push_back({where, "", string_field(where, o, "goal"), {string_field(where, o, "sol1"), string_field(where, o, "sol2")}, 0, ""});
  });
  auto labels = read_labels(labels_path);
  if (labels.size() != items.size())
    fail("{}: {} labels for the {} rows of {}", labels_path, labels.size(), items.size(), path);
  for (size_t i = 0; i < items.size(); ++i) {
    if (labels[i].second != "0" && labels[i].second != "1") fail("{}: label '{}' is not 0 or 1", labels[i].first, labels[i].second);
    items[i].gold = labels[i].second == "1";
  }
  return items;
}

std::vector<mc_item> read_winogrande(const std::string& path, const std::string& labels_path) {
  std::vector<mc_item> items;
  for_each_json_line(path, [&](const std::string& where, const json& o) {
    mc_item item{where, "", string_field(where, o, "sentence"), {string_field(where, o, "option1"), string_field(where, o, "option2")}, 0, ""};
    size_t blank = item.question.find('_');
    if (blank == std::string::npos || item.question.find('_', blank + 1) != std::string::npos)
      fail("{}: the sentence must hold exactly one '_'", where);
    std::string answer = string_field(where, o, "answer");
    if (answer != "1" && answer != "2") fail("{}: answer '{}' is not \"1\" or \"2\"", where, answer);
    item.gold = answer == "2";
    items.push_back(std::move(item));
  });
  if (!labels_path.empty()) {
    auto labels = read_labels(labels_path);
    if (labels.size() != items.size())
      fail("{}: {} labels for the {} rows of {}", labels_path, labels.size(), items.size(), path);
    for (size_t i = 0; i < items.size(); ++i)
      if (labels[i].second != (items[i].gold ? "2" : "1"))
        fail("{}: label '{}' disagrees with the answer of {}", labels[i].first, labels[i].second, items[i].where);
  }
  return items;
}

std::vector<mc_item> read_rte(const std::string& path) {
  std::vector<mc_item> items;
  for_each_json_line(path, [&](const std::string& where, const json& o) {
    mc_item item{where, string_field(where, o, "premise"), string_field(where, o, "hypothesis"), {"entailment", "not_entailment"}, 0, ""};
    std::string label = string_field(where, o, "label");
    if (label != "entailment" && label != "not_entailment")
      fail("{}: label '{}' is not entailment or not_entailment", where, label);
    item.gold = label == "not_entailment";
    items.push_back(std::move(item));
  });
  return items;
}

std::vector<mc_item> read_hellaswag_jsonl(const std::string& path) {
  std::vector<mc_item> items;
  for_each_json_line(path, [&](const std::string& where, const json& o) {
    std::string ctx_b = string_field(where, o, "ctx_b");
    for (size_t i = 0; i < ctx_b.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(ctx_b[i]);
      ctx_b[i] = static_cast<char>(i == 0 ? std::toupper(c) : std::tolower(c));
    }
    mc_item item;
    item.where = where;
    item.question = string_field(where, o, "activity_label") + ": " + string_field(where, o, "ctx_a") + " " + ctx_b;
    item.choices = string_list_field(where, o, "endings");
    if (item.choices.size() != 4) fail("{}: {} endings, expected 4", where, item.choices.size());
    const json& label = field(where, o, "label");
    int64_t gold = -1;
    if (label.is_number_integer()) gold = label.get<int64_t>();
    if (label.is_string() && label.get<std::string>().size() == 1) gold = label.get<std::string>()[0] - '0';
    item.gold = checked_gold(where, gold, item.choices.size());
    items.push_back(std::move(item));
  });
  return items;
}

std::vector<mc_item> read_medmcqa(const std::string& path) {
  std::vector<mc_item> items;
  for_each_json_line(path, [&](const std::string& where, const json& o) {
    mc_item item;
    item.where = where;
    item.question = string_field(where, o, "question");
    for (const char* name : {"opa", "opb", "opc", "opd"}) item.choices.push_back(string_field(where, o, name));
    int64_t cop = int_field(where, o, "cop");
    if (cop < 1 || cop > 4) fail("{}: cop {} is not 1..4", where, cop);
    item.gold = static_cast<int>(cop - 1);
    const json& subject = field(where, o, "subject_name");
    if (subject.is_string()) item.subject = subject.get<std::string>();
    items.push_back(std::move(item));
  });
  return items;
}

}  // namespace harness
