#include "artifact/provenance.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "artifact/code_changes.h"
#include "runtime/error.h"
#include "runtime/sha256.h"
#include "runtime/utc_time.h"
#include "runtime/text_file.h"

namespace harness {

namespace fs = std::filesystem;

namespace {

// Closes a file descriptor (and so drops its lock) when it goes out of scope.
struct fd_closer {
  int fd;
  ~fd_closer() { ::close(fd); }
};

void write_all(int fd, const std::string& data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("{}: write failed: {}", path, std::strerror(errno));
    done += static_cast<size_t>(n);
  }
}

void check_record(const nlohmann::json& doc, const std::string& origin) {
  if (!doc.is_object()) fail("{}: not a provenance record (not a JSON object)", origin);
  for (const char* field : {"time", "case"})
    if (!doc.contains(field) || !doc[field].is_string()) fail("{}: record has no '{}' string", origin, field);
  if (!doc.contains("results") || !doc["results"].is_array())
    fail("{}: record has no 'results' list", origin);
  for (const auto& r : doc["results"])
    if (!r.is_string()) fail("{}: record's 'results' holds a non-string", origin);
  if (!doc.contains("code") || !doc["code"].is_object() || !doc["code"].contains("commit") ||
      !doc["code"]["commit"].is_string() || !doc["code"].contains("dirty") || !doc["code"]["dirty"].is_boolean())
    fail("{}: record has no 'code' with 'commit' and 'dirty'", origin);
}

std::vector<provenance_record> parse_log(const std::string& text, const std::string& path) {
  std::vector<provenance_record> records;
  size_t start = 0;
  for (int line = 1; start < text.size(); ++line) {
    size_t end = text.find('\n', start);
    std::string origin = fmt::format("{}:{}", path, line);
    if (end == std::string::npos) fail("{}: incomplete line (no newline at its end: a torn write?)", origin);
    std::string body = text.substr(start, end - start);
    start = end + 1;
    if (body.empty()) fail("{}: empty line", origin);
    nlohmann::json doc;
    try {
      doc = nlohmann::json::parse(body);
    } catch (const nlohmann::json::exception& e) {
      fail("{}: invalid JSON: {}", origin, e.what());
    }
    check_record(doc, origin);
    records.push_back({origin, std::move(doc)});
  }
  return records;
}

// Writes the diff as patches/<sha256>.patch once (temporary file, fsync, rename); returns its log path.
std::string store_patch(const std::string& results_dir, const std::string& diff, const std::string& sha) {
  std::string name = fmt::format("patches/{}.patch", sha);
  fs::path target = fs::path(results_dir) / name;
  if (fs::exists(target)) return name;
  fs::create_directories(target.parent_path());
  std::string tmp = fmt::format("{}.tmp.{}", target.string(), ::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("{}: cannot write: {}", tmp, std::strerror(errno));
  {
    fd_closer closer{fd};
    write_all(fd, diff, tmp);
    if (::fsync(fd) != 0) fail("{}: fsync failed: {}", tmp, std::strerror(errno));
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp);
    fail("{}: cannot rename into place: {}", target.string(), ec.message());
  }
  return name;
}

// The "code" object of a record; stores the patch when the tree was dirty. Problems go to `errors`.
nlohmann::json code_json(const std::string& results_dir, const code_identity& code, std::vector<std::string>& git_errors,
                         nlohmann::json& record) {
  nlohmann::json c = {{"repo", code.repo}, {"commit", code.commit}, {"dirty", code.dirty},
                      {"diff_sha256", code.diff_sha256}, {"patch", nullptr}};
  if (!code.dirty) return c;
  std::string sha = sha256_string(code.diff);
  if (code.diff.empty()) {
    record["patch_error"] = "built from a dirty tree but the build's diff text is missing; no patch stored";
  } else if (sha != code.diff_sha256) {
    record["patch_error"] = fmt::format("the diff text given (sha256 {}) is not the one the binary was built from "
                                        "(diff_sha256 {}); no patch stored", sha, code.diff_sha256);
  } else {
    c["patch"] = store_patch(results_dir, code.diff, sha);
    try {
      c["patch_files"] = patch_files(code.repo, fs::absolute(fs::path(results_dir) / c["patch"].get<std::string>()).string());
    } catch (const harness_error& e) {
      git_errors.push_back(e.what());
    }
  }
  return c;
}

bool known_commit(const std::string& commit) { return !commit.empty() && commit != "unknown"; }

}  // namespace

code_identity built_code_identity(const std::string& source_dir, const std::string& commit, bool dirty,
                                  const std::string& diff_sha256, const std::string& diff_path) {
  code_identity code{source_dir, commit, dirty, "", diff_sha256};
  if (dirty && fs::is_regular_file(diff_path)) code.diff = read_text_file(diff_path);
  return code;
}

std::string provenance_record::patch() const {
  const auto& code = doc.at("code");
  return code.contains("patch") && code["patch"].is_string() ? code["patch"].get<std::string>() : "";
}

std::string provenance_log_path(const std::string& results_dir) {
  return (fs::path(results_dir) / "provenance.jsonl").string();
}

std::vector<provenance_record> read_provenance_log(const std::string& results_dir) {
  std::string path = provenance_log_path(results_dir);
  if (!fs::exists(path)) return {};
  return parse_log(read_text_file(path), path);
}

std::string result_path_in_log(const std::string& results_dir, const std::string& file) {
  fs::path base = fs::weakly_canonical(fs::absolute(results_dir));
  fs::path full = fs::weakly_canonical(fs::absolute(file));
  fs::path rel = full.lexically_relative(base);
  if (rel.empty() || *rel.begin() == "..") return full.string();
  return rel.string();
}

provenance_record record_run(const std::string& results_dir, const code_identity& code,
                             const std::vector<std::string>& result_files, const std::string& case_name,
                             const std::string& subject) {
  fs::create_directories(results_dir);
  std::string log = provenance_log_path(results_dir);
  int fd = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) fail("{}: cannot open for appending: {}", log, std::strerror(errno));
  fd_closer closer{fd};
  // Held until the line is written, so two runs finishing together each see the other as previous.
  if (::flock(fd, LOCK_EX) != 0) fail("{}: cannot lock: {}", log, std::strerror(errno));

  nlohmann::json record = {{"time", utc_now()}, {"case", case_name}, {"subject", subject}};
  record["results"] = nlohmann::json::array();
  for (const auto& f : result_files) record["results"].push_back(result_path_in_log(results_dir, f));
  std::vector<std::string> git_errors;
  record["code"] = code_json(results_dir, code, git_errors, record);
  if (!known_commit(code.commit)) git_errors.push_back("this run's commit is unknown (built without git?)");

  std::string text = read_text_file(log);
  const provenance_record* previous = nullptr;
  std::vector<provenance_record> earlier;
  try {
    earlier = parse_log(text, log);
    for (const auto& r : earlier)
      if (r.case_name() == case_name) previous = &r;
  } catch (const harness_error& e) {
    record["log_error"] = e.what();
  }

  nlohmann::json changes = nlohmann::json::array();
  std::string note;
  if (!previous) {
    record["previous"] = nullptr;
    note = record.contains("log_error") ? "previous run unknown: the log is damaged (see log_error)"
                                        : "first recorded run of this case";
  } else {
    const auto& prev_code = previous->doc["code"];
    record["previous"] = {{"time", previous->doc["time"]}, {"commit", prev_code["commit"]},
                          {"dirty", prev_code["dirty"]}, {"results", previous->doc["results"]}};
    if (previous->dirty()) {
      record["previous"]["patch"] = prev_code.value("patch", nlohmann::json());
      changes.push_back({{"kind", "uncommitted"}, {"of", "previous run"}, {"patch", prev_code.value("patch", nlohmann::json())},
                         {"diff_sha256", prev_code.value("diff_sha256", nlohmann::json())},
                         {"files", prev_code.value("patch_files", nlohmann::json())}});
    }
    note = "commits since the previous run unknown (see git_error)";
    if (!known_commit(previous->commit())) {
      git_errors.push_back("the previous run's commit is unknown");
    } else if (known_commit(code.commit)) {
      try {
        nlohmann::json between = code_changes(code.repo, previous->commit(), code.commit);
        for (auto c : between["commits"]) {
          c["kind"] = "commit";
          changes.push_back(std::move(c));
        }
        note = between["note"].get<std::string>();
        if (between.contains("only_in_from")) record["only_in_previous"] = between["only_in_from"];
      } catch (const harness_error& e) {
        git_errors.push_back(e.what());
      }
    }
  }
  record["changes"] = changes;
  record["changes_note"] = note;
  if (!git_errors.empty()) record["git_error"] = fmt::format("{}", fmt::join(git_errors, "; "));

  // One line in one write(); after a torn last line, start on a fresh line so this one stays whole.
  std::string line = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (!text.empty() && text.back() != '\n') line.insert(line.begin(), '\n');
  ssize_t n = ::write(fd, line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size()))
    fail("{}: appending the record failed ({} of {} bytes written): {}", log, n, line.size(), std::strerror(errno));
  if (::fsync(fd) != 0) fail("{}: fsync failed: {}", log, std::strerror(errno));
  return {"", record};
}

}  // namespace harness
