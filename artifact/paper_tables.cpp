// paper_tables.cpp: the tables of the registry (renderings.h), built from stored results: DejaVu
// predictor recall, perplexity under sparsity, and zero/few-shot accuracy.
#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "artifact/dejavu_metrics.h"
#include "artifact/renderings.h"

namespace harness {

namespace {

std::string percent(double fraction) { return fmt::format("{:.1f}", 100 * fraction); }

table_cell cell(const std::string& value, const std::string& stderr_text = "") { return {value, stderr_text}; }

void add_unique(std::vector<std::string>& list, const std::string& item) {
  if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(item);
}

std::vector<std::string> with_invalid_notes(std::vector<std::string> notes, const render_input& in) {
  for (const std::string& note : in.invalid_notes()) notes.push_back(note);
  return notes;
}

}  // namespace

table_doc recall_table(const render_input& in) {
  table_doc t;
  t.columns = {{"Model"}, {"Input"}, {"MLP recall", true}, {"MLP precision", true}, {"MLP top-k Jaccard", true},
               {"Heads recall", true}, {"Heads precision", true}};
  for (const stored_result* r : dejavu_results(in)) {
    result_field predictors = result_field(*r, in.user())["metrics"]["predictors"];
    std::vector<std::string> inputs;
    std::vector<std::pair<std::string, result_field>> mlp = predictors["mlp"].members(), heads;
    if (predictors.has("heads")) heads = predictors["heads"].members();
    for (const auto& list : {mlp, heads})
      for (const auto& [input, layers] : list) add_unique(inputs, input);
    for (const std::string& input : ordered_inputs(inputs)) {
      table_row row{{cell(r->subject()), cell(input)}, !r->valid()};
      for (const auto* list : {&mlp, &heads}) {
        const bool is_mlp = list == &mlp;
        auto it = std::find_if(list->begin(), list->end(), [&](const auto& m) { return m.first == input; });
        if (it == list->end()) {
          row.cells.insert(row.cells.end(), is_mlp ? 3 : 2, cell(""));
          continue;
        }
        row.cells.push_back(cell(percent(mean_over_layers(it->second, "recall"))));
        row.cells.push_back(cell(percent(mean_over_layers(it->second, "precision"))));
        if (is_mlp) {
          std::optional<double> jaccard = mean_topk_jaccard(it->second);
          row.cells.push_back(cell(jaccard ? percent(*jaccard) : ""));
        }
      }
      t.rows.push_back(row);
    }
  }
  t.notes = with_invalid_notes({"Each layer's predictor is scored on its held-out test rows; the table gives the mean over "
                                "layers. Input attn_in-k: the attention input k blocks earlier (look-ahead). MLP top-k "
                                "Jaccard: overlap of the layer's true top-k neurons by absolute activation (those that fire) "
                                "with as many picked by the predictor (k as in set stability; results before case v3 have "
                                "none)."},
                               in);
  return t;
}

table_doc sparse_ppl_table(const render_input& in) {
  std::vector<std::pair<const stored_result*, std::vector<sparse_level>>> results;
  std::vector<std::string> texts;
  std::set<std::string> protocols;
  for (const stored_result* r : dejavu_results(in)) {
    results.emplace_back(r, sparse_levels(result_field(*r, in.user())));
    for (const sparse_level& level : results.back().second)
      for (const auto& [text, p] : level.perplexity) {
        add_unique(texts, text);
        protocols.insert(p.protocol);
      }
  }
  table_doc t;
  t.columns = {{"Model"}, {"Masks"}, {"MLP sparsity (%)", true}, {"Head sparsity (%)", true}};
  for (const std::string& text : texts) t.columns.push_back({text, true});
  for (const auto& [r, levels] : results)
    for (const sparse_level& level : levels) {
      table_row row{{cell(r->subject()), cell(level.masks), cell(fmt::format("{:g}", 100 * level.mlp_sparsity)),
                     cell(fmt::format("{:g}", 100 * level.head_sparsity))},
                    !r->valid()};
      for (const std::string& text : texts) {
        auto it = level.perplexity.find(text);
        row.cells.push_back(it == level.perplexity.end()
                                ? cell("")
                                : cell(fmt::format("{:.2f}", it->second.perplexity), fmt::format("{:.2f}", it->second.stderr_)));
      }
      t.rows.push_back(row);
    }
  t.notes = with_invalid_notes({fmt::format("Perplexity under {}; \u00b1 is the perplexity times the standard error of the mean "
                                            "NLL (delta method). Sparsity: the fraction of MLP neurons or attention heads dropped.",
                                            fmt::join(protocols, ", "))},
                               in);
  return t;
}

table_doc zero_shot_table(const render_input& in) {
  struct entry {
    const stored_result* result;
    std::vector<std::pair<std::string, result_field>> tasks;
  };
  std::vector<entry> entries;
  std::vector<std::string> tasks;
  std::set<std::string> modes;
  for (const char* c : {"zero_shot", "few_shot"})
    for (const stored_result& r : in.results(c)) {
      result_field metrics = result_field(r, in.user())["metrics"];
      entries.push_back({&r, metrics["tasks"].members()});
      if (metrics.has("mode")) modes.insert(metrics["mode"].text());
      for (const auto& [task, m] : entries.back().tasks) add_unique(tasks, task);
    }
  std::stable_sort(entries.begin(), entries.end(), [](const entry& a, const entry& b) { return a.result->subject() < b.result->subject(); });
  std::sort(tasks.begin(), tasks.end());
  table_doc t;
  t.columns = {{"Model"}, {"Shots", true}};
  for (const std::string& task : tasks) t.columns.push_back({task, true});
  for (const entry& e : entries) {
    std::set<int64_t> shots;
    for (const auto& [task, m] : e.tasks) shots.insert(static_cast<int64_t>(m["shots"].number()));
    table_row row{{cell(e.result->subject()), cell(fmt::format("{}", fmt::join(shots, "/")))}, !e.result->valid()};
    for (const std::string& task : tasks) {
      auto it = std::find_if(e.tasks.begin(), e.tasks.end(), [&](const auto& m) { return m.first == task; });
      if (it == e.tasks.end()) {
        row.cells.push_back(cell(""));
      } else {
        result_field acc = it->second["acc"];
        row.cells.push_back(cell(percent(acc["value"].number()), percent(acc["stderr"].number())));
      }
    }
    t.rows.push_back(row);
  }
  t.notes = with_invalid_notes({fmt::format("Accuracy (acc) scored as in lm-evaluation-harness (mode: {}); \u00b1 is the "
                                            "standard error over documents.",
                                            modes.empty() ? std::string("lm-eval") : fmt::format("{}", fmt::join(modes, ", ")))},
                               in);
  return t;
}

}  // namespace harness
