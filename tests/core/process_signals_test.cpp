// The second stop signal (issue 9): the process exits at once with status 128 + signal, and every
// journal line already formatted reaches the file first, also when the signal interrupts the
// journal writer in the middle of an operation. Each case runs in a forked child, which installs
// the real handlers and signals itself.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/journal/journal.hpp"
#include "core/threads/process_signals.hpp"

namespace tp {
namespace {

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

JournalRecord state_record(int64_t ts) {
  JournalRecord r{};
  r.kind = JournalKind::State;
  r.ts_ns = ts;
  r.from_state = TradingState::Active;
  r.to_state = TradingState::Reducing;
  r.state_reason = StateReason::Operator;
  return r;
}

std::string temp_path(const char* name) {
  return (std::filesystem::temp_directory_path() / (std::string(name) + "-" + std::to_string(getpid()))).string();
}

// Forks; the child runs `body` and must not return. Returns the child's wait status.
template <typename Fn>
int in_child(Fn&& body) {
  const pid_t pid = fork();
  if (pid == 0) {
    body();
    _exit(99);  // body returned: the signal did not end the process
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

TEST(ProcessSignals, FirstStopSignalOnlyRequestsAStop) {
  const int status = in_child([] {
    if (!process_signals::install().empty()) _exit(98);
    raise(SIGTERM);
    _exit(process_signals::stop_signal() == SIGTERM ? 0 : 97);
  });
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(ProcessSignals, KillSwitchSignalsAreKeptAsBits) {
  const int status = in_child([] {
    if (!process_signals::install().empty()) _exit(98);
    raise(SIGUSR1);
    raise(SIGUSR2);
    const uint32_t bits = process_signals::take_kill_switch();
    _exit(bits == (kSignalReducing | kSignalHaltFlatten) && process_signals::take_kill_switch() == 0 ? 0 : 97);
  });
  ASSERT_TRUE(WIFEXITED(status)) << "a kill switch signal must never kill the process";
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(ProcessSignals, SecondStopSignalFlushesTheJournalAndExits) {
  const std::string path = temp_path("tp-second-signal");
  SymbolTable symbols({"BTCUSDT"});
  const int status = in_child([&] {
    if (!process_signals::install().empty()) _exit(98);
    JournalWriter w(path, symbols, FsyncPolicy::Never);
    w.start();
    for (int i = 1; i <= 100; ++i) w.write(state_record(i));  // buffered, not yet in the file
    raise(SIGINT);
    raise(SIGINT);
  });
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGINT);
  const std::string text = read_all(path);
  std::filesystem::remove(path);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 100) << "every formatted line reached the file";
  EXPECT_EQ(text.substr(text.size() - 2), "}\n");
}

TEST(ProcessSignals, ASecondSignalInsideAJournalOperationWaitsForItsEnd) {
  const std::string path = temp_path("tp-second-signal-inside");
  const std::string marker = path + ".marker";
  SymbolTable symbols({"BTCUSDT"});
  const int status = in_child([&] {
    if (!process_signals::install().empty()) _exit(98);
    JournalWriter w(path, symbols, FsyncPolicy::Never);
    w.start();
    for (int i = 1; i <= 10; ++i) w.write(state_record(i));
    raise(SIGTERM);
    JournalFlushHook::enter();  // as if the writer were changing its buffer
    raise(SIGTERM);
    std::ofstream(marker) << "still running inside the operation";
    JournalFlushHook::leave();  // exits here
  });
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
  EXPECT_TRUE(std::filesystem::exists(marker)) << "the handler must not flush in the middle of an operation";
  const std::string text = read_all(path);
  std::filesystem::remove(path);
  std::filesystem::remove(marker);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 10);
}

}  // namespace
}  // namespace tp
