// Runs the real tickpipe binary for end-to-end tests: the exit status and everything it printed.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <thread>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace tp::testing {

struct CliResult {
  int status = -1;
  std::string output;  // stdout and stderr together
};

// A shell command's exit status and output (stdout and stderr together).
inline CliResult run_command(const std::string& command) {
  const std::string cmd = command + " 2>&1";
  CliResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

inline CliResult run_tickpipe(const std::string& args) { return run_command(std::string(TP_TICKPIPE_BIN) + " " + args); }

// Starts the tickpipe binary with `args` (stdout to /dev/null, stderr to `stderr_path` or kept);
// returns its pid. The caller waits for it (wait_exit) or it is reaped when the test ends.
inline pid_t spawn_tickpipe(const std::vector<std::string>& args, const std::string& stderr_path = "") {
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(TP_TICKPIPE_BIN));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    if (!std::freopen("/dev/null", "w", stdout)) _exit(126);
    if (!stderr_path.empty() && !std::freopen(stderr_path.c_str(), "w", stderr)) _exit(126);
    execv(TP_TICKPIPE_BIN, argv.data());
    _exit(127);
  }
  return pid;
}

// How a child ended: exited with `code`, or killed by `signal` (the other is -1).
struct ChildExit {
  int code = -1;
  int signal = -1;
};

inline ChildExit wait_exit(pid_t pid) {
  int status = 0;
  ChildExit e;
  if (waitpid(pid, &status, 0) != pid) return e;
  if (WIFEXITED(status)) e.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) e.signal = WTERMSIG(status);
  return e;
}

// Readiness, not a sleep: waits until the file at `path` holds at least `min_lines` complete lines
// that contain `needle` (every line when empty). A running engine's journal appears at its path
// only once the run produces (the new journal is renamed into place then), so this is the point
// from which a signal meets a running pipeline. False when the child exited first or after 60 s.
inline bool wait_for_lines(pid_t pid, const std::string& path, std::size_t min_lines, const std::string& needle = "") {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream f(path, std::ios::binary);
    std::size_t n = 0;
    for (std::string line; std::getline(f, line) && !f.eof();)
      if (needle.empty() || line.find(needle) != std::string::npos) ++n;
    if (n >= min_lines) return true;
    if (waitpid(pid, nullptr, WNOHANG) == pid) return false;  // reaped: it exited before that
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) {
      out.push_back(text.substr(start));
      break;
    }
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

// The decision records of a journal: every line but the checkpoints (recovery markers).
inline std::vector<std::string> decision_lines(const std::string& journal_text) {
  std::vector<std::string> out;
  for (auto& l : split_lines(journal_text))
    if (l.find("\"event\":\"checkpoint\"") == std::string::npos) out.push_back(std::move(l));
  return out;
}

inline std::string read_gz(const std::string& path) {
  std::string out;
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  gzclose(f);
  return out;
}

// A fresh directory under the system temp dir, removed when the object goes away.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tickpipe-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
}

}  // namespace tp::testing
