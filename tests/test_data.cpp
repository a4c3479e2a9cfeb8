// Data set readers: the CSV parser on hand-made text, every reader on the real files in ../shared/data/eval
// (counts are the official split sizes; item values read off the files), and malformed input, whose
// error names the file and the line.
#include <catch2/catch.hpp>

#include <fstream>

#include "evals/csv.h"
#include "evals/data.h"
#include "evals/python_random.h"
#include "runtime/error.h"
#include "tests/test_support.h"

namespace harness {
namespace {

std::string eval_file(const std::string& relative) { return (test::shared_dir() / "data" / "eval" / relative).string(); }

std::string write_file(const test::temp_dir& dir, const std::string& name, const std::string& text) {
  std::string path = (dir.path() / name).string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

}  // namespace

CATCH_TEST_CASE("csv: quoted fields with commas, newlines and escaped quotes", "[data]") {
  std::string text =
      "plain,\"a, b\",\"say \"\"hi\"\"\"\r\n"
      "\"two\nlines\",x,\n"
      "it\"s literal,\"closed\"tail,last\n";
  auto rows = parse_csv(text, "t.csv");
  CATCH_REQUIRE(rows.size() == 3);
  CATCH_CHECK(rows[0].fields == std::vector<std::string>{"plain", "a, b", "say \"hi\""});
  CATCH_CHECK(rows[1].line == 2);
  CATCH_CHECK(rows[1].fields == std::vector<std::string>{"two\nlines", "x", ""});
  CATCH_CHECK(rows[2].line == 4);  // record 2 spans lines 2 and 3
  // As Python's csv module: a quote inside an unquoted field and text after a closing quote are kept.
  CATCH_CHECK(rows[2].fields == std::vector<std::string>{"it\"s literal", "closedtail", "last"});
  CATCH_CHECK(parse_csv("a,b", "t.csv")[0].fields.size() == 2);  // no final line break
  CATCH_CHECK(parse_csv("", "t.csv").empty());
  CATCH_CHECK_THROWS_WITH(parse_csv("a\nb,\"never\nclosed\n", "t.csv"), Catch::Contains("t.csv:2: quoted field never closed"));
}

CATCH_TEST_CASE("data: every reader on the shipped data sets", "[data]") {
  CATCH_CHECK(read_text_jsonl(eval_file("c4/c4_validation_2k.jsonl")).size() == 2000);

  auto boolq = read_boolq_mosaic(eval_file("boolq/boolq.mosaicml.jsonl"));
  CATCH_REQUIRE(boolq.size() == 3270);
  CATCH_CHECK(boolq[0].question == "does ethanol take more energy make that produces");
  CATCH_CHECK(boolq[0].passage.rfind("All biomass goes through", 0) == 0);
  CATCH_CHECK(boolq[0].gold == 0);
  // Row 2418's passage itself contains "\nQuestion: "; the question is the last one.
  CATCH_CHECK(boolq[2417].question == "is the sea snake the most venomous snake");

  auto obqa = read_mosaic_mc(eval_file("openbookqa/openbook_qa.mosaicml.jsonl"));
  CATCH_REQUIRE(obqa.size() == 500);
  CATCH_CHECK(obqa[1].question == "There is most likely going to be fog around:");
  CATCH_CHECK(obqa[1].choices == std::vector<std::string>{"a marsh", "a tundra", "the plains", "a desert"});

  auto lambada = read_lambada_mosaic(eval_file("lambada/lambada_openai.mosaicml.jsonl"));
  CATCH_REQUIRE(lambada.size() == 5153);
  CATCH_CHECK(lambada[0].target == "signs");

  CATCH_CHECK(read_arc(eval_file("arc/ARC-Easy-Test.jsonl")).size() == 2376);
  auto arc_c = read_arc(eval_file("arc/ARC-Challenge-Test.jsonl"));
  CATCH_REQUIRE(arc_c.size() == 1172);
  CATCH_CHECK(arc_c[44].gold == 1);  // row 45: labels "1".."4", answerKey "2"
  CATCH_CHECK(arc_c[44].where == eval_file("arc/ARC-Challenge-Test.jsonl") + ":45");

  auto piqa = read_piqa(eval_file("piqa/dev.jsonl"), eval_file("piqa/dev-labels.lst"));
  CATCH_REQUIRE(piqa.size() == 1838);
  CATCH_CHECK(piqa[1].question == "dresser");
  CATCH_CHECK(piqa[1].gold == 1);

  auto wino = read_winogrande(eval_file("winogrande/dev.jsonl"), eval_file("winogrande/dev-labels.lst"));
  CATCH_REQUIRE(wino.size() == 1267);
  CATCH_CHECK(wino[0].choices == std::vector<std::string>{"Sarah", "Maria"});
  CATCH_CHECK(wino[0].gold == 1);

  auto rte = read_rte(eval_file("rte/val.jsonl"));
  CATCH_REQUIRE(rte.size() == 277);
  CATCH_CHECK(rte[0].gold == 1);  // not_entailment
  CATCH_CHECK(rte[1].gold == 0);

  auto med = read_medmcqa(eval_file("medmcqa/dev.json"));
  CATCH_REQUIRE(med.size() == 4183);
  CATCH_CHECK(med[2].gold == 2);  // cop 3
  CATCH_CHECK(med[2].subject == "Medicine");

  auto hella = read_hellaswag_text(eval_file("hellaswag/hellaswag_val_full.txt"));
  CATCH_REQUIRE(hella.size() == 10042);
  CATCH_CHECK(hella[0].question == "Roof shingle removal: A man is sitting on a roof. he");
  CATCH_CHECK(hella[0].gold == 3);
  CATCH_CHECK(hella[0].choices[3] == "starts pulling up roofing on a roof.");
  CATCH_CHECK(hella[1].where == eval_file("hellaswag/hellaswag_val_full.txt") + ":7");

  std::string mmlu = eval_file("mmlu");
  CATCH_CHECK(read_mmlu_split(mmlu, "dev").size() == 285);
  CATCH_CHECK(read_mmlu_split(mmlu, "val").size() == 1531);
  auto test = read_mmlu_split(mmlu, "test");
  CATCH_REQUIRE(test.size() == 14042);
  CATCH_CHECK(test.front().subject == "abstract_algebra");
  CATCH_CHECK(test.back().subject == "world_religions");
  // Every question of this subject spans several lines of the file.
  CATCH_CHECK(read_mmlu_csv(mmlu + "/test/high_school_european_history_test.csv", "h").size() == 165);
  auto medicine = read_mmlu_csv(mmlu + "/val/college_medicine_val.csv", "college_medicine");
  CATCH_REQUIRE(medicine.size() == 22);
  CATCH_CHECK(medicine[5].question.substr(medicine[5].question.size() - 15) == "Will to Truth?\"");  // stray quote kept
  CATCH_CHECK(medicine[5].gold == 0);
}

CATCH_TEST_CASE("data: GPQA's CSV on rows written here", "[data]") {
  test::temp_dir dir("gpqa");
  std::string path = write_file(dir, "gpqa.csv",
                                "Pre-Revision Question,Question,Correct Answer,Incorrect Answer 1,Incorrect Answer 2,"
                                "Incorrect Answer 3,Explanation\n"
                                "old,\"What is 2+2, in base 10?\",4,5,\"3\",22,\"two\nlines\"\n"
                                "old,\"Say \"\"x\"\"\",x,y,z,w,none\n");
  auto items = read_gpqa_csv(path);
  CATCH_REQUIRE(items.size() == 2);
  CATCH_CHECK(items[0].question == "What is 2+2, in base 10?");
  CATCH_CHECK(items[0].choices == std::vector<std::string>{"4", "5", "3", "22"});
  CATCH_CHECK(items[0].gold == 0);
  CATCH_CHECK(items[1].question == "Say \"x\"");
  CATCH_CHECK(items[1].where == path + ":4");  // row 1 spans lines 2-3

  std::string short_row = write_file(dir, "short.csv", "Question,Correct Answer,Incorrect Answer 1,Incorrect Answer 2,Incorrect Answer 3\nq,a,b,c\n");
  CATCH_CHECK_THROWS_WITH(read_gpqa_csv(short_row), Catch::Contains(short_row + ":2: 4 fields, the header has 5"));
  std::string no_column = write_file(dir, "nocol.csv", "Question,Correct Answer\nq,a\n");
  CATCH_CHECK_THROWS_WITH(read_gpqa_csv(no_column), Catch::Contains(no_column + ":1: the header has no column 'Incorrect Answer 1'"));
}

CATCH_TEST_CASE("data: malformed rows name the file and the line", "[data]") {
  test::temp_dir dir("bad-data");
  std::string bad_json = write_file(dir, "bad.jsonl", "{\"query\": \"q\", \"choices\": [\"a\"], \"gold\": 0}\n{\"query\": \n");
  CATCH_CHECK_THROWS_WITH(read_mosaic_mc(bad_json), Catch::Contains(bad_json + ":2: not valid JSON"));
  std::string gold = write_file(dir, "gold.jsonl", "{\"query\": \"q\", \"choices\": [\"a\", \"b\"], \"gold\": 2}\n");
  CATCH_CHECK_THROWS_WITH(read_mosaic_mc(gold), Catch::Contains(gold + ":1: gold answer 2 is outside the 2 choices"));
  std::string blank = write_file(dir, "blank.jsonl", "{\"text\": \"a\"}\n\n{\"text\": \"b\"}\n");
  CATCH_CHECK_THROWS_WITH(read_text_jsonl(blank), Catch::Contains(blank + ":2: empty line"));
  std::string missing = write_file(dir, "arc.jsonl", "{\"question\": {\"stem\": \"s\", \"choices\": []}, \"answerKey\": \"A\"}\n");
  CATCH_CHECK_THROWS_WITH(read_arc(missing), Catch::Contains(missing + ":1: field 'choices' is not a non-empty list"));
  std::string key = write_file(dir, "key.jsonl",
                               "{\"question\": {\"stem\": \"s\", \"choices\": [{\"text\": \"t\", \"label\": \"A\"}]}, \"answerKey\": \"B\"}\n");
  CATCH_CHECK_THROWS_WITH(read_arc(key), Catch::Contains(key + ":1: answerKey 'B' names no choice"));
  std::string rte = write_file(dir, "rte.jsonl", "{\"premise\": \"p\", \"hypothesis\": \"h\", \"label\": \"maybe\"}\n");
  CATCH_CHECK_THROWS_WITH(read_rte(rte), Catch::Contains(rte + ":1: label 'maybe'"));
  std::string cop = write_file(dir, "med.jsonl", "{\"question\": \"q\", \"opa\": \"a\", \"opb\": \"b\", \"opc\": \"c\", \"opd\": \"d\", \"cop\": 0, \"subject_name\": null}\n");
  CATCH_CHECK_THROWS_WITH(read_medmcqa(cop), Catch::Contains(cop + ":1: cop 0 is not 1..4"));

  std::string wino = write_file(dir, "wino.jsonl", "{\"sentence\": \"A _ b\", \"option1\": \"x\", \"option2\": \"y\", \"answer\": \"1\"}\n"
                                                   "{\"sentence\": \"no blank\", \"option1\": \"x\", \"option2\": \"y\", \"answer\": \"1\"}\n");
  CATCH_CHECK_THROWS_WITH(read_winogrande(wino, ""), Catch::Contains(wino + ":2: the sentence must hold exactly one '_'"));
  std::string wino_ok = write_file(dir, "wino_ok.jsonl", "{\"sentence\": \"A _ b\", \"option1\": \"x\", \"option2\": \"y\", \"answer\": \"1\"}\n");
  std::string labels = write_file(dir, "labels.lst", "2\n");
  CATCH_CHECK_THROWS_WITH(read_winogrande(wino_ok, labels), Catch::Contains(labels + ":1: label '2' disagrees"));
  std::string piqa = write_file(dir, "piqa.jsonl", "{\"goal\": \"g\", \"sol1\": \"a\", \"sol2\": \"b\"}\n");
  std::string piqa_labels = write_file(dir, "piqa.lst", "0\n1\n");
  CATCH_CHECK_THROWS_WITH(read_piqa(piqa, piqa_labels), Catch::Contains(piqa_labels + ": 2 labels for the 1 rows"));

  std::string hella = write_file(dir, "hella.txt", "ctx\n3\na\nb\nc\nd\nctx2\n7\na\nb\nc\nd\n");
  CATCH_CHECK_THROWS_WITH(read_hellaswag_text(hella), Catch::Contains(hella + ":8: label '7' is not 0-3"));
  std::string hella_short = write_file(dir, "hella_short.txt", "ctx\n3\na\nb\nc\n");
  CATCH_CHECK_THROWS_WITH(read_hellaswag_text(hella_short), Catch::Contains("5 lines is not a whole number of 6-line tasks"));

  std::string mmlu = write_file(dir, "x_test.csv", "q,a,b,c,d,A\nq,a,b,c,d,E\n");
  CATCH_CHECK_THROWS_WITH(read_mmlu_csv(mmlu, "x"), Catch::Contains(mmlu + ":2: answer 'E' is not A-D"));
  std::string fields = write_file(dir, "y_test.csv", "q,a,b,c,A\n");
  CATCH_CHECK_THROWS_WITH(read_mmlu_csv(fields, "y"), Catch::Contains(fields + ":1: 5 fields, expected 6"));
  std::string boolq = write_file(dir, "boolq.jsonl", "{\"query\": \"Question: q?\", \"choices\": [\"no\", \"yes\"], \"gold\": 1}\n");
  CATCH_CHECK_THROWS_WITH(read_boolq_mosaic(boolq), Catch::Contains(boolq + ":1: query is not"));
  CATCH_CHECK_THROWS_WITH(read_arc((dir.path() / "absent.jsonl").string()), Catch::Contains("absent.jsonl: cannot open"));
}

CATCH_TEST_CASE("python_random: the draws and shuffles of Python's random.Random", "[data]") {
  // Values printed by CPython 3: random.Random(42).getrandbits(32) three times; Random(2**40 + 5) once.
  python_random r(42);
  CATCH_CHECK(r.next_u32() == 2746317213u);
  CATCH_CHECK(r.next_u32() == 478163327u);
  CATCH_CHECK(r.next_u32() == 107420369u);
  CATCH_CHECK(python_random((uint64_t{1} << 40) + 5).next_u32() == 2166296868u);
  // r = random.Random(42); x = list(range(4)); r.shuffle(x) twice -> [2, 1, 3, 0] then [3, 2, 0, 1].
  python_random s(42);
  std::vector<int> x = {0, 1, 2, 3};
  s.shuffle(x);
  CATCH_CHECK(x == std::vector<int>{2, 1, 3, 0});
  x = {0, 1, 2, 3};
  s.shuffle(x);
  CATCH_CHECK(x == std::vector<int>{3, 2, 0, 1});
}

}  // namespace harness
