// SIGINT and SIGTERM stop a running replay cleanly (issue 9): the first one ends the run at the next
// packet with the journal complete, flushed and fsynced, the reports written and saying so, and
// exit status 0; a second one exits at once, its journal still made of whole lines.
#include <signal.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"

namespace tp {
namespace {

using testing::read_file;
using testing::split_lines;
using testing::TempDir;

const std::string kSample = std::string(TP_SOURCE_DIR) + "/samples/binance-btcusdt-3200.pcap";
const std::string kSampleConfig = std::string(TP_SOURCE_DIR) + "/config/sample.toml";

// The sample configuration with a checkpoint every 100 events, so readiness can wait for one.
std::string config_with_checkpoints(const TempDir& dir) {
  const std::string path = dir / "c.toml";
  testing::write_file(path, read_file(kSampleConfig) + "\n[journal]\ncheckpoint_events = 100\n");
  return path;
}

struct StopCase {
  const char* mode;
  int signal;
};

class SignalStop : public ::testing::TestWithParam<StopCase> {};

TEST_P(SignalStop, FirstSignalEndsTheRunWithACompleteJournalAndReport) {
  const StopCase c = GetParam();
  TempDir dir;
  const std::string cfg = config_with_checkpoints(dir);
  const std::string journal = dir / "j.jsonl";
  const std::string report = dir / "r.json";
  // The capture spans ~29 s: at 5x the run takes ~6 s unless stopped.
  const pid_t pid = testing::spawn_tickpipe(
      {"replay", kSample, "-c", cfg, "--mode", c.mode, "--speed", "5x", "--journal", journal, "--report", report},
      dir / "stderr.txt");
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(testing::wait_for_lines(pid, journal, 2, "\"event\":\"checkpoint\""));
  ASSERT_EQ(kill(pid, c.signal), 0);
  const testing::ChildExit e = testing::wait_exit(pid);
  ASSERT_EQ(e.signal, -1) << "the signal must not kill the engine";
  EXPECT_EQ(e.code, 0) << read_file(dir / "stderr.txt");

  // The report says it was interrupted, and by what.
  const auto rep = nlohmann::json::parse(read_file(report));
  const std::string sig = c.signal == SIGINT ? "SIGINT" : c.signal == SIGHUP ? "SIGHUP" : "SIGTERM";
  EXPECT_EQ(rep["interrupted_by"], sig);
  const uint64_t events = rep["events"].get<uint64_t>();
  EXPECT_GT(events, 100u);
  EXPECT_LT(events, 3199u) << "stopped part-way";

  // The journal: whole lines only, ending in a checkpoint that covers every event processed, and
  // (deterministic mode) the same decisions as an uninterrupted run, up to where it stopped.
  const std::string text = read_file(journal);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  const auto lines = split_lines(text);
  for (const auto& l : lines) EXPECT_TRUE(nlohmann::json::accept(l)) << l;
  const auto last = nlohmann::json::parse(lines.back());
  EXPECT_EQ(last["event"], "checkpoint");
  EXPECT_EQ(last["events"].get<uint64_t>(), events);
  EXPECT_EQ(rep["journal"]["records"].get<std::size_t>(), lines.size());
  if (std::string(c.mode) == "deterministic") {
    const auto full = testing::run_tickpipe("replay " + kSample + " -c " + cfg + " --journal " + dir / "full.jsonl");
    ASSERT_EQ(full.status, 0) << full.output;
    const std::string reference = read_file(dir / "full.jsonl");
    const auto ref_lines = testing::decision_lines(reference);
    const auto got = testing::decision_lines(text);
    ASSERT_LE(got.size(), ref_lines.size());
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], ref_lines[i]) << "line " << i;
  }
  EXPECT_NE(read_file(dir / "stderr.txt").find(sig), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Modes, SignalStop,
                         ::testing::Values(StopCase{"deterministic", SIGTERM}, StopCase{"threaded", SIGTERM},
                                           StopCase{"deterministic", SIGINT}, StopCase{"threaded", SIGINT},
                                           StopCase{"deterministic", SIGHUP}),
                         [](const auto& info) {
                           const int sig = info.param.signal;
                           return std::string(info.param.mode) +
                                  (sig == SIGINT ? "Sigint" : sig == SIGHUP ? "Sighup" : "Sigterm");
                         });

TEST(SignalStop, TheTextReportSaysItWasInterrupted) {
  TempDir dir;
  const std::string journal = dir / "j.jsonl";
  const std::string out = dir / "out.txt";
  const pid_t pid = fork();
  if (pid == 0) {
    if (!std::freopen(out.c_str(), "w", stdout)) _exit(126);
    // Threaded: its journal writer hands every batch to the kernel, so the first line shows readiness.
    execl(TP_TICKPIPE_BIN, TP_TICKPIPE_BIN, "replay", "--mode", "threaded", "--speed", "5x", "--journal",
          journal.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_TRUE(testing::wait_for_lines(pid, journal, 1));
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  EXPECT_EQ(testing::wait_exit(pid).code, 0);
  const std::string text = read_file(out);
  EXPECT_NE(text.find("Interrupted by SIGTERM"), std::string::npos) << text;
}

// Two signals back to back: the second may arrive while the first stop is still draining and
// flushing, or after the run ended. Either way the process ends promptly, the journal holds only
// whole lines, and the status is 0 (the first stop finished) or 128 + SIGTERM (the second cut it).
TEST(SignalStop, SecondSignalExitsAtOnceWithWholeLines) {
  TempDir dir;
  const std::string journal = dir / "j.jsonl";
  const pid_t pid =
      testing::spawn_tickpipe({"replay", "--mode", "threaded", "--speed", "5x", "--journal", journal}, dir / "err.txt");
  ASSERT_TRUE(testing::wait_for_lines(pid, journal, 1));
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  kill(pid, SIGTERM);  // may find the process gone
  const testing::ChildExit e = testing::wait_exit(pid);
  EXPECT_EQ(e.signal, -1);
  EXPECT_TRUE(e.code == 0 || e.code == 128 + SIGTERM) << e.code << " " << read_file(dir / "err.txt");
  const std::string text = read_file(journal);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  for (const auto& l : split_lines(text)) EXPECT_TRUE(nlohmann::json::accept(l)) << l;
}

}  // namespace
}  // namespace tp
