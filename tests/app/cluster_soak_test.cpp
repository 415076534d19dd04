// Soak (issue 14): several live instances trading on every tick (config/bench.toml) against a real
// WebSocket venue, all in one firm over a real redis-server, for TP_SOAK_SECONDS (default 20; run
// it for minutes with TP_SOAK_SECONDS=300). Checks that each instance's memory stays flat once warm
// (not under the sanitizers, whose own bookkeeping grows), that its link stayed up and kept its
// heartbeat, and that each Redis Stream equals its journal file, record for record.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "../peers/redis_server.hpp"
#include "../peers/ws_market_server.hpp"
#include "cli_runner.hpp"
#include "soak_checks.hpp"
#include "journal_checks.hpp"

namespace tp {
namespace {

using testing::kSanitized;
using testing::rss_kib;

TEST(ClusterSoak, SeveralInstancesStayLinkedAndFlatAndTheirStreamsEqualTheirJournals) {
  const char* env = std::getenv("TP_SOAK_SECONDS");
  const int seconds = env != nullptr ? std::max(8, std::atoi(env)) : 20;
  constexpr int kInstances = 3;
  testing::RedisServer redis;
  testing::TempDir dir;
  testing::WsMarketServer venue({"--messages",
                                 std::string(TP_SOURCE_DIR) + "/tests/data/binance/spot_btcusdt_20240808_head400.txt",
                                 "--repeat", "0", "--rate", "2000", "--max-seconds", std::to_string(seconds + 60)});
  std::vector<pid_t> pids;
  for (int i = 0; i < kInstances; ++i) {
    const std::string name = "soak-" + std::to_string(i);
    testing::write_file(dir / (name + ".toml"),
                        testing::read_file(std::string(TP_SOURCE_DIR) + "/config/bench.toml") + "\n[live]\nurl = \"" +
                            venue.url("/stream") + "\"\n[cluster]\nredis_url = \"" + redis.url() + "\"\ninstance = \"" +
                            name + "\"\nfirm_daily_loss_limit = \"100000000\"\nheartbeat_ms = 20\n");
    pids.push_back(testing::spawn_tickpipe({"live", "-c", dir / (name + ".toml"), "--duration", std::to_string(seconds),
                                           "--journal", dir / (name + ".jsonl"), "--report", dir / (name + ".json")},
                                          dir / (name + ".err")));
    ASSERT_GT(pids.back(), 0);
  }
  std::this_thread::sleep_for(std::chrono::seconds(4));
  std::vector<long> warm, peak;
  for (const pid_t p : pids) warm.push_back(rss_kib(p));
  peak = warm;
  for (int s = 4; s < seconds - 1; ++s) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    for (std::size_t i = 0; i < pids.size(); ++i) peak[i] = std::max(peak[i], rss_kib(pids[i]));
  }
  for (int i = 0; i < kInstances; ++i) {
    const std::string name = "soak-" + std::to_string(i);
    SCOPED_TRACE(name);
    const testing::ChildExit e = testing::wait_exit(pids[static_cast<std::size_t>(i)]);
    const std::string err = testing::read_file(dir / (name + ".err"));
    ASSERT_EQ(e.code, 0) << err.substr(0, 3000);
    EXPECT_EQ(err.find("event=cluster_down"), std::string::npos) << err.substr(0, 3000);
    const std::string journal = testing::read_file(dir / (name + ".jsonl"));
    testing::expect_complete_journal(journal);
    const auto lines = testing::split_lines(journal);
    EXPECT_GT(lines.size(), 1u) << "the instance traded";
    EXPECT_EQ(redis.xrange_values("tickpipe:journal:" + name, "r"), lines);
    std::printf("%s: %d s, %zu journal records streamed, RSS %ld -> %ld KiB\n", name.c_str(), seconds, lines.size(),
                warm[static_cast<std::size_t>(i)], peak[static_cast<std::size_t>(i)]);
    if (!kSanitized) {
      EXPECT_LE(peak[static_cast<std::size_t>(i)] - warm[static_cast<std::size_t>(i)], 4096)
          << "RSS grew from " << warm[static_cast<std::size_t>(i)] << " KiB to " << peak[static_cast<std::size_t>(i)];
    }
  }
  const std::string seen = redis.command({"HLEN", "tickpipe:firm:seen"});
  EXPECT_EQ(seen, std::to_string(kInstances));
}

}  // namespace
}  // namespace tp
