// ClusterLink (ops/cluster/) against a real redis-server started here (tests/peers/redis_server.hpp),
// with a scripted engine behind ops::EngineView: the firm-wide limit halts every instance, the
// journal stream equals the journal file across a Redis crash and restart, an unreachable Redis
// fails closed after the configured time and is recovered from, and an operator's firm command is
// applied only with the admin token's signature.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "../peers/redis_server.hpp"
#include "scripted_engine.hpp"
#include "core/types/decimal.hpp"
#include "ops/cluster/cluster_auth.hpp"
#include "ops/cluster/cluster_keys.hpp"
#include "ops/cluster/cluster_link.hpp"
#include "ops/cluster/cluster_scripts.hpp"

namespace tp::ops {
namespace {

using namespace std::chrono_literals;
using testing::ScriptedEngine;

ClusterConfig cluster_config(const testing::RedisServer& redis, const std::string& instance) {
  ClusterConfig c;
  c.present = true;
  c.redis_url = redis.url();
  std::string why;
  c.redis = *parse_redis_url(c.redis_url, why);
  c.instance = instance;
  Fixed limit = 0;
  parse_fixed("1000", limit);
  c.firm_daily_loss_limit = limit;
  c.heartbeat_ms = 20;
  c.instance_ttl_ms = 2000;
  c.fail_closed_after_ms = 300;
  c.timeout_ms = 500;
  return c;
}

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds within = 5s) {
  const auto until = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

bool has(const std::vector<AdminAction>& v, AdminAction a) { return std::find(v.begin(), v.end(), a) != v.end(); }

TEST(ClusterLink, TheFirmLimitHaltsEveryInstanceWhenOnlyTheSumBreaksIt) {
  testing::RedisServer redis;
  ScriptedEngine a, b, c;
  a.set_day_pnl("-400");
  b.set_day_pnl("-350");
  c.set_day_pnl("-200");
  ClusterLink la({cluster_config(redis, "a"), "", "", "", true}, a);
  ClusterLink lb({cluster_config(redis, "b"), "", "", "", true}, b);
  ClusterLink lc({cluster_config(redis, "c"), "", "", "", true}, c);
  la.start();
  lb.start();
  lc.start();
  ASSERT_TRUE(eventually([&] { return lc.status().firm_live_instances.load() == 3; }));
  // -950: within the firm's 1000; each instance within its own.
  std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(a.commands().empty());
  EXPECT_EQ(redis.command({"HGET", "tickpipe:firm:state", "state"}), "(nil)");
  const auto inst = nlohmann::json::parse(redis.command({"HGETALL", "tickpipe:instance:b"}));
  EXPECT_NE(std::find(inst.begin(), inst.end(), "-350"), inst.end()) << inst.dump();
  const long long ttl = std::stoll(redis.command({"PTTL", "tickpipe:instance:b"}));
  EXPECT_GT(ttl, 0);
  EXPECT_LE(ttl, 2000);

  c.set_day_pnl("-250.5");  // the sum is now -1000.5
  ASSERT_TRUE(eventually([&] {
    return has(a.commands(), AdminAction::Halt) && has(b.commands(), AdminAction::Halt) &&
           has(c.commands(), AdminAction::Halt);
  })) << a.log_text();
  EXPECT_EQ(redis.command({"HGET", "tickpipe:firm:state", "state"}), "HALTED");
  EXPECT_EQ(redis.command({"HGET", "tickpipe:firm:state", "reason"}), "firm_loss_limit");
  EXPECT_EQ(redis.command({"HGET", "tickpipe:firm:state", "gen"}), "1");
  EXPECT_EQ(redis.command({"HGET", "tickpipe:firm:state", "breach_sum"}), "-100050000000");
  EXPECT_EQ(a.commands().size(), 1u) << "the halt is applied once";
  la.stop();
  lb.stop();
  lc.stop();
  EXPECT_EQ(la.status().firm_gen.load(), 1u);
}

TEST(ClusterLink, AnInstanceThatJoinsAHaltedFirmHalts) {
  testing::RedisServer redis;
  redis.command({"HSET", "tickpipe:firm:state", "state", "HALTED", "gen", "4", "reason", "firm_loss_limit"});
  ScriptedEngine e;
  ClusterLink l({cluster_config(redis, "late"), "", "", "", true}, e);
  l.start();
  ASSERT_TRUE(eventually([&] { return has(e.commands(), AdminAction::Halt); }));
  l.stop();
}

// Redis loses the firm state (a restart without persistence): generations start again from 1, and
// the next halt is not mistaken for one already applied.
TEST(ClusterLink, AFirmStateLostWithRedisDoesNotHideTheNextHalt) {
  testing::RedisServer redis;
  redis.command({"HSET", "tickpipe:firm:state", "state", "HALTED", "gen", "7", "reason", "firm_loss_limit"});
  ScriptedEngine e;
  ClusterLink l({cluster_config(redis, "g"), "", "", "", true}, e);
  l.start();
  ASSERT_TRUE(eventually([&] { return e.count(AdminAction::Halt) == 1; }));
  redis.kill();
  ASSERT_TRUE(eventually([&] { return l.status().link.load() == ClusterLinkState::Down; }));
  redis.restart();
  ASSERT_TRUE(eventually([&] { return l.status().link.load() == ClusterLinkState::Up && l.status().firm_gen.load() == 0; }));
  redis.command({"HSET", "tickpipe:firm:state", "state", "HALTED", "gen", "1", "reason", "firm_loss_limit"});
  redis.command({"PUBLISH", "tickpipe:firm:control", "1"});
  ASSERT_TRUE(eventually([&] { return e.count(AdminAction::Halt) == 2; })) << e.log_text();
  EXPECT_NE(e.log_text().find("event=cluster_firm_state_reset"), std::string::npos);
  l.stop();
}

TEST(ClusterLink, TheStreamEqualsTheJournalAcrossARedisCrashAndRestart) {
  testing::RedisServer redis;
  const std::string path = redis.work_dir() + "/journal.jsonl";
  std::ofstream j(path);
  auto write_lines = [&](int from, int to) {
    for (int i = from; i <= to; ++i) j << R"({"event":"fill","n":)" << i << "}\n";
    j.flush();
  };
  write_lines(1, 500);
  j << R"({"event":"fill","n":501)";  // a line not complete yet: not streamed
  j.flush();
  ScriptedEngine e;
  ClusterLink l({cluster_config(redis, "s"), "", "", path, true}, e);
  l.start();
  ASSERT_TRUE(eventually([&] { return l.status().stream_acked.load() == 500; }));
  redis.kill();
  j << "}\n";
  write_lines(502, 900);
  ASSERT_TRUE(eventually([&] { return l.status().link.load() == ClusterLinkState::Down; }));
  redis.restart();  // no persistence: the stream is gone, and is sent again from the first line
  ASSERT_TRUE(eventually([&] { return l.status().stream_acked.load() == 900; }, 10s)) << e.log_text();
  write_lines(901, 1000);
  l.stop();
  const std::vector<std::string> stream = redis.xrange_values("tickpipe:journal:s", "r");
  ASSERT_EQ(stream.size(), 1000u);
  for (int i = 1; i <= 1000; ++i) ASSERT_EQ(stream[i - 1], R"({"event":"fill","n":)" + std::to_string(i) + "}");
  const std::string ids = redis.command({"XRANGE", "tickpipe:journal:s", "-", "+", "COUNT", "2"});
  EXPECT_NE(ids.find("\"0-1\""), std::string::npos) << ids;
  EXPECT_NE(ids.find("\"0-2\""), std::string::npos) << ids;
}

TEST(ClusterLink, AResumedJournalAddsOnlyWhatTheStreamLacksAndAFreshOneArchivesTheOldStream) {
  testing::RedisServer redis;
  const std::string path = redis.work_dir() + "/journal.jsonl";
  {
    std::ofstream j(path);
    for (int i = 1; i <= 10; ++i) j << "{\"n\":" << i << "}\n";
  }
  ScriptedEngine e;
  {
    ClusterLink l({cluster_config(redis, "r"), "", "", path, true}, e);
    l.start();
    ASSERT_TRUE(eventually([&] { return l.status().stream_acked.load() == 10; }));
    l.stop();
  }
  {
    std::ofstream j(path, std::ios::app);
    for (int i = 11; i <= 15; ++i) j << "{\"n\":" << i << "}\n";
  }
  {
    ClusterLink l({cluster_config(redis, "r"), "", "", path, /*journal_fresh=*/false}, e);
    l.start();
    ASSERT_TRUE(eventually([&] { return l.status().stream_acked.load() == 15; }));
    l.stop();
    EXPECT_EQ(l.status().records_streamed.load(), 5u);
  }
  EXPECT_EQ(redis.xrange_values("tickpipe:journal:r", "r").size(), 15u);
  {
    std::ofstream j(path, std::ios::trunc);
    j << "{\"n\":1,\"fresh\":true}\n";
  }
  {
    ClusterLink l({cluster_config(redis, "r"), "", "", path, /*journal_fresh=*/true}, e);
    l.start();
    ASSERT_TRUE(eventually([&] { return l.status().stream_acked.load() == 1 && l.status().records_streamed.load() == 1; }));
    l.stop();
  }
  EXPECT_EQ(redis.xrange_values("tickpipe:journal:r", "r"), std::vector<std::string>{"{\"n\":1,\"fresh\":true}"});
  const auto keys = nlohmann::json::parse(redis.command({"KEYS", "tickpipe:journal:r:before:*"}));
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(redis.xrange_values(keys[0].get<std::string>(), "r").size(), 15u);
}

TEST(ClusterLink, AnUnreachableRedisFailsClosedAfterTheConfiguredTimeAndRecovers) {
  testing::RedisServer redis;
  ScriptedEngine e;
  ClusterLink l({cluster_config(redis, "f"), "", "", "", true}, e);
  l.start();
  ASSERT_TRUE(eventually([&] { return l.status().heartbeats.load() > 2; }));
  redis.kill();
  const auto killed = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually([&] { return has(e.commands(), AdminAction::Reduce); }));
  const auto after = std::chrono::steady_clock::now() - killed;
  EXPECT_GE(after, 250ms) << "REDUCING came before fail_closed_after_ms (300)";
  EXPECT_TRUE(l.status().fail_closed.load());
  EXPECT_EQ(l.status().link.load(), ClusterLinkState::Down);
  EXPECT_EQ(e.state(), "REDUCING");
  redis.restart();
  ASSERT_TRUE(eventually([&] { return has(e.commands(), AdminAction::Resume); }, 10s)) << e.log_text();
  EXPECT_FALSE(l.status().fail_closed.load());
  EXPECT_EQ(e.state(), "ACTIVE");
  l.stop();
}

// Redis stalls (SIGSTOP): every command times out, the link is down, the instance fails closed; once
// Redis runs again (SIGCONT) the link recovers and the stream still equals the journal.
TEST(ClusterLink, AStalledRedisTimesOutFailsClosedAndRecovers) {
  testing::RedisServer redis;
  const std::string path = redis.work_dir() + "/journal.jsonl";
  std::ofstream j(path);
  for (int i = 1; i <= 100; ++i) j << "{\"n\":" << i << "}\n";
  j.flush();
  ScriptedEngine e;
  ClusterLink l({cluster_config(redis, "st"), "", "", path, true}, e);
  l.start();
  ASSERT_TRUE(eventually([&] { return l.status().stream_acked.load() == 100; }));
  ASSERT_EQ(::kill(redis.pid(), SIGSTOP), 0);
  for (int i = 101; i <= 200; ++i) j << "{\"n\":" << i << "}\n";
  j.flush();
  ASSERT_TRUE(eventually([&] { return has(e.commands(), AdminAction::Reduce); }, 10s)) << e.log_text();
  EXPECT_EQ(l.status().link.load(), ClusterLinkState::Down);
  EXPECT_NE(l.status().last_error().find("timed out"), std::string::npos) << l.status().last_error();
  ASSERT_EQ(::kill(redis.pid(), SIGCONT), 0);
  ASSERT_TRUE(eventually([&] { return has(e.commands(), AdminAction::Resume); }, 10s)) << e.log_text();
  ASSERT_TRUE(eventually([&] { return l.status().stream_acked.load() == 200; }));
  l.stop();
  const auto stream = redis.xrange_values("tickpipe:journal:st", "r");
  ASSERT_EQ(stream.size(), 200u);
  for (int i = 1; i <= 200; ++i) ASSERT_EQ(stream[i - 1], "{\"n\":" + std::to_string(i) + "}");
}

// Something that is not Redis answers on the port (garbage, then the connection closed): a
// protocol error, counted as a failed connect and retried; the instance fails closed, nothing crashes.
TEST(ClusterLink, GarbageInsteadOfRedisIsAFailedConnectNotACrash) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  std::atomic<bool> done{false};
  std::atomic<int> accepted{0};
  std::thread garbage([&] {
    while (!done.load()) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      ++accepted;
      static constexpr char kJunk[] = "\x16\x03\x01 this is no RESP at all\r\n";
      [[maybe_unused]] const ssize_t n = ::send(c, kJunk, sizeof kJunk - 1, MSG_NOSIGNAL);
      ::close(c);
    }
  });
  ClusterConfig c;
  c.present = true;
  c.redis_url = "redis://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/0";
  std::string why;
  c.redis = *parse_redis_url(c.redis_url, why);
  c.instance = "junk";
  parse_fixed("1000", c.firm_daily_loss_limit);
  c.heartbeat_ms = 20;
  c.fail_closed_after_ms = 300;
  c.timeout_ms = 300;
  ScriptedEngine e;
  {
    ClusterLink l({c, "", "", "", true}, e);
    l.start();
    const bool reduced = eventually([&] { return has(e.commands(), AdminAction::Reduce); });
    const bool retried = eventually([&] { return l.status().connect_failures.load() >= 2; });
    l.stop();
    EXPECT_TRUE(reduced) << e.log_text();
    EXPECT_TRUE(retried);
    EXPECT_EQ(l.status().connects.load(), 0u);
    EXPECT_FALSE(l.status().last_error().empty());
  }
  done = true;
  garbage.join();
  ::close(fd);
  EXPECT_GE(accepted.load(), 2);
  EXPECT_NE(e.log_text().find("event=cluster_down"), std::string::npos);
}

TEST(ClusterLink, AnOperatorsFirmCommandNeedsTheAdminTokensSignature) {
  testing::RedisServer redis;
  ScriptedEngine e;
  ClusterLink l({cluster_config(redis, "o"), "", "s3cret", "", true}, e);
  l.start();
  ASSERT_TRUE(eventually([&] { return l.status().heartbeats.load() > 0; }));
  const ClusterKeys keys("tickpipe");
  auto send = [&](const std::string& state, const std::string& token) {
    const std::string gen = redis.command({"HGET", keys.firm_state, "gen"});
    const std::string g = gen == "(nil)" ? "0" : gen;
    const std::string sig = firm_command_signature(token, "tickpipe", state, g, "ops@desk", "1700000000000");
    return redis.command({"EVAL", kFirmCommandScript, "2", keys.firm_state, keys.firm_events, state, g, "ops@desk",
                          "1700000000000", sig, keys.channel});
  };
  send("HALTED", "wrong-token");
  ASSERT_TRUE(eventually([&] { return l.status().firm_commands_refused.load() == 1; }));
  EXPECT_TRUE(e.commands().empty());
  send("HALTED", "s3cret");
  ASSERT_TRUE(eventually([&] { return has(e.commands(), AdminAction::Halt); }));
  send("ACTIVE", "s3cret");
  ASSERT_TRUE(eventually([&] { return has(e.commands(), AdminAction::Resume); }));
  l.stop();
  EXPECT_EQ(l.status().firm_commands_applied.load(), 2u);
  // Every firm state change is in the firm's event stream, the refused one too.
  EXPECT_EQ(redis.xrange_values(keys.firm_events, "state"), (std::vector<std::string>{"HALTED", "HALTED", "ACTIVE"}));
}

}  // namespace
}  // namespace tp::ops
