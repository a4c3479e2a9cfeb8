#include "artifact/git.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "runtime/error.h"

extern char** environ;

namespace harness {
namespace {

// Everything readable from `fd` until end of file.
std::string read_all(int fd) {
  std::string text;
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) text.append(buffer, static_cast<size_t>(n));
    else if (n == 0 || errno != EINTR) break;
  }
  return text;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

std::string git_output(const std::string& repo, const std::vector<std::string>& args) {
  std::vector<std::string> words = {"git", "-C", repo};
  words.insert(words.end(), args.begin(), args.end());
  const std::string shown = fmt::format("`{}`", fmt::join(words, " "));
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);

  // Standard output through a pipe; standard error into an unlinked temporary file, read after git
  // exits (so neither stream can fill up and stall git while the other is being read).
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) fail("{}: cannot make a pipe: {}", shown, std::strerror(errno));
  FILE* err_file = std::tmpfile();
  if (!err_file) {
    ::close(out[0]), ::close(out[1]);
    fail("{}: cannot make a temporary file: {}", shown, std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, ::fileno(err_file), 2);
  posix_spawn_file_actions_addclose(&actions, ::fileno(err_file));
  pid_t pid = 0;
  int spawn_error = posix_spawnp(&pid, "git", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (spawn_error != 0) {
    ::close(out[0]), std::fclose(err_file);
    fail("{}: cannot run git: {}", shown, std::strerror(spawn_error));
  }
  std::string output = read_all(out[0]);
  ::close(out[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ::lseek(::fileno(err_file), 0, SEEK_SET);
  std::string errors = trimmed(read_all(::fileno(err_file)));
  std::fclose(err_file);
  if (!WIFEXITED(status)) fail("{} was stopped by signal {}", shown, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  if (WEXITSTATUS(status) != 0)
    fail("{} failed (exit {}){}{}", shown, WEXITSTATUS(status), errors.empty() ? "" : ": ", errors);
  return output;
}

}  // namespace harness
