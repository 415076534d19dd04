// The kill switch while the threaded pipeline runs: from another thread through the control queue,
// and from outside through SIGUSR2 (issue 4).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "app/engine_runner.hpp"
#include "cli_runner.hpp"

namespace tp {
namespace {

const std::string kSample = std::string(TP_SOURCE_DIR) + "/samples/binance-btcusdt-3200.pcap";
const std::string kSampleConfig = std::string(TP_SOURCE_DIR) + "/config/sample.toml";

TEST(KillSwitch, FromAnotherThreadWhileTheThreadedPipelineRuns) {
  testing::TempDir dir;
  const Config cfg = load_config_file(kSampleConfig);
  ControlQueue control;
  ReplayOptions opt;
  opt.captures = {kSample};
  opt.mode = ReplayMode::Threaded;
  opt.journal_path = dir / "j.jsonl";
  opt.speed = 50;  // ~0.6 s of replay
  opt.control = &control;
  RunReport rep;
  std::thread run([&] { rep = run_replay(cfg, opt); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_TRUE(control.push({TradingState::Halted, true}));
  run.join();

  ASSERT_FALSE(rep.state_history.empty());
  EXPECT_EQ(rep.state_history[0].to, TradingState::Halted);
  EXPECT_EQ(rep.state_history[0].reason, StateReason::KillSwitch);
  EXPECT_EQ(rep.final_state, TradingState::Halted);
  EXPECT_EQ(rep.symbols[0].position.qty, 0) << "flattened";
  const std::string journal = testing::read_file(dir / "j.jsonl");
  EXPECT_NE(journal.find(R"("from":"ACTIVE","to":"HALTED","reason":"kill_switch")"), std::string::npos);
  EXPECT_NE(journal.find(R"("reason":"kill_switch","client_order_id")"), std::string::npos) << journal;
  EXPECT_EQ(rep.open_orders_at_end, 0u);
}

TEST(KillSwitch, Sigusr2HaltsAndFlattensARunningReplay) {
  testing::TempDir dir;
  const std::string journal = dir / "j.jsonl";
  const std::string report = dir / "r.json";
  const pid_t pid =
      testing::spawn_tickpipe({"replay", "--mode", "threaded", "--speed", "50x", "--journal", journal, "--report", report});
  ASSERT_GT(pid, 0);
  // Signalled once the pipeline runs (its journal has its first record), never after a guessed sleep.
  ASSERT_TRUE(testing::wait_for_lines(pid, journal, 1));
  ASSERT_EQ(kill(pid, SIGUSR2), 0);
  const testing::ChildExit e = testing::wait_exit(pid);
  ASSERT_EQ(e.signal, -1) << "the signal must not kill the engine";
  EXPECT_EQ(e.code, 0);
  const auto rep = nlohmann::json::parse(testing::read_file(report));
  EXPECT_EQ(rep["trading_state"], "HALTED");
  ASSERT_FALSE(rep["state_history"].empty());
  EXPECT_EQ(rep["state_history"][0]["reason"], "kill_switch");
  EXPECT_EQ(rep["symbols"][0]["position"], "0.00000000");
  const std::string text = testing::read_file(journal);
  EXPECT_NE(text.find(R"("state":"HALTED","flatten":true,"source":"SIGUSR2"})"), std::string::npos) << text;
}

// True once the process `pid` has a handler for `sig` (/proc/PID/status, SigCgt): the moment main
// has installed the engine's handlers, long before the pipeline exists.
bool catches(pid_t pid, int sig) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("SigCgt:", 0) == 0) return (std::stoull(line.substr(7), nullptr, 16) >> (sig - 1)) & 1;
  return false;
}

// A production engine is signalled at any moment, start-up included: the handlers are installed
// first thing in main, so a kill switch that arrives before the pipeline exists waits for it.
TEST(KillSwitch, Sigusr2DuringStartUpIsAppliedNotFatal) {
  testing::TempDir dir;
  const std::string journal = dir / "j.jsonl";
  const pid_t pid = testing::spawn_tickpipe({"replay", "--speed", "50x", "--journal", journal});
  ASSERT_GT(pid, 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!catches(pid, SIGUSR2) && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  ASSERT_TRUE(catches(pid, SIGUSR2)) << "main installs the handlers first";
  ASSERT_FALSE(std::filesystem::exists(journal)) << "signalled during start-up, before the journal exists";
  ASSERT_EQ(kill(pid, SIGUSR2), 0);
  const testing::ChildExit e = testing::wait_exit(pid);
  ASSERT_EQ(e.signal, -1) << "killed by signal " << e.signal;
  ASSERT_EQ(e.code, 0);
  const std::string text = testing::read_file(journal);
  EXPECT_NE(text.find(R"("state":"HALTED","flatten":true,"source":"SIGUSR2"})"), std::string::npos) << text;
}

}  // namespace
}  // namespace tp
