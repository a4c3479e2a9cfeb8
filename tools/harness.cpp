// harness: the command-line front door. `harness list` shows the registered cases; `harness run CASE
// [--option value ...]` runs one; `harness tokenize` / `detokenize` convert between text and token ids;
// `harness submit` runs a sweep of units through Slurm (or here, --local), each by `harness run-unit`;
// `harness import-llama2c` converts a llama2.c model into a Hugging Face directory.
// `harness import-gguf` converts a Llama GGUF file into a Hugging Face directory.
// Errors are one line on stderr and a non-zero exit.
#include <climits>
#include <cstdint>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <c10/util/Exception.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "artifact/bundle_command.h"
#include "artifact/diff.h"
#include "artifact/provenance_command.h"
#include "artifact/render.h"
#include "experiments/build_info.h"
#include "experiments/registry.h"
#include "runtime/error.h"
#include "runtime/import_llama2c.h"
#include "runtime/import_gguf.h"
#include "runtime/text_file.h"
#include "runtime/tokenizer.h"
#include "tools/cli_options.h"
#include "tools/run_command.h"
#include "tools/submit_command.h"

namespace {

using harness::fail;

void print_usage() {
  std::cout << "usage:\n"
               "  harness list                       the registered experiment cases and their options\n"
               "  harness run CASE [--opt value ...]  run a case (options: see `harness list`)\n"
               "      [--paper [--allow-dirty]]      paper runs refuse a harness built from a dirty tree unless\n"
               "                                     --allow-dirty (the diff is stored, the result INVALID)\n"
               "  harness submit --sweep F.json [--out DIR] [--dir SWEEP_DIR] [--dry-run | --local]\n"
               "      [--partition P] [--account A] [--time T] [--cpus N] [--mem M] [--gpus N]\n"
               "                                     run a sweep's units as a Slurm job array (one task per unit;\n"
               "                                     units already done are skipped); without sbatch, or with\n"
               "                                     --dry-run, print the commands; --local: run them here in turn\n"
               "  harness run-unit SWEEP_DIR I       run unit I of a submitted sweep and mark it done\n"
               "  harness table NAME|all|--list [--results DIR] [--out DIR]\n"
               "                                     render a paper table (Markdown, LaTeX) from stored results\n"
               "  harness plot NAME|all|--list [--results DIR] [--out DIR] [--width one|two]\n"
               "                                     render a paper figure (PDF, PNG) from stored results\n"
               "  harness diff A B [--repo DIR] [--under DIR] [--out F.md] [--json F] [--fail-on-regression] ...\n"
               "                                     compare two result sets (folders or commits), metric by metric\n"
               "  harness provenance CASE [--results DIR] [--result FILE] [--against FILE]\n"
               "                                     the code changes between two recorded runs of a case\n"
               "  harness bundle [--results DIR] [--out FILE.tar.gz] [--allow-invalid REASON]\n"
               "  harness verify-bundle FILE         re-check a bundle: sums, schema, regenerated tables and figures\n"
               "  harness tokenize --tokenizer PATH (--text S | --file F) [--count] [--bos yes|no]\n"
               "                                     print the ids, comma-separated (or their count); BOS is\n"
               "                                     prepended as the model's files say unless --bos is given\n"
               "  harness detokenize --tokenizer PATH --ids 1,2,3 [--skip-special]\n"
               "                                     print the text of the ids, byte for byte, with no newline added\n"
               "  harness import-llama2c --checkpoint F.bin --tokenizer TOK.bin --out DIR\n"
               "                                     convert a llama2.c checkpoint (float32, v0 or v1) and its tokenizer\n"
               "                                     into a new Hugging Face Llama directory\n"
               "  harness import-gguf --gguf FILE --out DIR [--dtype f32|bf16]\n"
               "                                     convert a Llama GGUF (dequantised) to a Hugging Face directory\n"
               "  (PATH: a tokenizer.json, or a directory holding tokenizer.json or vocab.json + merges.txt)\n";
}

void list_cases() {
  for (const auto& c : harness::all_cases()) {
    std::cout << fmt::format("{} (v{}) — {}\n  feeds: {}\n", c.name, c.version, c.summary, c.feeds);
    for (const auto& o : c.options)
      std::cout << fmt::format("    --{:<12} {} [default: {}]\n", o.name, o.help,
                               o.default_value.empty() ? "none" : o.default_value);
    for (const auto& [name, values] : c.presets) {
      std::string set;
      for (const auto& [option, value] : values) set += fmt::format(" --{} {}", option, value);
      std::cout << fmt::format("    --preset {}:{}\n", name, set);
    }
  }
}

int tokenize_command(const std::vector<std::string>& words) {
  auto options = harness::parse_command_options(words, {"count"}, {"tokenizer", "text", "file", "bos"}, "tokenize");
  harness::tokenizer tok = harness::load_tokenizer(harness::required_option(options, "tokenizer", "tokenize"));
  bool has_text = options.count("text") > 0, has_file = options.count("file") > 0;
  if (has_text == has_file) fail("`harness tokenize` needs exactly one of --text and --file");
  std::string text = has_text ? options["text"] : harness::read_text_file(options["file"]);
  bool add_bos = tok.adds_bos_by_default();
  if (options.count("bos")) {
    if (options["bos"] != "yes" && options["bos"] != "no") fail("--bos must be yes or no, got '{}'", options["bos"]);
    add_bos = options["bos"] == "yes";
  }
  std::vector<int32_t> ids = tok.encode(text, add_bos);
  if (options.count("count")) {
    std::cout << ids.size() << "\n";
  } else {
    std::cout << fmt::format("{}\n", fmt::join(ids, ","));
  }
  return 0;
}

int detokenize_command(const std::vector<std::string>& words) {
  auto options = harness::parse_command_options(words, {"skip-special"}, {"tokenizer", "ids"}, "detokenize");
  harness::tokenizer tok = harness::load_tokenizer(harness::required_option(options, "tokenizer", "detokenize"));
  std::vector<int32_t> ids;
  std::stringstream list(harness::required_option(options, "ids", "detokenize"));
  for (std::string item; std::getline(list, item, ',');) {
    size_t used = 0;
    long long id = -1;
    try {
      id = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size() || id < 0 || id > INT32_MAX)
      fail("--ids: '{}' is not a token id (ids are non-negative integers separated by commas)", item);
    ids.push_back(static_cast<int32_t>(id));
  }
  std::cout << tok.decode(ids, options.count("skip-special") > 0);
  std::cout.flush();
  return 0;
}

int import_llama2c_command(const std::vector<std::string>& words) {
  auto options = harness::parse_command_options(words, {}, {"checkpoint", "tokenizer", "out"}, "import-llama2c");
  std::string out = harness::required_option(options, "out", "import-llama2c");
  harness::import_llama2c(harness::required_option(options, "checkpoint", "import-llama2c"),
                          harness::required_option(options, "tokenizer", "import-llama2c"), out);
  std::cout << fmt::format("wrote {}\n", out);
  return 0;
}

int import_gguf_command(const std::vector<std::string>& words) {
  auto options = harness::parse_command_options(words, {}, {"gguf", "out", "dtype"}, "import-gguf");
  harness::import_gguf_options o;
  o.gguf_path = harness::required_option(options, "gguf", "import-gguf");
  o.out_dir = harness::required_option(options, "out", "import-gguf");
  std::string dtype = options.count("dtype") ? options["dtype"] : "f32";
  if (dtype != "f32" && dtype != "bf16") fail("--dtype must be f32 or bf16, got '{}'", dtype);
  o.dtype = dtype == "bf16" ? at::kBFloat16 : at::kFloat;
  harness::import_gguf(o);
  std::cout << fmt::format("wrote {} (config.json, model.safetensors, tokenizer.json, tokenizer_config.json)\n",
                           o.out_dir);
  return 0;
}

int run(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    print_usage();
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "list") {
    list_cases();
    return 0;
  }
  if (args[0] == "run") {
    harness::run_command(std::vector<std::string>(args.begin() + 1, args.end()));
    return 0;
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "submit") return harness::submit_command(rest);
  if (args[0] == "run-unit") return harness::run_unit_command(rest);
  if (args[0] == "table") return harness::table_command(rest);
  if (args[0] == "plot") return harness::plot_command(rest);
  if (args[0] == "diff") return harness::diff_command(rest);
  if (args[0] == "provenance") return harness::provenance_command(rest);
  if (args[0] == "bundle") return harness::bundle_command(rest, harness::build_commit);
  if (args[0] == "verify-bundle") return harness::verify_bundle_command(rest);
  if (args[0] == "tokenize") return tokenize_command(std::vector<std::string>(args.begin() + 1, args.end()));
  if (args[0] == "import-gguf") return import_gguf_command(rest);
  if (args[0] == "detokenize") return detokenize_command(std::vector<std::string>(args.begin() + 1, args.end()));
  if (args[0] == "import-llama2c") return import_llama2c_command(rest);
  fail("unknown command '{}' (try `harness help`)", args[0]);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const c10::Error& e) {
    std::cerr << "harness: error: " << e.what_without_backtrace() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "harness: error: " << e.what() << "\n";
  }
  return 1;
}
