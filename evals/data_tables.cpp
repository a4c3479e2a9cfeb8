// Readers for the data sets published as text blocks and CSV tables.
#include <algorithm>
#include <filesystem>
#include <map>

#include "evals/csv.h"
#include "evals/data.h"
#include "evals/data_lines.h"
#include "runtime/error.h"
#include "runtime/text_file.h"

namespace harness {

std::vector<mc_item> read_hellaswag_text(const std::string& path) {
  std::string text = read_text_file(path);
  std::vector<numbered_line> lines = split_lines(text);
  if (lines.size() % 6 != 0)
    fail("{}: {} lines is not a whole number of 6-line tasks (the last task starts at line {})", path, lines.size(),
         lines.size() / 6 * 6 + 1);
  std::vector<mc_item> items;
  for (size_t i = 0; i < lines.size(); i += 6) {
    mc_item item;
    item.where = fmt::format("{}:{}", path, lines[i].number);
    item.question = std::string(lines[i].text);
    std::string_view label = lines[i + 1].text;
    if (label.size() != 1 || label[0] < '0' || label[0] > '3')
      fail("{}:{}: label '{}' is not 0-3", path, lines[i + 1].number, label);
    item.gold = label[0] - '0';
    for (size_t k = 2; k < 6; ++k) {
      if (lines[i + k].text.empty()) fail("{}:{}: empty ending", path, lines[i + k].number);
      item.choices.emplace_back(lines[i + k].text);
    }
    items.push_back(std::move(item));
  }
  return items;
}

std::vector<mc_item> read_mmlu_csv(const std::string& path, const std::string& subject) {
  std::vector<mc_item> items;
  for (csv_record& r : parse_csv(read_text_file(path), path)) {
    std::string where = fmt::format("{}:{}", path, r.line);
    if (r.fields.size() != 6) fail("{}: {} fields, expected 6 (question, A, B, C, D, answer)", where, r.fields.size());
    const std::string& answer = r.fields[5];
    if (answer.size() != 1 || answer[0] < 'A' || answer[0] > 'D') fail("{}: answer '{}' is not A-D", where, answer);
    mc_item item;
    item.where = where;
    item.question = r.fields[0];
    item.choices.assign(r.fields.begin() + 1, r.fields.begin() + 5);
    item.gold = answer[0] - 'A';
    item.subject = subject;
    items.push_back(std::move(item));
  }
  return items;
}

std::vector<mc_item> read_mmlu_split(const std::string& dir, const std::string& split) {
  namespace fs = std::filesystem;
  fs::path folder = fs::path(dir) / split;
  if (!fs::is_directory(folder)) fail("{}: no such MMLU split folder", folder.string());
  std::string suffix = "_" + split + ".csv";
  std::map<std::string, std::string> files;  // subject -> path, sorted by subject
  for (const auto& entry : fs::directory_iterator(folder)) {
    std::string name = entry.path().filename().string();
    if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
      fail("{}: not named <subject>{}", entry.path().string(), suffix);
    files[name.substr(0, name.size() - suffix.size())] = entry.path().string();
  }
  if (files.empty()) fail("{}: no MMLU csv files", folder.string());
  std::vector<mc_item> items;
  for (const auto& [subject, path] : files) {
    std::vector<mc_item> part = read_mmlu_csv(path, subject);
    items.insert(items.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
  }
  return items;
}

std::vector<mc_item> read_gpqa_csv(const std::string& path) {
  std::vector<csv_record> records = parse_csv(read_text_file(path), path);
  if (records.empty()) fail("{}: empty file (expected a header row)", path);
  const std::vector<std::string>& header = records[0].fields;
  auto column = [&](const std::string& name) {
    auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) fail("{}:{}: the header has no column '{}'", path, records[0].line, name);
    return static_cast<size_t>(it - header.begin());
  };
  const size_t question = column("Question");
  const std::vector<size_t> answers = {column("Correct Answer"), column("Incorrect Answer 1"),
                                       column("Incorrect Answer 2"), column("Incorrect Answer 3")};
  std::vector<mc_item> items;
  for (size_t i = 1; i < records.size(); ++i) {
    std::string where = fmt::format("{}:{}", path, records[i].line);
    if (records[i].fields.size() != header.size())
      fail("{}: {} fields, the header has {}", where, records[i].fields.size(), header.size());
    mc_item item;
    item.where = where;
    item.question = records[i].fields[question];
    for (size_t a : answers) item.choices.push_back(records[i].fields[a]);
    item.gold = 0;
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace harness
