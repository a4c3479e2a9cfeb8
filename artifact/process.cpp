#include "artifact/process.h"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/error.h"

extern char** environ;

namespace harness {

namespace {

// Reads both pipes to their ends together, so neither can fill up and stall the child.
void drain(int out_fd, int err_fd, std::string& out, std::string& err) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* sinks[2] = {&out, &err};
  int open = 2;
  char buffer[65536];
  while (open > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      fail("poll on a child's output failed: {}", std::strerror(errno));
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open;
      }
    }
  }
}

}  // namespace

process_result run_process(const std::vector<std::string>& argv, const std::string& cwd, bool capture) {
  if (argv.empty()) fail("run_process: no program given");
  int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  if (capture && (pipe(out_pipe) != 0 || pipe(err_pipe) != 0))
    fail("cannot create pipes to run {}: {}", argv[0], std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (capture) {
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) posix_spawn_file_actions_addclose(&actions, fd);
  }
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (capture) {
    close(out_pipe[1]);
    close(err_pipe[1]);
  }
  if (rc != 0) {
    if (capture) {
      close(out_pipe[0]);
      close(err_pipe[0]);
    }
    fail("cannot run {}: {}", argv[0], std::strerror(rc));
  }
  process_result result;
  if (capture) drain(out_pipe[0], err_pipe[0], result.out, result.err);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string run_checked(const std::vector<std::string>& argv, const std::string& cwd) {
  process_result r = run_process(argv, cwd);
  if (r.exit_code != 0) {
    std::string err = r.err;
    while (!err.empty() && err.back() == '\n') err.pop_back();
    fail("`{}` failed (exit {}){}{}", fmt::join(argv, " "), r.exit_code, err.empty() ? "" : ": ", err);
  }
  return r.out;
}

}  // namespace harness
