// `tickpipe bench` end to end, and the threaded pipeline under every wait strategy and placement
// option the configuration offers.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "app/engine_runner.hpp"
#include "core/config/config.hpp"
#include "core/threads/thread_affinity.hpp"
#include "tests/app/cli_runner.hpp"

namespace tp {
namespace {

using testing::read_file;
using testing::run_tickpipe;
using testing::TempDir;
using testing::write_file;

const std::string kStages[] = {"decode", "to_strategy", "strategy", "to_gateway", "gateway", "tick_to_trade"};

TEST(BenchCommand, PrintsEveryStageAndWritesJsonAndHtml) {
  TempDir dir;
  const auto r = run_tickpipe("bench --warmup 200 --rate 50000 --journal " + dir / "j.jsonl" + " --report " +
                              dir / "lat.json");
  ASSERT_EQ(r.status, 0) << r.output;
  for (const auto& s : kStages) EXPECT_NE(r.output.find("\n" + s + " "), std::string::npos) << s << "\n" << r.output;
  EXPECT_NE(r.output.find("p99.99"), std::string::npos);

  const auto j = nlohmann::json::parse(read_file(dir / "lat.json"));
  ASSERT_EQ(j["stages"].size(), 6u);
  EXPECT_EQ(j["warmup_events"], 200);
  for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(j["stages"][i]["name"], kStages[i]);
  // Every stamped event passes the first three stages; the bench config trades, so orders do too.
  // 3,201 messages: the subscription ack and the REST snapshot (both in the warm-up) make no event.
  EXPECT_EQ(j["stages"][0]["count"], 3201 - 200);
  EXPECT_EQ(j["stages"][1]["count"], 3201 - 200);
  EXPECT_EQ(j["stages"][2]["count"], 3201 - 200);
  EXPECT_GT(j["stages"][5]["count"].get<uint64_t>(), 0u);
  EXPECT_EQ(j["stages"][5]["count"], j["stages"][4]["count"]);
  EXPECT_LE(j["stages"][0]["p50_ns"].get<uint64_t>(), j["stages"][1]["p50_ns"].get<uint64_t>());

  const std::string html = read_file(dir / "lat.html");
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
}

TEST(BenchCommand, BadArgumentsAreUsageErrors) {
  EXPECT_EQ(run_tickpipe("bench --repeat 0").status, 2);
  EXPECT_EQ(run_tickpipe("bench --mode sideways").status, 2);
  EXPECT_EQ(run_tickpipe("bench " + std::string(TP_SOURCE_DIR) + "/samples/binance-btcusdt-3200.pcap").status, 2)
      << "a capture needs -c CONFIG";
  EXPECT_EQ(run_tickpipe("bench --report /nonexistent-dir/x.json").status, 1);
  // A negative count is a usage error, not 2^64 - 1 (which measured nothing and exited 0).
  const auto r = run_tickpipe("bench --warmup -1");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("--warmup"), std::string::npos) << r.output;
}

// The threaded replay finishes with every order answered under each wait strategy.
class ThreadedWait : public ::testing::TestWithParam<WaitKind> {};

TEST_P(ThreadedWait, EveryOrderIsAnsweredAndEveryEventSeen) {
  TempDir dir;
  Config cfg = load_config_file(std::string(TP_SOURCE_DIR) + "/config/bench.toml");
  cfg.threads.feed_wait = cfg.threads.strategy_wait = cfg.threads.gateway_wait = GetParam();
  ReplayOptions opt;
  opt.captures = {std::string(TP_SOURCE_DIR) + "/samples/binance-btcusdt-3200.pcap"};
  opt.mode = ReplayMode::Threaded;
  opt.packet_rate = 50000;  // paced, so fills come back before the next entry signal (as live)
  opt.journal_path = dir / "j.jsonl";
  const RunReport r = run_replay(cfg, opt);
  EXPECT_EQ(r.events, 3199u);
  EXPECT_EQ(r.open_orders_at_end, 0u);
  EXPECT_GT(r.gateway.orders, 0u);  // how many depends on timing: fills arrive when they arrive
  EXPECT_EQ(r.fills, r.gateway.accepted);
  // Three busy-spinning stages on a machine without a spare CPU get the placement warning.
  bool warned = false;
  for (const auto& w : r.warnings) warned = warned || w.find("busy") != std::string::npos;
  const bool crowded = GetParam() == WaitKind::BusySpin && allowed_cpus().size() <= 3;
  EXPECT_EQ(warned, crowded);
}

INSTANTIATE_TEST_SUITE_P(Kinds, ThreadedWait,
                         ::testing::Values(WaitKind::BusySpin, WaitKind::SpinThenYield, WaitKind::Blocking),
                         [](const ::testing::TestParamInfo<WaitKind>& i) {
                           return std::string(i.param == WaitKind::BusySpin        ? "BusySpin"
                                              : i.param == WaitKind::SpinThenYield ? "SpinThenYield"
                                                                                   : "Blocking");
                         });

// SCHED_FIFO and mlockall are honoured or warned about, never fatal (a separate process: mlockall
// would stay in force in this one).
TEST(BenchCommand, RealTimeAndLockedMemoryRunOrWarn) {
  TempDir dir;
  std::string cfg = read_file(std::string(TP_SOURCE_DIR) + "/config/bench.toml");
  cfg += "sched_fifo_priority = 5\nlock_memory = true\nstrategy_wait = \"blocking\"\n";
  write_file(dir / "c.toml", cfg);
  const auto r = run_tickpipe("bench " + std::string(TP_SOURCE_DIR) + "/samples/binance-btcusdt-3200.pcap -c " +
                              dir / "c.toml" + " --warmup 100 --journal " + dir / "j.jsonl");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("strategy=blocking"), std::string::npos) << r.output;
  // Whatever the machine refused is a warning that says what to change, nothing else.
  for (std::size_t at = r.output.find("warning: "); at != std::string::npos; at = r.output.find("warning: ", at + 1)) {
    const std::string line = r.output.substr(at, r.output.find('\n', at) - at);
    EXPECT_TRUE(line.find("SCHED_FIFO") != std::string::npos || line.find("RLIMIT_MEMLOCK") != std::string::npos)
        << line;
  }
}

TEST(BenchCommand, ConfigRejectsUnknownWaitAndPriority) {
  EXPECT_THROW(parse_config("[threads]\nwait = \"nap\"\n", "t"), ConfigError);
  EXPECT_THROW(parse_config("[threads]\ngateway_wait = \"nap\"\n", "t"), ConfigError);
  EXPECT_THROW(parse_config("[threads]\nsched_fifo_priority = 100\n", "t"), ConfigError);
  const Config c = parse_config(
      "[[symbols]]\nname = \"BTCUSDT\"\nlot_step = \"0.00001\"\n[threads]\nwait = \"blocking\"\nfeed_wait = \"busy_spin\"\n",
      "t");
  EXPECT_EQ(c.threads.feed_wait, WaitKind::BusySpin);
  EXPECT_EQ(c.threads.strategy_wait, WaitKind::Blocking);
  EXPECT_EQ(c.threads.gateway_wait, WaitKind::Blocking);
}

}  // namespace
}  // namespace tp

namespace tp {
namespace {

// SPEC §7: the run report carries latency percentiles when the run was measured.
TEST(ReplayLatency, ReportCarriesPercentilesWhenMeasured) {
  TempDir dir;
  const auto r = testing::run_tickpipe("replay --latency --journal " + dir / "j.jsonl" + " --report " + dir / "r.json");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("\ntick_to_trade "), std::string::npos) << r.output;
  const auto j = nlohmann::json::parse(testing::read_file(dir / "r.json"));
  ASSERT_TRUE(j.contains("latency"));
  ASSERT_EQ(j["latency"]["stages"].size(), 6u);
  EXPECT_EQ(j["latency"]["stages"][0]["count"], 3199);  // every message that became an event
  EXPECT_EQ(j["latency"]["stages"][2]["count"], 3199);  // every event
  EXPECT_EQ(j["latency"]["stages"][5]["count"], 3);     // the sample's three profit takes
  // Measuring changes nothing else: the same journal as an unmeasured run.
  const auto plain = testing::run_tickpipe("replay --journal " + dir / "k.jsonl");
  ASSERT_EQ(plain.status, 0) << plain.output;
  EXPECT_EQ(testing::read_file(dir / "j.jsonl"), testing::read_file(dir / "k.jsonl"));
}

TEST(ReplayLatency, UnmeasuredReportHasNoLatency) {
  TempDir dir;
  const auto r = testing::run_tickpipe("replay --journal " + dir / "j.jsonl" + " --report " + dir / "r.json");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_FALSE(nlohmann::json::parse(testing::read_file(dir / "r.json")).contains("latency"));
}

}  // namespace
}  // namespace tp
