// The operations endpoint (SPEC 12, issue 11) on the real binary: `tickpipe live` against a node
// `ws` venue (tests/peers/ws_market_server.js) with [ops] on a port the kernel picks, talked to
// over HTTP while it runs. /health names a symbol whose venue went quiet and recovers when it
// resumes; admin without or with a wrong token is 401 and changes nothing, with the token the
// journal shows the command and the state change; a stalled stage (a test hook) is reported;
// /metrics passes promtool and a real Prometheus server reads back what the engine reports.
#include <httplib.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "../peers/prometheus_server.hpp"
#include "../peers/ws_market_server.hpp"
#include "cli_runner.hpp"
#include "engine_process.hpp"

namespace tp {
namespace {

using testing::EngineProcess;
using testing::read_file;
using testing::split_lines;
using testing::TempDir;
using testing::write_file;
using testing::WsMarketServer;

const std::string kMessages = std::string(TP_SOURCE_DIR) + "/tests/data/binance/spot_btcusdt_20240808_head400.txt";

std::string ops_config(const TempDir& dir, const std::string& url, int stale_after_ms, const std::string& ops_extra = "") {
  std::string text = R"([venue]
format = "binance"
[[symbols]]
name = "BTCUSDT"
lot_step = "0.00001"
[[positions]]
symbol = "BTCUSDT"
qty = "0.5"
entry_price = "58000"
[threads]
wait = "blocking"
[live]
url = ")";
  text.append(url).append("\"\nstale_after_ms = ").append(std::to_string(stale_after_ms));
  text.append("\nreconnect_min_ms = 20\nreconnect_max_ms = 200\n[ops]\nlisten = \"127.0.0.1:0\"\n").append(ops_extra);
  const std::string path = dir / "ops.toml";
  write_file(path, text);
  return path;
}

std::vector<std::string> live_args(const TempDir& dir, const std::string& cfg, const std::string& duration) {
  return {"live", "-c", cfg, "--mode", "threaded", "--duration", duration, "--journal", dir / "j.jsonl", "--report",
          dir / "r.json"};
}

struct Reply {
  int status = 0;
  std::string body;
};

Reply get(int port, const std::string& path) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(2, 0);
  c.set_read_timeout(5, 0);
  const auto r = c.Get(path.c_str());
  return r ? Reply{r->status, r->body} : Reply{};
}

Reply post(int port, const std::string& path, const std::string& authorization) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(2, 0);
  c.set_read_timeout(5, 0);
  httplib::Headers h;
  if (!authorization.empty()) h.emplace("Authorization", authorization);
  const auto r = c.Post(path.c_str(), h, "", "text/plain");
  return r ? Reply{r->status, r->body} : Reply{};
}

// Polls GET `path` until `pred(reply)` or the timeout; the last reply either way.
template <typename Pred>
Reply poll(int port, const std::string& path, Pred pred, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  Reply r;
  while (std::chrono::steady_clock::now() < until) {
    r = get(port, path);
    if (pred(r)) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return r;
}

TEST(Ops, HealthNamesAStaleSymbolAndRecoversWhenTheVenueResumes) {
  TempDir dir;
  // 50 messages, then 3 s without data on the open connection (its pings go on), then the rest.
  WsMarketServer server({"--messages", kMessages, "--rate", "100", "--ping-ms", "200", "--pause-after", "50",
                         "--pause-ms", "3000"});
  const std::string cfg = ops_config(dir, server.url("/stream"), 1000);
  EngineProcess engine(live_args(dir, cfg, "9"), {}, dir);
  const int port = engine.ops_port();
  ASSERT_GT(port, 0) << engine.log();

  const Reply ok = poll(port, "/ready", [](const Reply& r) { return r.status == 200; }, std::chrono::seconds(5));
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(get(port, "/health").status, 200);
  const Reply stale = poll(
      port, "/health", [](const Reply& r) { return r.body.find("symbol BTCUSDT stale") != std::string::npos; },
      std::chrono::seconds(6));
  ASSERT_EQ(stale.status, 503) << stale.body;
  EXPECT_EQ(nlohmann::json::parse(stale.body)["status"], "fail");
  EXPECT_NE(get(port, "/metrics").body.find("tickpipe_symbol_stale{symbol=\"BTCUSDT\"} 1"), std::string::npos);
  EXPECT_EQ(get(port, "/ready").status, 503);

  const Reply back = poll(port, "/health", [](const Reply& r) { return r.status == 200; }, std::chrono::seconds(5));
  EXPECT_EQ(back.status, 200) << back.body;
  EXPECT_NE(get(port, "/metrics").body.find("tickpipe_symbol_stale{symbol=\"BTCUSDT\"} 0"), std::string::npos);

  ASSERT_TRUE(engine.wait_exit(std::chrono::seconds(20)));
  EXPECT_EQ(engine.exit_code(), 0) << engine.log();
  const std::string log = engine.log();
  EXPECT_NE(log.find("event=symbol_stale symbol=BTCUSDT"), std::string::npos) << log;
  EXPECT_NE(log.find("event=symbol_fresh symbol=BTCUSDT"), std::string::npos) << log;
  // The connection stayed up (the venue's pings kept it alive): the quiet spell was the data's.
  const auto report = nlohmann::json::parse(read_file(dir / "r.json"));
  EXPECT_EQ(report["live"]["silence_timeouts"], 0) << report["live"].dump();
  EXPECT_GE(report["symbols"][0]["stale_episodes"].get<int>(), 1);
}

TEST(Ops, AdminNeedsTheTokenAndItsCommandsReachTheJournal) {
  TempDir dir;
  WsMarketServer server({"--messages", kMessages, "--rate", "100", "--repeat", "0"});
  const std::string cfg = ops_config(dir, server.url("/stream"), 5000);
  // Stopped by SIGTERM once the checks are done; the long duration only bounds a test gone wrong
  // (a short one could end the session before a slow build's admin command is applied).
  EngineProcess engine(live_args(dir, cfg, "60"), {"TICKPIPE_ADMIN_TOKEN=correct-horse"}, dir);
  const int port = engine.ops_port();
  ASSERT_GT(port, 0) << engine.log();
  ASSERT_EQ(poll(port, "/ready", [](const Reply& r) { return r.status == 200; }, std::chrono::seconds(5)).status, 200);
  // The recording opens with two depth updates stamped with their 2024 event time; the first
  // bookTicker carries today's receive time (it has no "E"), which rolls the trading day over and
  // sets the state ACTIVE (SPEC 5). A halt applied before that would be undone by the rollover, so
  // the commands start once the engine is past the first few messages.
  const Reply past_rollover = poll(
      port, "/state",
      [](const Reply& r) {
        const auto j = nlohmann::json::parse(r.body, nullptr, false);
        return r.status == 200 && !j.is_discarded() && j.value("market_events", 0) >= 10;
      },
      std::chrono::seconds(10));
  ASSERT_GE(nlohmann::json::parse(past_rollover.body, nullptr, false).value("market_events", 0), 10) << past_rollover.body;

  EXPECT_EQ(post(port, "/admin/halt", "").status, 401);
  EXPECT_EQ(post(port, "/admin/halt", "Bearer wrong-horse").status, 401);
  EXPECT_EQ(post(port, "/admin/halt", "Bearer correct-horsE").status, 401);
  EXPECT_EQ(post(port, "/admin/halt", "Basic correct-horse").status, 401);
  EXPECT_EQ(nlohmann::json::parse(get(port, "/state").body)["state"], "ACTIVE") << "a refused command changes nothing";

  // 200 when the strategy applied it within the reply's 2 s, else 202 (queued); on a slow machine
  // (sanitizers, a loaded CI) it may be the latter, and the state must then follow shortly.
  auto state_is = [&](const char* want) {
    return [want](const Reply& r) {
      return r.status == 200 && nlohmann::json::parse(r.body, nullptr, false).value("state", "") == want;
    };
  };
  const Reply halt = post(port, "/admin/halt", "Bearer correct-horse");
  ASSERT_TRUE(halt.status == 200 || halt.status == 202) << halt.body;
  if (halt.status == 200) {
    EXPECT_EQ(nlohmann::json::parse(halt.body)["state"], "HALTED");
  }
  ASSERT_TRUE(state_is("HALTED")(poll(port, "/state", state_is("HALTED"), std::chrono::seconds(10))));
  const Reply health = get(port, "/health");
  EXPECT_EQ(health.status, 503);
  EXPECT_NE(health.body.find("state HALTED (kill_switch)"), std::string::npos) << health.body;
  EXPECT_NE(get(port, "/metrics").body.find("tickpipe_trading_state{state=\"HALTED\"} 1"), std::string::npos);

  const Reply resume = post(port, "/admin/resume", "bearer correct-horse");  // the scheme is case-insensitive
  ASSERT_TRUE(resume.status == 200 || resume.status == 202) << resume.body;
  ASSERT_TRUE(state_is("ACTIVE")(poll(port, "/state", state_is("ACTIVE"), std::chrono::seconds(10))));

  engine.request_stop();
  ASSERT_TRUE(engine.wait_exit(std::chrono::seconds(20)));
  EXPECT_EQ(engine.exit_code(), 0) << engine.log();
  const std::string journal = read_file(dir / "j.jsonl");
  std::vector<std::string> commands, states;
  for (const auto& l : split_lines(journal)) {
    if (l.find("\"event\":\"command\"") != std::string::npos) commands.push_back(l);
    if (l.find("\"event\":\"state\"") != std::string::npos) states.push_back(l);
  }
  ASSERT_EQ(commands.size(), 2u) << journal;
  EXPECT_NE(commands[0].find("\"source\":\"admin\""), std::string::npos) << commands[0];
  EXPECT_NE(commands[0].find("\"state\":\"HALTED\""), std::string::npos) << commands[0];
  EXPECT_NE(commands[1].find("\"state\":\"ACTIVE\""), std::string::npos) << commands[1];
  ASSERT_EQ(states.size(), 2u) << journal;
  const std::string log = engine.log();
  EXPECT_NE(log.find("event=admin_unauthorized"), std::string::npos) << log;
  EXPECT_NE(log.find("event=state_change from=ACTIVE to=HALTED reason=kill_switch"), std::string::npos) << log;
}

TEST(Ops, WithoutATokenTheAdminEndpointsAreOff) {
  TempDir dir;
  WsMarketServer server({"--messages", kMessages, "--rate", "100", "--repeat", "0"});
  const std::string cfg = ops_config(dir, server.url("/stream"), 5000, "admin_token_env = \"TP_TEST_NO_SUCH_VARIABLE\"\n");
  EngineProcess engine(live_args(dir, cfg, "2"), {}, dir);
  const int port = engine.ops_port();
  ASSERT_GT(port, 0) << engine.log();
  const Reply r = post(port, "/admin/halt", "Bearer ");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("admin endpoints are off"), std::string::npos) << r.body;
  ASSERT_TRUE(engine.wait_exit(std::chrono::seconds(20)));
  EXPECT_EQ(read_file(dir / "j.jsonl").find("\"event\":\"command\""), std::string::npos);
}

TEST(Ops, AStalledStageIsReportedAndItsRecoveryToo) {
  TempDir dir;
  WsMarketServer server({"--messages", kMessages, "--rate", "200", "--repeat", "0"});
  const std::string cfg = ops_config(dir, server.url("/stream"), 5000, "stall_after_ms = 300\n");
  // The strategy thread sleeps 2 s once, after 2000 times round its loop (the test hook).
  EngineProcess engine(live_args(dir, cfg, "6"), {"TICKPIPE_TEST_STALL=strategy:2000:2000"}, dir);
  const int port = engine.ops_port();
  ASSERT_GT(port, 0) << engine.log();
  const Reply stalled = poll(
      port, "/health", [](const Reply& r) { return r.body.find("stage strategy stalled") != std::string::npos; },
      std::chrono::seconds(8));
  ASSERT_EQ(stalled.status, 503) << stalled.body;
  EXPECT_NE(get(port, "/metrics").body.find("tickpipe_stage_stalled{stage=\"strategy\"} 1"), std::string::npos);
  const Reply back = poll(port, "/health", [](const Reply& r) { return r.status == 200; }, std::chrono::seconds(8));
  EXPECT_EQ(back.status, 200) << back.body;
  ASSERT_TRUE(engine.wait_exit(std::chrono::seconds(20)));
  EXPECT_EQ(engine.exit_code(), 0) << engine.log();
  const std::string log = engine.log();
  EXPECT_NE(log.find("event=stage_stalled stage=strategy"), std::string::npos) << log;
  EXPECT_NE(log.find("event=stage_recovered stage=strategy"), std::string::npos) << log;
}

TEST(Ops, MetricsPassPromtoolAndPrometheusReadsBackWhatTheEngineReports) {
  TempDir dir;
  WsMarketServer server({"--messages", kMessages, "--rate", "2000"});
  const std::string cfg = ops_config(dir, server.url("/stream"), 60000);
  EngineProcess engine(live_args(dir, cfg, "12"), {}, dir);
  const int port = engine.ops_port();
  ASSERT_GT(port, 0) << engine.log();
  ASSERT_EQ(poll(port, "/ready", [](const Reply& r) { return r.status == 200; }, std::chrono::seconds(5)).status, 200);

  // promtool's own lint of the exposition.
  const std::string metrics = get(port, "/metrics").body;
  write_file(dir / "metrics.txt", metrics);
  const auto lint = testing::run_command("promtool check metrics < " + dir / "metrics.txt");
  EXPECT_EQ(lint.status, 0) << lint.output;
  EXPECT_NE(metrics.find("tickpipe_stage_latency_seconds_bucket{stage=\"tick_to_trade\",le=\"+Inf\"}"), std::string::npos);

  // A real Prometheus scrapes the engine; its answer equals the engine's own report.
  std::string target = "127.0.0.1:";
  target.append(std::to_string(port));
  testing::PrometheusServer prom(dir.path(), target);
  const std::string q = "tickpipe_feed_messages_total{type=\"book_ticker\"}";
  ASSERT_TRUE(prom.wait_for(q, [](double v) { return v > 0; }, std::chrono::seconds(20))) << prom.query(q);
  ASSERT_TRUE(prom.wait_for("tickpipe_orders_total", [](double v) { return v > 0; }, std::chrono::seconds(10)));
  const std::optional<double> book_tickers = prom.scalar(q);
  const std::optional<double> orders = prom.scalar("tickpipe_orders_total");
  ASSERT_TRUE(engine.wait_exit(std::chrono::seconds(30)));
  EXPECT_EQ(engine.exit_code(), 0) << engine.log();
  const auto report = nlohmann::json::parse(read_file(dir / "r.json"));
  ASSERT_TRUE(book_tickers.has_value());
  EXPECT_EQ(*book_tickers, report["messages"]["by_type"]["book_ticker"].get<double>());
  ASSERT_TRUE(orders.has_value());
  EXPECT_EQ(*orders, report["orders"]["sent"].get<double>()) << report["orders"].dump();
}

// The systemd side of the lifecycle (Type=notify, WatchdogSec): a datagram socket plays systemd's
// notify socket; the engine says READY=1 once the stages run, WATCHDOG=1 while they are healthy,
// STOPPING=1 when a stop begins.
TEST(Ops, SystemdHearsReadyWatchdogAndStopping) {
  TempDir dir;
  const std::string socket_path = dir / "notify.sock";
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(socket_path.size(), sizeof addr.sun_path);
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << std::strerror(errno);

  // Read as systemd does, all the time: a datagram socket's queue is short (net.unix.max_dgram_qlen).
  std::vector<std::string> messages;
  std::atomic<bool> done{false};
  std::thread reader([&] {
    char buf[4096];
    while (!done.load()) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) messages.emplace_back(buf, static_cast<std::size_t>(n));
    }
  });

  WsMarketServer server({"--messages", kMessages, "--rate", "200", "--repeat", "0"});
  const std::string cfg = ops_config(dir, server.url("/stream"), 5000);
  std::string notify = "NOTIFY_SOCKET=";
  notify.append(socket_path);
  EngineProcess engine(live_args(dir, cfg, "2"), {notify, "WATCHDOG_USEC=200000"}, dir);
  const bool exited = engine.wait_exit(std::chrono::seconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  done = true;
  reader.join();
  ::close(fd);
  ASSERT_TRUE(exited);
  EXPECT_EQ(engine.exit_code(), 0) << engine.log();
  ASSERT_GE(messages.size(), 3u);
  EXPECT_EQ(messages.front().rfind("READY=1", 0), 0u) << messages.front();
  std::size_t stopping = messages.size();
  for (std::size_t i = 0; i < messages.size(); ++i)
    if (messages[i].rfind("STOPPING=1", 0) == 0) stopping = i;
  ASSERT_LT(stopping, messages.size()) << "no STOPPING=1";
  EXPECT_GE(stopping, messages.size() - 2) << "STOPPING=1 comes at the end (a last watchdog ping may cross it)";
  std::size_t watchdogs = 0;
  for (const auto& m : messages) watchdogs += m == "WATCHDOG=1";
  // Every 100 ms (half of WatchdogSec) for ~2 s.
  EXPECT_GE(watchdogs, 10u);
}

// SPEC 12: the endpoint also serves a paced replay (here 10x: the sample's ~30 s in ~3 s).
TEST(Ops, APacedReplayServesTheEndpointToo) {
  TempDir dir;
  std::string toml = read_file(std::string(TP_SOURCE_DIR) + "/config/sample.toml");
  toml.append("\n[ops]\nlisten = \"127.0.0.1:0\"\n");
  write_file(dir / "replay.toml", toml);
  EngineProcess engine({"replay", "-c", dir / "replay.toml", "--speed", "10x", "--mode", "threaded", "--journal",
                        dir / "j.jsonl", "--report", dir / "r.json"},
                       {}, dir);
  const int port = engine.ops_port();
  ASSERT_GT(port, 0) << engine.log();
  const Reply ready = poll(port, "/ready", [](const Reply& r) { return r.status == 200; }, std::chrono::seconds(5));
  ASSERT_EQ(ready.status, 200) << ready.body;
  const Reply state = get(port, "/state");
  const auto j = nlohmann::json::parse(state.body);
  EXPECT_EQ(j["positions"][0]["symbol"], "BTCUSDT");
  EXPECT_GT(j["market_events"].get<uint64_t>(), 0u);
  EXPECT_EQ(j.count("feed"), 0u) << "a replay has no feed connections";
  EXPECT_NE(get(port, "/metrics").body.find("tickpipe_market_events_total "), std::string::npos);
  ASSERT_TRUE(engine.wait_exit(std::chrono::seconds(30)));
  EXPECT_EQ(engine.exit_code(), 0) << engine.log();
}

// A port already taken: exit 1 naming the address, and the journal that was there is untouched.
TEST(Ops, APortInUseFailsBeforeAnyOutputIsWritten) {
  TempDir dir;
  httplib::Server blocker;
  const int taken = blocker.bind_to_any_port("127.0.0.1");
  ASSERT_GT(taken, 0);
  std::string toml = read_file(std::string(TP_SOURCE_DIR) + "/config/sample.toml");
  toml.append("\n[ops]\nlisten = \"127.0.0.1:").append(std::to_string(taken)).append("\"\n");
  write_file(dir / "replay.toml", toml);
  write_file(dir / "j.jsonl", "an earlier journal\n");
  const auto r = testing::run_tickpipe("replay -c " + dir / "replay.toml" + " --speed 10x --journal " + dir / "j.jsonl");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("cannot listen on 127.0.0.1:"), std::string::npos) << r.output;
  EXPECT_EQ(read_file(dir / "j.jsonl"), "an earlier journal\n");
}

}  // namespace
}  // namespace tp
