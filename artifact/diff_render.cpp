#include "artifact/diff_render.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace harness {
namespace {

std::optional<double> change_of(const metric_comparison& m) {
  if (!m.a || !m.b || m.a->kind == metric_kind::text || m.b->kind == metric_kind::text) return std::nullopt;
  return m.b->value - m.a->value;
}

std::optional<double> ratio_of(const metric_comparison& m) {
  if (!change_of(m) || m.a->value == 0) return std::nullopt;
  return m.b->value / m.a->value;
}

// `s` fit for one Markdown table cell: on one line, '|' escaped.
std::string escaped(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '\n' ? std::string("\\n") : c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

// A text value, quoted and cut at 40 characters.
std::string cell_text(std::string s) {
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return "\"" + s + "\"";
}

std::string cell(const std::optional<metric_leaf>& leaf) {
  if (!leaf) return "-";
  switch (leaf->kind) {
    case metric_kind::text: return cell_text(leaf->text);
    case metric_kind::statistic: return fmt::format("{:.6g} ± {:.2g}", leaf->value, leaf->std_error);
    case metric_kind::timing: return fmt::format("{:.4g} (median of {})", leaf->value, leaf->samples.size());
    case metric_kind::number: break;
  }
  return fmt::format("{:.6g}", leaf->value);
}

std::string key_title(const result_key& key) {
  return fmt::format("{} / {} / config {}", key.case_name, key.subject, key.config_hash.substr(0, 12));
}

std::string verdict_cell(const metric_comparison& m) {
  std::string v = m.verdict == verdict_kind::worse ? "**worse**" : verdict_name(m.verdict);
  return m.detail.empty() ? v : fmt::format("{} ({})", v, m.detail);
}

nlohmann::json leaf_json(const std::optional<metric_leaf>& leaf) {
  if (!leaf) return nullptr;
  switch (leaf->kind) {
    case metric_kind::text: return leaf->text;
    case metric_kind::statistic: return {{"value", leaf->value}, {"stderr", leaf->std_error}};
    case metric_kind::timing: return {{"median", leaf->value}, {"samples", leaf->samples.size()}};
    case metric_kind::number: break;
  }
  return leaf->value;
}

nlohmann::json optional_json(const std::optional<double>& x) { return x ? nlohmann::json(*x) : nlohmann::json(); }

nlohmann::json key_json(const result_key& key) {
  return {{"case", key.case_name}, {"subject", key.subject}, {"config_hash", key.config_hash}};
}

}  // namespace

std::map<std::string, size_t> diff_counts(const diff_report& report) {
  std::map<std::string, size_t> counts;
  for (const paired_result& p : report.paired) {
    if (!p.not_comparable.empty()) ++counts["not comparable"];
    for (const metric_comparison& m : p.metrics) ++counts[verdict_name(m.verdict)];
  }
  if (!report.only_a.empty()) counts["only in A"] += report.only_a.size();
  if (!report.only_b.empty()) counts["only in B"] += report.only_b.size();
  return counts;
}

std::string diff_markdown(const diff_report& report, bool only_changes) {
  std::string md = fmt::format("# harness diff\n\nA: {}\nB: {}\n\n", report.label_a, report.label_b);
  std::vector<std::string> counts;
  for (const auto& [name, n] : diff_counts(report)) counts.push_back(fmt::format("{} {}", n, name));
  md += fmt::format("Summary: {} paired results; {}.\n", report.paired.size(),
                    counts.empty() ? std::string("nothing to compare") : fmt::format("{}", fmt::join(counts, ", ")));
  for (const paired_result& p : report.paired) {
    md += fmt::format("\n## {}\n\nA: {} (runs: {})  \nB: {} (runs: {})\n\n", key_title(p.key), p.path_a, p.runs_a,
                      p.path_b, p.runs_b);
    if (!p.not_comparable.empty()) {
      md += "Not comparable:\n";
      for (const std::string& why : p.not_comparable) md += fmt::format("- {}\n", why);
      continue;
    }
    std::string rows;
    for (const metric_comparison& m : p.metrics) {
      if (only_changes && m.verdict == verdict_kind::same) continue;
      auto change = change_of(m), ratio = ratio_of(m);
      rows += fmt::format("| {} | {} | {} | {} | {} | {} |\n", escaped(m.path), escaped(cell(m.a)), escaped(cell(m.b)),
                          change ? fmt::format("{:+.3g}", *change) : "-", ratio ? fmt::format("{:.4g}", *ratio) : "-",
                          escaped(verdict_cell(m)));
    }
    md += rows.empty() ? std::string(p.metrics.empty() ? "No metrics.\n" : "Every metric the same.\n")
                       : "| metric | A | B | change | ratio | verdict |\n| --- | --- | --- | --- | --- | --- |\n" + rows;
  }
  for (const auto* side : {&report.only_a, &report.only_b}) {
    if (side->empty()) continue;
    md += fmt::format("\n## Only in {}\n\n", side == &report.only_a ? "A" : "B");
    for (const unpaired_result& u : *side) md += fmt::format("- {}: {} (runs: {})\n", key_title(u.key), u.path, u.runs);
  }
  return md;
}

nlohmann::json diff_json(const diff_report& report, bool only_changes) {
  nlohmann::json j = {{"a", report.label_a}, {"b", report.label_b}, {"alpha", report.alpha},
                      {"summary", diff_counts(report)}, {"paired", nlohmann::json::array()},
                      {"only_in_a", nlohmann::json::array()}, {"only_in_b", nlohmann::json::array()}};
  for (const paired_result& p : report.paired) {
    nlohmann::json pj = key_json(p.key);
    pj["a"] = {{"path", p.path_a}, {"runs", p.runs_a}};
    pj["b"] = {{"path", p.path_b}, {"runs", p.runs_b}};
    pj["not_comparable"] = p.not_comparable;
    pj["metrics"] = nlohmann::json::array();
    for (const metric_comparison& m : p.metrics) {
      if (only_changes && m.verdict == verdict_kind::same) continue;
      pj["metrics"].push_back({{"metric", m.path}, {"a", leaf_json(m.a)}, {"b", leaf_json(m.b)},
                               {"change", optional_json(change_of(m))}, {"ratio", optional_json(ratio_of(m))},
                               {"verdict", verdict_name(m.verdict)}, {"detail", m.detail}, {"p", optional_json(m.p)}});
    }
    j["paired"].push_back(pj);
  }
  for (const auto& [side, name] : {std::pair{&report.only_a, "only_in_a"}, std::pair{&report.only_b, "only_in_b"}})
    for (const unpaired_result& u : *side) {
      nlohmann::json uj = key_json(u.key);
      uj["path"] = u.path;
      uj["runs"] = u.runs;
      j[name].push_back(uj);
    }
  return j;
}

}  // namespace harness
