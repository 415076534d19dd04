// Crash recovery (issue 4): a replay killed with SIGKILL part-way and resumed with --resume ends
// with exactly the journal and the positions of an uninterrupted run: no lost and no doubled fill.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli_runner.hpp"

namespace tp {
namespace {

using testing::read_file;
using testing::run_tickpipe;
using testing::split_lines;
using testing::TempDir;
using testing::write_file;

const std::string kSampleConfig = std::string(TP_SOURCE_DIR) + "/config/sample.toml";

// The sample config with a checkpoint every 100 market events, so a run killed after a fraction
// of a second has several.
std::string config_with_checkpoints(const TempDir& dir) {
  const std::string path = dir / "c.toml";
  write_file(path, read_file(kSampleConfig) + "\n[journal]\ncheckpoint_events = 100\n");
  return path;
}

pid_t spawn_tickpipe(const std::vector<std::string>& args) {
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(TP_TICKPIPE_BIN));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    freopen("/dev/null", "w", stdout);
    execv(TP_TICKPIPE_BIN, argv.data());
    _exit(127);
  }
  return pid;
}

TEST(Recovery, KilledReplayResumesToTheSameJournalAndPositions) {
  TempDir dir;
  const std::string cfg = config_with_checkpoints(dir);

  // The uninterrupted reference.
  const auto full = run_tickpipe("replay -c " + cfg + " " + TP_SOURCE_DIR + "/samples/binance-btcusdt-3200.pcap" +
                                 " --journal " + dir / "full.jsonl" + " --report " + dir / "full.json");
  ASSERT_EQ(full.status, 0) << full.output;

  // The same replay paced at 20x (the capture spans ~29 s: ~1.5 s in all), killed after 0.7 s.
  const pid_t pid = spawn_tickpipe({"replay", "-c", cfg, std::string(TP_SOURCE_DIR) + "/samples/binance-btcusdt-3200.pcap",
                                    "--speed", "20x", "--journal", dir / "crash.jsonl"});
  ASSERT_GT(pid, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the run finished before it was killed: make it slower";

  const std::string partial = read_file(dir / "crash.jsonl");
  const std::string reference = read_file(dir / "full.jsonl");
  ASSERT_LT(partial.size(), reference.size()) << "killed part-way";
  ASSERT_NE(partial.find("\"event\":\"checkpoint\""), std::string::npos) << "at least one checkpoint was written";

  const auto resumed = run_tickpipe("replay -c " + cfg + " " + TP_SOURCE_DIR + "/samples/binance-btcusdt-3200.pcap" +
                                    " --journal " + dir / "crash.jsonl" + " --resume --report " + dir / "resumed.json");
  ASSERT_EQ(resumed.status, 0) << resumed.output;
  EXPECT_EQ(read_file(dir / "crash.jsonl"), reference) << "the resumed journal is the uninterrupted one";

  const auto a = nlohmann::json::parse(read_file(dir / "full.json"));
  const auto b = nlohmann::json::parse(read_file(dir / "resumed.json"));
  EXPECT_EQ(a["symbols"], b["symbols"]) << "same positions, P&L, fees and fills";
  EXPECT_GT(b["journal"]["resumed_records"].get<int>(), 0);
}

TEST(Recovery, ResumeCutsATornTailAndRecordsAfterTheLastCheckpoint) {
  TempDir dir;
  const std::string cfg = config_with_checkpoints(dir);
  const std::string cap = std::string(TP_SOURCE_DIR) + "/samples/binance-btcusdt-3200.pcap";
  ASSERT_EQ(run_tickpipe("replay -c " + cfg + " " + cap + " --journal " + dir / "ref.jsonl").status, 0);
  const std::string reference = read_file(dir / "ref.jsonl");
  const auto lines = split_lines(reference);
  // Keep everything up to the 5th checkpoint, then a record after it and half a line: what a crash
  // between two checkpoints can leave.
  std::string crashed;
  int checkpoints = 0;
  std::size_t i = 0;
  for (; i < lines.size() && checkpoints < 5; ++i) {
    crashed += lines[i] + "\n";
    if (lines[i].find("\"checkpoint\"") != std::string::npos) ++checkpoints;
  }
  ASSERT_EQ(checkpoints, 5);
  crashed += lines[i] + "\n" + lines[i + 1].substr(0, lines[i + 1].size() / 2);
  write_file(dir / "j.jsonl", crashed);
  const auto r = run_tickpipe("replay -c " + cfg + " " + cap + " --journal " + dir / "j.jsonl" + " --resume");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(read_file(dir / "j.jsonl"), reference);
}

TEST(Recovery, ResumingAJournalOfAnotherRunFailsClearly) {
  TempDir dir;
  const std::string cfg = config_with_checkpoints(dir);
  const std::string cap = std::string(TP_SOURCE_DIR) + "/samples/binance-btcusdt-3200.pcap";
  ASSERT_EQ(run_tickpipe("replay -c " + cfg + " " + cap + " --journal " + dir / "j.jsonl").status, 0);
  // Another configuration (no inventory: no orders) cannot reproduce that journal.
  write_file(dir / "other.toml", "[[symbols]]\nname = \"BTCUSDT\"\nlot_step = \"0.00001\"\n[journal]\ncheckpoint_events = 100\n");
  const auto r = run_tickpipe("replay -c " + dir / "other.toml" + " " + cap + " --journal " + dir / "j.jsonl" + " --resume");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("does not match this run"), std::string::npos) << r.output;
}

TEST(Recovery, ResumeWithoutAJournalStartsFromTheBeginningAndThreadedIsRefused) {
  TempDir dir;
  const std::string cap = std::string(TP_SOURCE_DIR) + "/samples/binance-btcusdt-3200.pcap";
  auto r = run_tickpipe("replay -c " + kSampleConfig + " " + cap + " --journal " + dir / "new.jsonl" + " --resume");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_FALSE(read_file(dir / "new.jsonl").empty());
  r = run_tickpipe("replay -c " + kSampleConfig + " " + cap + " --mode threaded --journal " + dir / "t.jsonl" + " --resume");
  EXPECT_EQ(r.status, 2) << r.output;
}

}  // namespace
}  // namespace tp
