// Soak (issue 10): a live session at a high message rate whose connection is dropped again and again
// (every 20,000 messages), bounded in time (TP_SOAK_SECONDS, default 20). Checks that the engine's
// memory stays flat once warm (not under the sanitizers, whose own bookkeeping grows), that every
// message a dropped connection delivered before its drop was received (nothing lost), and that the
// journal is complete.
#include <signal.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "../peers/ws_market_server.hpp"
#include "cli_runner.hpp"
#include "soak_checks.hpp"

namespace tp {
namespace {

using testing::kSanitized;
using testing::rss_kib;

TEST(LiveSoak, ManyDropsAtAHighRateLoseNothingAndMemoryStaysFlat) {
  const char* env = std::getenv("TP_SOAK_SECONDS");
  const int seconds = env != nullptr ? std::max(5, std::atoi(env)) : 20;
  constexpr int kPerConnection = 20000;
  testing::TempDir dir;
  testing::WsMarketServer server(
      {"--messages", std::string(TP_SOURCE_DIR) + "/tests/data/binance/spot_btcusdt_20240808_head400.txt", "--repeat",
       "0", "--fault", "drop", "--fault-every", "--fault-after", std::to_string(kPerConnection), "--log-connections",
       dir / "conns.txt", "--max-seconds", std::to_string(seconds + 60)});
  testing::write_file(dir / "c.toml", testing::read_file(std::string(TP_SOURCE_DIR) + "/config/sample.toml") +
                                          "\n[live]\nurl = \"" + server.url("/stream") +
                                          "\"\nreconnect_min_ms = 5\nreconnect_max_ms = 20\n");
  const pid_t pid = testing::spawn_tickpipe({"live", "-c", dir / "c.toml", "--duration", std::to_string(seconds),
                                            "--journal", dir / "j.jsonl", "--report", dir / "r.json"},
                                           dir / "err.txt");
  ASSERT_GT(pid, 0);
  // Memory: the first sample after a warm-up, then the largest later one.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const long warm = rss_kib(pid);
  long peak = warm;
  for (int i = 3; i < seconds - 1; ++i) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    peak = std::max(peak, rss_kib(pid));
  }
  const testing::ChildExit e = testing::wait_exit(pid);
  ASSERT_EQ(e.code, 0) << testing::read_file(dir / "err.txt").substr(0, 2000);
  const auto rep = nlohmann::json::parse(testing::read_file(dir / "r.json"));
  const auto& live = rep["live"];
  const uint64_t connects = live["connects"].get<uint64_t>();
  EXPECT_GE(connects, 3u) << live.dump() << " (the rate was too low for several drops)";
  EXPECT_EQ(live["connect_failures"], 0) << live.dump();

  // Nothing lost: every dropped connection delivered exactly its kPerConnection messages first.
  uint64_t faults = 0;
  for (const auto& l : testing::split_lines(testing::read_file(dir / "conns.txt"))) {
    const auto j = nlohmann::json::parse(l);
    if (j["event"] == "fault") {
      ++faults;
      EXPECT_EQ(j["after"], kPerConnection) << l;
    }
  }
  const uint64_t received = rep["messages"]["by_type"]["book_ticker"].get<uint64_t>() +
                            rep["messages"]["by_type"]["trade"].get<uint64_t>() +
                            rep["messages"]["by_type"]["depth_update"].get<uint64_t>() +
                            rep["messages"]["by_type"]["depth_snapshot"].get<uint64_t>();
  // A connection the engine moved on from was read to its end (the drop's EOF) first; the last one
  // may have faulted after the session stopped reading (slow builds), so it is not counted.
  const uint64_t completed = std::min<uint64_t>(faults, connects - 1);
  EXPECT_GE(received, completed * kPerConnection) << "messages delivered before a drop were lost";
  EXPECT_LE(received, connects * kPerConnection);
  // Every connection but the last was acknowledged; the last may have been opened just before the
  // session's end, its ack still on the way.
  const uint64_t acks = rep["messages"]["by_type"]["subscription_ack"].get<uint64_t>();
  EXPECT_GE(acks, connects - 1);
  EXPECT_LE(acks, connects);

  std::printf("soak: %d s, %llu connections, %llu messages, RSS %ld -> %ld KiB\n", seconds,
              static_cast<unsigned long long>(connects), static_cast<unsigned long long>(received), warm, peak);
  if (!kSanitized) {
    EXPECT_LE(peak - warm, 4096) << "RSS grew from " << warm << " KiB to " << peak << " KiB";
  }
  const std::string journal = testing::read_file(dir / "j.jsonl");
  ASSERT_FALSE(journal.empty());
  EXPECT_NE(testing::split_lines(journal).back().find("\"event\":\"checkpoint\""), std::string::npos);
}

}  // namespace
}  // namespace tp
