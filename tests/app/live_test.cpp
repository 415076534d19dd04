// tickpipe live against a real WebSocket server (node's ws, tests/peers/ws_market_server.js) on
// 127.0.0.1, serving real recorded Binance messages (issue 10): plain, TLS with a certificate the
// test makes, permessage-deflate; the recording replays to the same messages and decisions; and
// every fault a venue and a network produce - drop, close 1000/1001/1006, HTTP 503, a server that
// never answers, a stall, garbage, an oversized message, a certificate for another host, SIGTERM.
// Each session is bounded by --duration; the server is stopped by the PID the test started.
#include <signal.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../peers/ws_market_server.hpp"
#include "cli_runner.hpp"
#include "journal_checks.hpp"

namespace tp {
namespace {

using testing::read_file;
using testing::run_tickpipe;
using testing::split_lines;
using testing::TempDir;
using testing::write_file;
using testing::WsMarketServer;

const std::string kMessages = std::string(TP_SOURCE_DIR) + "/tests/data/binance/spot_btcusdt_20240808_head400.txt";
constexpr std::size_t kRecorded = 400;  // messages in that file

// The sample's position and profit-taking ladder (so the recording's prices make orders), on a
// live feed at `url`.
// Silence (stale_after_ms) is a disconnect too: the server idles once it has sent the file, so a
// session that should keep one connection has a longer silence limit than its duration.
std::string live_config(const TempDir& dir, const std::string& url, const std::string& live_extra = "",
                        int stale_after_ms = 5000) {
  const std::string path = dir / "live.toml";
  write_file(path, R"([venue]
format = "binance"
[[symbols]]
name = "BTCUSDT"
lot_step = "0.00001"
min_qty = "0.00001"
min_notional = "5"
[[positions]]
symbol = "BTCUSDT"
qty = "0.5"
entry_price = "58000"
[profit_take]
levels = [ { gain_pct = 5.0, reduce_fraction = 0.30 }, { gain_pct = 6.6, reduce_fraction = 0.30 } ]
[live]
url = ")" + url + R"("
streams = ["bookTicker", "trade", "depth@100ms"]
reconnect_min_ms = 20
reconnect_max_ms = 200
stale_after_ms = )" + std::to_string(stale_after_ms) + "\n" + live_extra);
  return path;
}

struct Session {
  testing::CliResult cli;
  nlohmann::json report;
  std::vector<std::string> messages;  // --dump-messages
  std::string journal;
};

Session run_live(const TempDir& dir, const std::string& cfg, const std::string& extra_args = "",
                 const std::string& duration = "2") {
  Session s;
  s.cli = run_tickpipe("live -c " + cfg + " --duration " + duration + " --journal " + dir / "j.jsonl" + " --report " +
                       dir / "r.json" + " --dump-messages " + dir / "d.txt " + extra_args);
  const std::string rep = read_file(dir / "r.json");
  if (!rep.empty()) s.report = nlohmann::json::parse(rep);
  s.messages = split_lines(read_file(dir / "d.txt"));
  s.journal = read_file(dir / "j.jsonl");
  return s;
}

std::size_t count_data(const std::vector<std::string>& messages) {
  std::size_t n = 0;
  for (const auto& m : messages) n += m.find("\"result\"") == std::string::npos;  // not the subscribe ack
  return n;
}

using testing::expect_complete_journal;

TEST(Live, PlainSessionSubscribesAndTradesOnEveryMessage) {
  TempDir dir;
  WsMarketServer server({"--messages", kMessages, "--record", dir / "client.txt"});
  const Session s = run_live(dir, live_config(dir, server.url("/stream")), "--mode deterministic");
  ASSERT_EQ(s.cli.status, 0) << s.cli.output;
  EXPECT_EQ(read_file(dir / "client.txt"),
            R"({"method":"SUBSCRIBE","params":["btcusdt@bookTicker","btcusdt@trade","btcusdt@depth@100ms"],"id":1})"
            "\n");
  EXPECT_EQ(count_data(s.messages), kRecorded);
  EXPECT_EQ(s.report["messages"]["by_type"]["subscription_ack"], 1);
  EXPECT_EQ(s.report["live"]["connects"], 1);
  EXPECT_EQ(s.report["live"]["reconnects"], 0);
  EXPECT_TRUE(s.report["live"]["duration_reached"].get<bool>());
  EXPECT_NE(s.journal.find("\"reason\":\"profit_take\""), std::string::npos) << s.journal;
  expect_complete_journal(s.journal);
  EXPECT_NE(s.cli.output.find("live (deterministic mode)"), std::string::npos) << s.cli.output;
}

// SPEC 10.3: the recording replays to the same messages and, in deterministic mode, the same
// order, fill and state records, byte for byte.
TEST(Live, RecordingReplaysToTheSameMessagesAndDecisions) {
  for (const bool deflate : {false, true}) {
    TempDir dir;
    std::vector<std::string> args{"--messages", kMessages, "--rate", "2000"};
    if (deflate) args.push_back("--deflate");
    WsMarketServer server(args);
    const std::string cfg =
        live_config(dir, server.url("/stream"), deflate ? "compression = true\n" : "");
    const Session s = run_live(dir, cfg, "--mode deterministic --record " + dir / "rec.pcapng", "1.5");
    ASSERT_EQ(s.cli.status, 0) << s.cli.output;
    ASSERT_EQ(count_data(s.messages), kRecorded) << "deflate=" << deflate;
    EXPECT_EQ(s.report["fills_overtaken"], 0) << "deterministic: every fill before the next event";
    const auto r = run_tickpipe("replay " + dir / "rec.pcapng" + " -c " + cfg + " --journal " + dir / "rj.jsonl" +
                                " --dump-messages " + dir / "rd.txt");
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_EQ(read_file(dir / "rd.txt"), read_file(dir / "d.txt")) << "deflate=" << deflate;
    EXPECT_EQ(testing::decision_lines(read_file(dir / "rj.jsonl")), testing::decision_lines(s.journal))
        << "deflate=" << deflate;
  }
}

TEST(Live, TlsWithTheTestsOwnCertificate) {
  TempDir dir;
  const auto cert = testing::make_localhost_cert(dir.path());
  WsMarketServer server({"--messages", kMessages, "--tls", cert.pem_pair()});
  const Session s = run_live(dir, live_config(dir, server.url("/stream"), "ca_file = \"" + cert.cert + "\"\n"));
  ASSERT_EQ(s.cli.status, 0) << s.cli.output;
  EXPECT_EQ(count_data(s.messages), kRecorded);
  EXPECT_EQ(s.report["live"]["connects"], 1);
}

TEST(Live, ACertificateForAnotherHostIsAnErrorNotARetryStorm) {
  TempDir dir;
  const auto cert = testing::make_wrong_host_cert(dir.path());
  WsMarketServer server({"--messages", kMessages, "--tls", cert.pem_pair(), "--log-connections", dir / "conns.txt"});
  const Session s = run_live(dir, live_config(dir, server.url("/stream"), "ca_file = \"" + cert.cert + "\"\n"));
  EXPECT_EQ(s.cli.status, 1) << s.cli.output;
  EXPECT_NE(s.cli.output.find("certificate of 127.0.0.1 does not verify"), std::string::npos) << s.cli.output;
  // Without a trust anchor at all (the system store does not know the test's CA): the same.
  const Session t = run_live(dir, live_config(dir, server.url("/stream")));
  EXPECT_EQ(t.cli.status, 1) << t.cli.output;
  EXPECT_NE(t.cli.output.find("does not verify"), std::string::npos) << t.cli.output;
}

struct FaultCase {
  const char* fault;
  std::size_t min_messages;   // data messages the session must have received in all
  bool reconnects;            // the fault must cause a reconnect
  int stale_after_ms = 5000;  // short where silence is the fault
};

class LiveFault : public ::testing::TestWithParam<FaultCase> {};

TEST_P(LiveFault, TheSessionSurvivesAndTheCountsAreRight) {
  const FaultCase c = GetParam();
  TempDir dir;
  WsMarketServer server({"--messages", kMessages, "--fault", c.fault, "--fault-after", "10", "--oversized-bytes",
                         "17000000", "--log-connections", dir / "conns.txt"});
  const Session s = run_live(dir, live_config(dir, server.url("/stream"), "", c.stale_after_ms), "", "3");
  ASSERT_EQ(s.cli.status, 0) << s.cli.output;
  EXPECT_GE(count_data(s.messages), c.min_messages) << c.fault;
  if (c.reconnects) {
    EXPECT_GE(s.report["live"]["connects"].get<int>() + s.report["live"]["connect_failures"].get<int>(), 2)
        << s.report["live"].dump();
    EXPECT_GE(s.report["live"]["connects"].get<int>(), 1);
  }
  // Never an order twice: every order has exactly one fill or reject, ids unique.
  std::set<std::string> ids;
  for (const auto& l : split_lines(s.journal)) {
    if (l.find("\"event\":\"order\"") == std::string::npos) continue;
    const auto j = nlohmann::json::parse(l);
    EXPECT_TRUE(ids.insert(std::to_string(j["client_order_id"].get<uint64_t>())).second) << l;
  }
  expect_complete_journal(s.journal);
}

INSTANTIATE_TEST_SUITE_P(
    Faults, LiveFault,
    ::testing::Values(FaultCase{"drop", kRecorded, true}, FaultCase{"reset", kRecorded, true}, FaultCase{"close1000", kRecorded, true},
                      FaultCase{"close1001", kRecorded, true}, FaultCase{"close1006", kRecorded, true},
                      FaultCase{"http503", kRecorded, true}, FaultCase{"stall", kRecorded, true, 800},
                      FaultCase{"garbage", kRecorded, true}, FaultCase{"silent", kRecorded, true, 800},
                      // An oversized message is dropped and counted; the connection goes on.
                      FaultCase{"oversized", kRecorded, false}),
    [](const auto& info) { return std::string(info.param.fault); });

TEST(Live, RefusedUpgradeIsCountedAndRetried) {
  TempDir dir;
  WsMarketServer server({"--messages", kMessages, "--fault", "http503"});
  const Session s = run_live(dir, live_config(dir, server.url("/stream")));
  ASSERT_EQ(s.cli.status, 0) << s.cli.output;
  EXPECT_EQ(s.report["live"]["refused_upgrades"], 1);
  EXPECT_EQ(s.report["live"]["connects"], 1);
  EXPECT_EQ(count_data(s.messages), kRecorded);
}

TEST(Live, OversizedMessageIsCountedAndTheRestArrives) {
  TempDir dir;
  WsMarketServer server({"--messages", kMessages, "--fault", "oversized", "--fault-after", "10", "--oversized-bytes",
                         "17000000"});
  const Session s = run_live(dir, live_config(dir, server.url("/stream")), "", "3");
  ASSERT_EQ(s.cli.status, 0) << s.cli.output;
  EXPECT_EQ(s.report["decode"]["ws_message_too_big"], 1) << s.report["decode"].dump();
  EXPECT_EQ(count_data(s.messages), kRecorded);
  EXPECT_EQ(s.report["live"]["connects"], 1);
}

TEST(Live, SigtermEndsTheSessionCleanly) {
  TempDir dir;
  WsMarketServer server({"--messages", kMessages, "--rate", "200", "--log-connections", dir / "conns.txt"});
  const std::string cfg = live_config(dir, server.url("/stream"));
  const pid_t pid = testing::spawn_tickpipe(
      {"live", "-c", cfg, "--journal", dir / "j.jsonl", "--report", dir / "r.json"}, dir / "err.txt");
  ASSERT_TRUE(testing::wait_for_lines(pid, dir / "j.jsonl", 1));
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  const testing::ChildExit e = testing::wait_exit(pid);
  ASSERT_EQ(e.code, 0) << read_file(dir / "err.txt");
  const auto rep = nlohmann::json::parse(read_file(dir / "r.json"));
  EXPECT_EQ(rep["interrupted_by"], "SIGTERM");
  expect_complete_journal(read_file(dir / "j.jsonl"));
  // The venue saw a clean goodbye: a close frame with 1000 (the server logs it when it handles it).
  // (15 s: under TSan the server's log can trail the engine's exit by seconds.)
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (read_file(dir / "conns.txt").find("\"event\":\"close\"") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_NE(read_file(dir / "conns.txt").find("\"code\":1000"), std::string::npos) << read_file(dir / "conns.txt");
}

// A quiet venue is pinged (after a third of stale_after_ms) and answers; its pongs are not market
// data, so a connection that brings no data for stale_after_ms is still replaced.
TEST(Live, AQuietVenueIsPingedAndDataSilenceStillReconnects) {
  TempDir dir;
  WsMarketServer server({"--messages", kMessages});
  const Session s = run_live(dir, live_config(dir, server.url("/stream"), "", 1800), "", "3");
  ASSERT_EQ(s.cli.status, 0) << s.cli.output;
  EXPECT_GE(s.report["live"]["pings_sent"].get<int>(), 1) << s.report["live"].dump();
  EXPECT_GE(s.report["live"]["silence_timeouts"].get<int>(), 1) << s.report["live"].dump();
  EXPECT_GE(s.report["live"]["connects"].get<int>(), 2);
  EXPECT_GE(count_data(s.messages), 2 * kRecorded) << "every connection gets the whole recording";
}

// Coinbase: the channels subscription for every product, the venue's own acknowledgement, and the
// recorded ticker and match messages normalized as in a replay.
TEST(Live, CoinbaseSubscribesToChannelsForEveryProduct) {
  TempDir dir;
  WsMarketServer server({"--venue", "coinbase", "--messages",
                         std::string(TP_SOURCE_DIR) + "/tests/data/coinbase/coinbase_pro_20210417_selected.txt",
                         "--record", dir / "client.txt"});
  const std::string cfg = dir / "cb.toml";
  write_file(cfg, "[venue]\nformat = \"coinbase\"\n[[symbols]]\nname = \"SKL-USD\"\nlot_step = \"0.01\"\n"
                  "[[symbols]]\nname = \"DASH-BTC\"\nlot_step = \"0.001\"\n[live]\nurl = \"" +
                      server.url("/") + "\"\n");
  const Session s = run_live(dir, cfg, "--mode deterministic");
  ASSERT_EQ(s.cli.status, 0) << s.cli.output;
  EXPECT_EQ(read_file(dir / "client.txt"),
            R"({"type":"subscribe","product_ids":["SKL-USD","DASH-BTC"],"channels":["ticker","matches","heartbeat"]})"
            "\n");
  const auto& by_type = s.report["messages"]["by_type"];
  EXPECT_GT(by_type["ticker"].get<int>(), 0) << by_type.dump();
  EXPECT_GT(s.report["events"].get<int>(), 0);
  EXPECT_EQ(s.report["live"]["connects"], 1);
}

std::size_t count_orders(const std::string& journal) {
  std::size_t n = 0;
  for (const auto& l : split_lines(journal)) n += l.find("\"event\":\"order\"") != std::string::npos;
  return n;
}

// SPEC 10.7: Binance announces a planned close (serverShutdown); the engine opens and subscribes a
// new connection while the old one still delivers, switches when the new one flows, and drops what
// both delivered - nothing lost, nothing twice. The recording (two connections at once) replays to
// the same messages and decisions.
// The venue's server restarts on the same port: the engine backs off while nothing listens,
// reconnects to the new process, resubscribes and trades on; the journal is complete and no order
// was sent twice.
TEST(Live, AServerRestartOnTheSamePortIsReconnectedTo) {
  TempDir dir;
  auto first = std::make_unique<WsMarketServer>(std::vector<std::string>{"--messages", kMessages, "--rate", "400"});
  const int port = first->port();
  const std::string cfg = live_config(dir, first->url("/stream"));
  const pid_t pid = testing::spawn_tickpipe({"live", "-c", cfg, "--duration", "4", "--journal", dir / "j.jsonl",
                                             "--report", dir / "r.json", "--dump-messages", dir / "d.txt"},
                                            dir / "err.txt");
  // The journal is flushed as it goes (the dump only at the end): its first order means data flows.
  ASSERT_TRUE(testing::wait_for_lines(pid, dir / "j.jsonl", 2)) << read_file(dir / "err.txt");
  first->stop();  // SIGTERM: the server goes away mid-stream
  first.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // nothing listens: refused connects
  WsMarketServer second({"--messages", kMessages, "--rate", "400", "--port", std::to_string(port),
                         "--record", dir / "client.txt"});
  const testing::ChildExit e = testing::wait_exit(pid);
  ASSERT_EQ(e.code, 0) << read_file(dir / "err.txt");
  const auto rep = nlohmann::json::parse(read_file(dir / "r.json"));
  EXPECT_EQ(rep["live"]["connects"], 2) << rep["live"].dump() << read_file(dir / "err.txt");
  EXPECT_GE(rep["live"]["connect_failures"].get<int>(), 1) << "connects refused while no server listened";
  EXPECT_EQ(split_lines(read_file(dir / "client.txt")).size(), 1u) << "resubscribed once to the new server";
  EXPECT_GE(count_data(split_lines(read_file(dir / "d.txt"))), kRecorded) << "the new server's stream arrived";
  expect_complete_journal(read_file(dir / "j.jsonl"));
  EXPECT_LE(count_orders(read_file(dir / "j.jsonl")), 3u) << "the ladder's levels at most once each";
}

TEST(Live, ServerShutdownSwitchesMakeBeforeBreak) {
  TempDir dir;
  WsMarketServer plain({"--messages", kMessages, "--rate", "2000"});
  const Session reference = run_live(dir, live_config(dir, plain.url("/stream")), "--mode deterministic", "1.5");
  ASSERT_EQ(reference.cli.status, 0) << reference.cli.output;

  TempDir dir2;
  WsMarketServer server({"--messages", kMessages, "--rate", "2000", "--fault", "server_shutdown", "--fault-after",
                         "100", "--shutdown-grace-ms", "300"});
  const std::string cfg = live_config(dir2, server.url("/stream"));
  std::string args = "--mode deterministic --record ";
  args += dir2 / "rec.pcapng";
  const Session s = run_live(dir2, cfg, args, "1.5");
  ASSERT_EQ(s.cli.status, 0) << s.cli.output;
  const auto& live = s.report["live"];
  EXPECT_EQ(live["server_shutdowns"], 1) << live.dump();
  EXPECT_EQ(live["rotations"], 1) << live.dump();
  EXPECT_EQ(live["connects"], 2) << live.dump();
  EXPECT_EQ(live["disconnects"], 0) << "the old connection was closed by us, after the switch";
  EXPECT_GT(s.report["overlap_dropped"].get<int>(), 0);
  EXPECT_EQ(count_orders(s.journal), count_orders(reference.journal)) << "no order twice, none missing";
  expect_complete_journal(s.journal);

  const auto r = run_tickpipe("replay " + dir2 / "rec.pcapng" + " -c " + cfg + " --journal " + dir2 / "rj.jsonl" +
                              " --dump-messages " + dir2 / "rd.txt");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(read_file(dir2 / "rd.txt"), read_file(dir2 / "d.txt"));
  EXPECT_EQ(testing::decision_lines(read_file(dir2 / "rj.jsonl")), testing::decision_lines(s.journal));
}

// SPEC 10.7: more streams than one connection holds (Binance: 1024) are spread over several
// connections. 600 symbols x 3 streams = 1800 streams: two connections of 300 symbols. The venue
// sends each connection only its symbols' messages (--only-subscribed); the engine gets every
// message once, from the connection that subscribed it, and the recording holds both
// connections and replays to the same messages and decisions.
std::string many_symbols_config(const TempDir& dir, const std::string& url) {
  // The recording's symbols: two in the first share, two in the second.
  std::string text = "[venue]\nformat = \"binance\"\n";
  auto symbol = [&](const std::string& name) {
    text.append("[[symbols]]\nname = \"").append(name).append("\"\nlot_step = \"0.01\"\n");
  };
  symbol("BLZETH");
  symbol("LRCBTC");
  for (int i = 0; i < 596; ++i) symbol(std::string("FILLER").append(std::to_string(i)).append("USDT"));
  symbol("NKNUSDT");
  symbol("RUNEEUR");
  text += "[[positions]]\nsymbol = \"NKNUSDT\"\nqty = \"1000\"\nentry_price = \"0.30\"\n";
  text.append("[live]\nurl = \"").append(url).append("\"\nstreams = [\"bookTicker\", \"trade\", \"depth@100ms\"]\n");
  text += "reconnect_min_ms = 20\nreconnect_max_ms = 200\nstale_after_ms = 5000\n";
  const std::string path = dir / "many.toml";
  write_file(path, text);
  return path;
}

TEST(Live, StreamsBeyondOneConnectionsLimitAreSpreadOverSeveral) {
  const std::string messages = std::string(TP_SOURCE_DIR) + "/tests/data/binance/cryptofeed_binance_spot_20211012.txt";
  const std::size_t recorded = split_lines(read_file(messages)).size();
  TempDir dir;
  WsMarketServer server({"--messages", messages, "--only-subscribed", "--rate", "2000", "--record", dir / "client.txt"});
  const std::string cfg = many_symbols_config(dir, server.url("/stream"));
  const Session s = run_live(dir, cfg, "--mode deterministic --record " + dir / "rec.pcapng", "1.5");
  ASSERT_EQ(s.cli.status, 0) << s.cli.output;
  EXPECT_EQ(s.report["live"]["connections"], 2) << s.report["live"].dump();
  EXPECT_EQ(s.report["live"]["connects"], 2) << s.report["live"].dump();
  EXPECT_EQ(s.report["live"]["reconnects"], 0) << s.report["live"].dump();
  EXPECT_EQ(s.report["messages"]["by_type"]["subscription_ack"], 2);

  // Two subscribe requests of 900 streams each; together every stream exactly once.
  const auto requests = split_lines(read_file(dir / "client.txt"));
  ASSERT_EQ(requests.size(), 2u);
  std::set<std::string> all;
  for (const auto& r : requests) {
    const auto params = nlohmann::json::parse(r)["params"];
    EXPECT_EQ(params.size(), 900u);
    for (const auto& p : params) EXPECT_TRUE(all.insert(p.get<std::string>()).second) << p;
  }
  EXPECT_EQ(all.size(), 1800u);
  EXPECT_EQ(all.count("blzeth@trade") + all.count("nknusdt@depth@100ms"), 2u);

  // Each message once (each symbol lives on one connection), the journal complete.
  EXPECT_EQ(count_data(s.messages), recorded);
  expect_complete_journal(s.journal);

  const auto r = run_tickpipe("replay " + dir / "rec.pcapng" + " -c " + cfg + " --journal " + dir / "rj.jsonl" +
                              " --dump-messages " + dir / "rd.txt");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(read_file(dir / "rd.txt"), read_file(dir / "d.txt"));
  EXPECT_EQ(testing::decision_lines(read_file(dir / "rj.jsonl")), testing::decision_lines(s.journal));
}

// A drop on one of the connections: that one reconnects and resubscribes its own share; the
// other goes on untouched.
TEST(Live, ADropOnOneOfSeveralConnectionsReconnectsOnlyThatOne) {
  const std::string messages = std::string(TP_SOURCE_DIR) + "/tests/data/binance/cryptofeed_binance_spot_20211012.txt";
  const std::size_t recorded = split_lines(read_file(messages)).size();
  TempDir dir;
  WsMarketServer server({"--messages", messages, "--only-subscribed", "--fault", "drop", "--fault-after", "100",
                         "--record", dir / "client.txt", "--log-connections", dir / "conns.txt"});
  const Session s = run_live(dir, many_symbols_config(dir, server.url("/stream")), "", "2");
  ASSERT_EQ(s.cli.status, 0) << s.cli.output;
  EXPECT_EQ(s.report["live"]["connections"], 2) << s.report["live"].dump();
  EXPECT_EQ(s.report["live"]["connects"], 3) << s.report["live"].dump();
  EXPECT_EQ(s.report["live"]["reconnects"], 1) << s.report["live"].dump();
  EXPECT_EQ(s.report["live"]["disconnects"], 1) << s.report["live"].dump();
  // The first connection (the server's connection 1) resubscribed its own share, the same request.
  const auto requests = split_lines(read_file(dir / "client.txt"));
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[2], requests[0]);
  EXPECT_NE(requests[1], requests[0]);
  EXPECT_GE(count_data(s.messages), recorded);
  expect_complete_journal(s.journal);
}

}  // namespace
}  // namespace tp
