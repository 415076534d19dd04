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
using testing::spawn_tickpipe;
using testing::wait_exit;
using testing::wait_for_lines;
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
  // Killed once it has written its third checkpoint (~300 of the 3,200 events, a tenth of the run).
  ASSERT_TRUE(wait_for_lines(pid, dir / "crash.jsonl", 3, "\"event\":\"checkpoint\""));
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  ASSERT_EQ(wait_exit(pid).signal, SIGKILL) << "the run finished before it was killed: make it slower";

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

// Operator commands are inputs (issue 9): a kill switch taken during a run is journaled with the
// event it followed, made durable by a checkpoint, and applied again at that event by --resume.
// The reference is a run that took SIGUSR2 and finished; a crash anywhere after the command's
// checkpoint must resume to exactly that journal.
TEST(Recovery, ResumeAfterAKillSwitchReappliesTheCommandAtTheSameEvent) {
  TempDir dir;
  const std::string cfg = config_with_checkpoints(dir);
  const std::string cap = std::string(TP_SOURCE_DIR) + "/samples/binance-btcusdt-3200.pcap";
  const std::string ref_path = dir / "ref.jsonl";
  const pid_t pid = spawn_tickpipe({"replay", "-c", cfg, cap, "--speed", "20x", "--journal", ref_path});
  ASSERT_TRUE(wait_for_lines(pid, ref_path, 3, "\"event\":\"checkpoint\""));
  ASSERT_EQ(kill(pid, SIGUSR2), 0);
  ASSERT_EQ(wait_exit(pid).code, 0);
  const std::string reference = read_file(ref_path);
  const auto lines = split_lines(reference);
  std::size_t command = lines.size();
  for (std::size_t i = 0; i < lines.size(); ++i)
    if (lines[i].find("\"event\":\"command\"") != std::string::npos) command = i;
  ASSERT_LT(command, lines.size()) << reference;
  EXPECT_NE(lines[command].find(R"("state":"HALTED","flatten":true,"source":"SIGUSR2"})"), std::string::npos);

  // Crashes after the command: at the checkpoint that follows it, at a later checkpoint with a
  // record and a torn line after it, and with the whole journal there.
  std::vector<std::size_t> checkpoints_after;
  for (std::size_t i = command; i < lines.size(); ++i)
    if (lines[i].find("\"event\":\"checkpoint\"") != std::string::npos) checkpoints_after.push_back(i);
  ASSERT_GE(checkpoints_after.size(), 2u);
  const std::size_t cuts[] = {checkpoints_after.front(), checkpoints_after[checkpoints_after.size() / 2],
                              lines.size() - 1};
  for (const std::size_t cut : cuts) {
    std::string crashed;
    for (std::size_t i = 0; i <= cut; ++i) crashed += lines[i] + "\n";
    if (cut + 1 < lines.size()) crashed += lines[cut + 1].substr(0, lines[cut + 1].size() / 2);
    write_file(dir / "j.jsonl", crashed);
    const auto r = run_tickpipe("replay -c " + cfg + " " + cap + " --journal " + dir / "j.jsonl" + " --resume --report " +
                                dir / "r.json");
    ASSERT_EQ(r.status, 0) << "cut after line " << cut << ": " << r.output;
    EXPECT_EQ(read_file(dir / "j.jsonl"), reference) << "cut after line " << cut;
    const auto rep = nlohmann::json::parse(read_file(dir / "r.json"));
    EXPECT_EQ(rep["trading_state"], "HALTED");
  }
}

// The issue's own sequence: SIGUSR2, then SIGKILL, then --resume: the resumed run succeeds and the
// command is in the journal once.
TEST(Recovery, KillSwitchThenSigkillThenResume) {
  TempDir dir;
  const std::string cfg = config_with_checkpoints(dir);
  const std::string cap = std::string(TP_SOURCE_DIR) + "/samples/binance-btcusdt-3200.pcap";
  const std::string journal = dir / "j.jsonl";
  const pid_t pid = spawn_tickpipe({"replay", "-c", cfg, cap, "--speed", "20x", "--journal", journal});
  ASSERT_TRUE(wait_for_lines(pid, journal, 2, "\"event\":\"checkpoint\""));
  ASSERT_EQ(kill(pid, SIGUSR2), 0);
  ASSERT_TRUE(wait_for_lines(pid, journal, 1, "\"event\":\"command\""));
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  ASSERT_EQ(wait_exit(pid).signal, SIGKILL) << "the run finished before it was killed: make it slower";
  const auto r = run_tickpipe("replay -c " + cfg + " " + cap + " --journal " + journal + " --resume --report " +
                              dir / "r.json");
  ASSERT_EQ(r.status, 0) << r.output;
  const std::string text = read_file(journal);
  std::size_t commands = 0;
  for (const auto& l : split_lines(text)) commands += l.find("\"event\":\"command\"") != std::string::npos;
  EXPECT_EQ(commands, 1u) << text;
  const auto rep = nlohmann::json::parse(read_file(dir / "r.json"));
  EXPECT_EQ(rep["trading_state"], "HALTED");
  EXPECT_EQ(rep["symbols"][0]["position"], "0.00000000");
}

}  // namespace
}  // namespace tp
