// [cluster] end to end (issue 14, SPEC §13): tickpipe processes replaying real captures at --speed
// pacing, linked through a real redis-server started here (tests/peers/redis_server.hpp).
//  - Three instances, each within its own daily loss limit, whose sum breaks the firm's: all three
//    halt (a `command` record from source "cluster", then HALTED), and each Redis Stream equals its
//    journal file.
//  - Redis killed mid-run and restarted: the instance fails closed (REDUCING) after
//    fail_closed_after_ms, is ACTIVE again once Redis is back, and its stream equals its journal.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "../peers/redis_server.hpp"
#include "cli_runner.hpp"
#include "journal_checks.hpp"

namespace tp {
namespace {

using namespace std::chrono_literals;

// The sample's configuration with a position of `qty` BTC (no profit taking: one far level), its
// own daily loss limit, and [cluster].
std::string replace_once(std::string s, const std::string& from, const std::string& to) {
  const std::size_t at = s.find(from);
  if (at == std::string::npos) throw std::logic_error("config/sample.toml has no '" + from + "'");
  return s.replace(at, from.size(), to);
}

std::string instance_config(const testing::RedisServer& redis, const std::string& name, const std::string& qty,
                            const std::string& own_limit, const std::string& firm_limit) {
  std::string toml = testing::read_file(std::string(TP_SOURCE_DIR) + "/config/sample.toml");
  toml = replace_once(toml, "qty = \"0.5\"", "qty = \"" + qty + "\"");
  toml = replace_once(toml, "entry_price = \"58880\"", "entry_price = \"61800\"");
  const std::size_t levels = toml.find("levels = [");
  const std::size_t end = toml.find("\n]", levels);
  toml.replace(levels, end + 2 - levels, "levels = [ { gain_pct = 50.0, reduce_fraction = 0.3 } ]");
  toml = replace_once(toml, "taker_fee_bps = 10", "taker_fee_bps = 0");  // flattening costs no fee
  toml = replace_once(toml, "[risk]\n", "[risk]\ndaily_loss_limit = \"" + own_limit + "\"\n");
  toml += "\n[cluster]\nredis_url = \"" + redis.url() + "\"\ninstance = \"" + name + "\"\nfirm_daily_loss_limit = \"" +
          firm_limit + "\"\nfail_closed_after_ms = 500\nheartbeat_ms = 20\ninstance_ttl_ms = 5000\n";
  return toml;
}

std::vector<std::string> journal_lines(const std::string& path) { return testing::split_lines(testing::read_file(path)); }

bool has_line(const std::vector<std::string>& lines, const std::string& a, const std::string& b = "") {
  for (const std::string& l : lines)
    if (l.find(a) != std::string::npos && l.find(b) != std::string::npos) return true;
  return false;
}

TEST(ClusterReplay, ThreeInstancesWithinTheirOwnLimitsHaltWhenTheirSumBreaksTheFirms) {
  testing::RedisServer redis;
  testing::TempDir dir;
  const char* keep = std::getenv("TP_KEEP_DIR");
  struct Instance {
    std::string name, capture, qty, own_limit, speed;
    pid_t pid = -1;
  };
  // A long of 10 BTC on the sample (~31 s of real data) and on two loopback captures of its first
  // ~0.9 s (framed plainly and with permessage-deflate), all paced at 0.25x: the bid first falls,
  // so each instance loses up to ~136 over seconds 0.7-3 of the run and never reaches its own
  // limit of 200, while the three together pass the firm's 300.
  const std::string loopback = std::string(TP_SOURCE_DIR) + "/tests/data/derived-loopback/";
  std::vector<Instance> inst = {
      {"a", std::string(TP_SOURCE_DIR) + "/samples/binance-btcusdt-3200.pcap", "10", "200", "0.25x"},
      {"b", loopback + "binance_spot_ws_plain_8080.pcap", "10", "200", "0.25x"},
      {"c", loopback + "binance_spot_ws_permessage_deflate_9001.pcap", "10", "200", "0.25x"}};
  for (Instance& i : inst) {
    testing::write_file(dir / (i.name + ".toml"), instance_config(redis, i.name, i.qty, i.own_limit, "300"));
    i.pid = testing::spawn_tickpipe({"replay", i.capture, "-c", dir / (i.name + ".toml"), "--speed", i.speed,
                                     "--journal", dir / (i.name + ".jsonl"), "--report", dir / (i.name + ".json")},
                                    dir / (i.name + ".err"));
    ASSERT_GT(i.pid, 0);
  }
  // The sample goes on for two minutes at this pace: once every instance reports HALTED, it is
  // stopped (SIGTERM: a complete journal all the same).
  const auto until = std::chrono::steady_clock::now() + 60s;
  auto all_halted = [&] {
    for (const Instance& i : inst) {
      try {
        if (redis.command({"HGET", "tickpipe:instance:" + i.name, "state"}) != "HALTED") return false;
      } catch (const std::runtime_error&) {
        return false;
      }
    }
    return true;
  };
  while (!all_halted() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(20ms);
  ::kill(inst[0].pid, SIGTERM);
  for (Instance& i : inst) {
    const testing::ChildExit e = testing::wait_exit(i.pid);
    ASSERT_EQ(e.code, 0) << i.name << ": " << testing::read_file(dir / (i.name + ".err")).substr(0, 3000);
  }
  if (keep != nullptr) {  // TP_KEEP_DIR=DIR: the instances' files, to look at
    [[maybe_unused]] const int rc = std::system(("cp -r " + dir / "." + " " + keep).c_str());
  }
  EXPECT_EQ(redis.command({"HGET", "tickpipe:firm:state", "state"}), "HALTED");
  EXPECT_EQ(redis.command({"HGET", "tickpipe:firm:state", "reason"}), "firm_loss_limit");
  // The first breach (the firm's event stream keeps every one; a later one may follow if the sum
  // went back above the limit and down again).
  const std::vector<std::string> breaches = redis.xrange_values("tickpipe:firm:events", "at_ms");
  ASSERT_FALSE(breaches.empty());
  const int64_t breach_ms = std::stoll(breaches.front());
  int64_t last_halt_ms = 0;
  for (const Instance& i : inst) {
    SCOPED_TRACE(i.name);
    const auto lines = journal_lines(dir / (i.name + ".jsonl"));
    EXPECT_TRUE(has_line(lines, "\"event\":\"command\"", "\"source\":\"cluster\"")) << "no cluster command";
    EXPECT_TRUE(has_line(lines, "\"event\":\"state\"", "\"to\":\"HALTED\""));
    EXPECT_FALSE(has_line(lines, "\"reason\":\"loss_limit\"")) << "its own limit was not to be reached";
    testing::expect_complete_journal(testing::read_file(dir / (i.name + ".jsonl")));
    const auto rep = nlohmann::json::parse(testing::read_file(dir / (i.name + ".json")));
    EXPECT_EQ(rep["trading_state"], "HALTED") << rep.dump().substr(0, 500);
    // The stream is the journal, record for record.
    EXPECT_EQ(redis.xrange_values("tickpipe:journal:" + i.name, "r"), lines);
    // When it acted on the firm's halt (its log's wall clock; the breach's is Redis's, same host).
    const std::string err = testing::read_file(dir / (i.name + ".err"));
    const std::size_t at = err.find("event=cluster_firm_state state=HALTED gen=1 ");
    ASSERT_NE(at, std::string::npos) << err.substr(0, 3000);
    const std::size_t ts = err.rfind("ts=", at);
    std::tm tm{};
    const std::string stamp = err.substr(ts + 3, 30);
    strptime(stamp.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    const int64_t ms = static_cast<int64_t>(timegm(&tm)) * 1000 + std::stoll(stamp.substr(20, 3));
    last_halt_ms = std::max(last_halt_ms, ms);
  }
  std::printf("firm state: %s\n", redis.command({"HGETALL", "tickpipe:firm:state"}).c_str());
  std::printf("breach to the last instance's halt: %lld ms (heartbeat 20 ms)\n",
              static_cast<long long>(last_halt_ms - breach_ms));
}

TEST(ClusterReplay, RedisKilledMidRunFailsClosedThenRecoversAndTheStreamEqualsTheJournal) {
  testing::RedisServer redis;
  testing::TempDir dir;
  testing::write_file(dir / "x.toml", instance_config(redis, "x", "0.5", "100000", "100000"));
  const pid_t pid = testing::spawn_tickpipe({"replay", std::string(TP_SOURCE_DIR) + "/samples/binance-btcusdt-3200.pcap",
                                             "-c", dir / "x.toml", "--speed", "3x", "--journal", dir / "x.jsonl"},
                                            dir / "x.err");
  ASSERT_GT(pid, 0);
  // Running and linked, then Redis goes (not keyed to the journal: this position reaches no profit
  // level, so the journal's only line is the last checkpoint).
  const auto up_until = std::chrono::steady_clock::now() + 30s;
  while (testing::read_file(dir / "x.err").find("event=cluster_up ") == std::string::npos &&
         std::chrono::steady_clock::now() < up_until)
    std::this_thread::sleep_for(20ms);
  std::this_thread::sleep_for(500ms);
  redis.kill();
  // Down past fail_closed_after_ms (500): REDUCING; then Redis is back (empty: no persistence).
  const auto until = std::chrono::steady_clock::now() + 20s;
  while (testing::read_file(dir / "x.err").find("event=cluster_fail_closed ") == std::string::npos &&
         std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(20ms);
  redis.restart();
  const testing::ChildExit e = testing::wait_exit(pid);
  ASSERT_EQ(e.code, 0) << testing::read_file(dir / "x.err").substr(0, 3000);
  const std::string journal = testing::read_file(dir / "x.jsonl");
  testing::expect_complete_journal(journal);
  const auto lines = testing::split_lines(journal);
  EXPECT_TRUE(has_line(lines, "\"event\":\"command\"", "\"state\":\"REDUCING\",\"flatten\":false,\"source\":\"cluster\""));
  EXPECT_TRUE(has_line(lines, "\"event\":\"command\"", "\"state\":\"ACTIVE\",\"flatten\":false,\"source\":\"cluster\""));
  EXPECT_EQ(redis.xrange_values("tickpipe:journal:x", "r"), lines);
  const std::string err = testing::read_file(dir / "x.err");
  EXPECT_NE(err.find("event=cluster_down"), std::string::npos);
  EXPECT_NE(err.find("event=cluster_fail_closed_ended"), std::string::npos) << err.substr(0, 3000);
}

}  // namespace
}  // namespace tp
