// data.h: readers for the evaluation data sets in the layouts they are published in (see
// ../shared/data/SOURCES.md and data/eval/*/SOURCE.md). Each returns plain records; the tasks
// (evals/tasks.h) turn them into prompts. Every record remembers "file:line" for messages.
// Malformed input is a harness_error naming the file and the line; nothing is skipped.
#pragma once
#include <string>
#include <vector>

namespace harness {

// A multiple-choice item as its data set gives it.
struct mc_item {
  std::string where;                 // "file:line"
  std::string passage;               // BoolQ passage, RTE premise; empty for the others
  std::string question;              // question, PIQA goal, WinoGrande sentence (with its "_"),
                                     // HellaSwag "activity_label: ctx", RTE hypothesis
  std::vector<std::string> choices;  // in the data's order (BoolQ: no, yes; RTE: entailment,
                                     // not_entailment; GPQA: correct answer first, then the 3 incorrect)
  int gold = 0;                      // index into choices
  std::string subject;               // MMLU subject (from the file name); MedMCQA subject_name
};

// LAMBADA: a passage split before its last word.
struct last_word_item {
  std::string where;
  std::string context;  // the passage without its last word (no trailing space)
  std::string target;   // the last word (no leading space)
};

// C4 sample (jsonl, one {"text": ...} per line): the texts.
std::vector<std::string> read_text_jsonl(const std::string& path);

// MosaicML multiple-choice jsonl: {"query", "choices", "gold"} (OpenBookQA). query -> question.
std::vector<mc_item> read_mosaic_mc(const std::string& path);
// MosaicML BoolQ: query "Passage: <passage>\nQuestion: <question>?", choices [no, yes], gold. The
// question is returned without the "?" (as in SuperGLUE, whose prompt adds it back).
std::vector<mc_item> read_boolq_mosaic(const std::string& path);
// MosaicML LAMBADA: {"context", "continuation"}.
std::vector<last_word_item> read_lambada_mosaic(const std::string& path);
// AI2 ARC jsonl: {"question": {"stem", "choices": [{"text", "label"}]}, "answerKey"}.
std::vector<mc_item> read_arc(const std::string& path);
// PIQA: jsonl {"goal", "sol1", "sol2"} and a labels file with one 0/1 per line.
std::vector<mc_item> read_piqa(const std::string& path, const std::string& labels_path);
// WinoGrande: jsonl {"sentence", "option1", "option2", "answer": "1"|"2"}; when labels_path is
// not empty its lines must agree with "answer".
std::vector<mc_item> read_winogrande(const std::string& path, const std::string& labels_path);
// SuperGLUE RTE jsonl: {"premise", "hypothesis", "label": "entailment"|"not_entailment"}.
std::vector<mc_item> read_rte(const std::string& path);
// MedMCQA jsonl: {"question", "opa".."opd", "cop": 1..4, "subject_name"}; gold = cop - 1.
std::vector<mc_item> read_medmcqa(const std::string& path);

// HellaSwag as rowanz/hellaswag publishes it (hellaswag_val.jsonl): {"activity_label", "ctx_a",
// "ctx_b", "endings", "label"}. question = activity_label + ": " + ctx_a + " " + ctx_b with its first
// letter upper-cased and the rest lower-cased (Python's str.capitalize(), for ASCII letters), as lm-eval.
std::vector<mc_item> read_hellaswag_jsonl(const std::string& path);
// HellaSwag text file, 6 lines per task: "activity_label: ctx", label 0-3, the 4 endings.
std::vector<mc_item> read_hellaswag_text(const std::string& path);
// One Hendrycks MMLU csv (no header): question, A, B, C, D, answer letter.
std::vector<mc_item> read_mmlu_csv(const std::string& path, const std::string& subject);
// Every <subject>_<split>.csv under dir/<split>/ (split: dev, val or test), subjects sorted by name.
std::vector<mc_item> read_mmlu_split(const std::string& dir, const std::string& split);
// GPQA's official CSV (header row; columns "Question", "Correct Answer", "Incorrect Answer 1..3").
std::vector<mc_item> read_gpqa_csv(const std::string& path);

}  // namespace harness
