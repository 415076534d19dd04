// `tickpipe live` with [book] on Binance (docs/order-book.md): the engine fetches the REST depth
// snapshot itself (feed/live/depth_snapshot_fetcher, over the feed's TLS code), joins it to the
// buffered diffs, records it in --record as a message connection of its own, and a replay of the
// recording rebuilds the same book and makes the same decisions. The venue is
// tests/peers/ws_market_server.js on 127.0.0.1 serving the real recorded spot messages on its
// WebSocket and the real REST snapshot of the same moment on /api/v3/depth, with REST faults.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

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

const std::string kRecording = std::string(TP_SOURCE_DIR) + "/tests/data/binance/spot_btcusdt_20240808_head400.txt";

// The recording without its REST snapshot line (the venue's WebSocket never sends one), and the
// snapshot alone (what the REST endpoint answers).
struct VenueFiles {
  std::string messages;
  std::string snapshot;
  std::size_t message_count = 0;
  int diffs_after_snapshot = 0;  // diffs with u > the snapshot's lastUpdateId: what the book applies
};

VenueFiles split_recording(const TempDir& dir) {
  VenueFiles f{dir / "ws.txt", dir / "snapshot.json", 0, 0};
  std::string ws, snap;
  for (const std::string& line : split_lines(read_file(kRecording))) {
    const std::string payload = line.substr(line.find(' ') + 1);
    if (payload.find("\"lastUpdateId\"") != std::string::npos) {
      snap = payload;
    } else {
      ws += line + "\n";
      ++f.message_count;
    }
  }
  const uint64_t last_id = nlohmann::json::parse(snap)["lastUpdateId"];
  for (const std::string& line : split_lines(ws)) {
    const nlohmann::json m = nlohmann::json::parse(line.substr(line.find(' ') + 1));
    if (m.contains("data") && m["data"].value("e", std::string()) == "depthUpdate" &&
        m["data"]["u"].get<uint64_t>() > last_id)
      ++f.diffs_after_snapshot;
  }
  write_file(f.messages, ws);
  write_file(f.snapshot, snap);
  return f;
}

std::string book_config(const TempDir& dir, const WsMarketServer& server, const std::string& streams,
                        const std::string& book_extra) {
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
url = ")" + server.url("/stream") + R"("
streams = )" + streams + R"(
reconnect_min_ms = 20
reconnect_max_ms = 200
stale_after_ms = 10000
[book]
levels = 5000
)" + book_extra);
  return path;
}

std::string rest_url(const WsMarketServer& server) {
  return "snapshot_url = \"http://127.0.0.1:" + std::to_string(server.port()) +
         "/api/v3/depth?symbol={symbol}&limit=1000\"\nsnapshot_timeout_ms = 1000\n";
}

struct Session {
  testing::CliResult cli;
  nlohmann::json report;
  std::string journal;
};

Session run_live(const TempDir& dir, const std::string& cfg, const std::string& duration) {
  Session s;
  s.cli = run_tickpipe("live -c " + cfg + " --mode deterministic --duration " + duration + " --journal " +
                       dir / "j.jsonl" + " --report " + dir / "r.json" + " --dump-messages " + dir / "d.txt" +
                       " --record " + dir / "rec.pcapng");
  const std::string rep = read_file(dir / "r.json");
  if (!rep.empty()) s.report = nlohmann::json::parse(rep);
  s.journal = read_file(dir / "j.jsonl");
  return s;
}

const nlohmann::json& book_of(const nlohmann::json& report) { return report["symbols"][0]["book"]; }

TEST(LiveBook, TheRestSnapshotIsFetchedJoinedToTheDiffsAndReplaysFromTheRecording) {
  TempDir dir;
  const VenueFiles f = split_recording(dir);
  WsMarketServer server({"--messages", f.messages, "--rate", "2000", "--rest-depth", f.snapshot});
  const std::string cfg = book_config(dir, server, R"(["bookTicker", "trade", "depth@100ms"])", rest_url(server));
  const Session s = run_live(dir, cfg, "2");
  ASSERT_EQ(s.cli.status, 0) << s.cli.output;
  ASSERT_TRUE(s.report.contains("symbols")) << s.cli.output;
  const nlohmann::json& b = book_of(s.report);
  EXPECT_TRUE(b["valid"].get<bool>()) << b.dump();
  EXPECT_EQ(b["snapshots_loaded"], 1) << b.dump();
  EXPECT_EQ(b["gaps"], 0) << b.dump();
  EXPECT_EQ(b["top_mismatches"], 0) << b.dump();
  EXPECT_EQ(b["diffs_applied"], f.diffs_after_snapshot) << b.dump();
  EXPECT_GT(f.diffs_after_snapshot, 10);
  testing::expect_complete_journal(s.journal);
  // The fetched snapshot is one more message, named by its symbol.
  const std::string dump = read_file(dir / "d.txt");
  EXPECT_NE(dump.find("{\"s\":\"BTCUSDT\",\"lastUpdateId\":"), std::string::npos);

  // The recording holds the snapshot where the engine used it: the replay rebuilds the same book
  // (same counters) and makes the same decisions, from the same messages.
  const auto r = run_tickpipe("replay " + dir / "rec.pcapng" + " -c " + cfg + " --journal " + dir / "rj.jsonl" +
                              " --report " + dir / "rr.json" + " --dump-messages " + dir / "rd.txt");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(read_file(dir / "rd.txt"), dump);
  EXPECT_EQ(testing::decision_lines(read_file(dir / "rj.jsonl")), testing::decision_lines(s.journal));
  const nlohmann::json replayed = nlohmann::json::parse(read_file(dir / "rr.json"));
  nlohmann::json live_book = b, replay_book = book_of(replayed);
  EXPECT_EQ(replay_book, live_book);
}

// A REST endpoint that refuses, drops, stalls or answers garbage the first time is asked again
// (with backoff, or after Retry-After) and the book still forms; the WebSocket is untouched.
TEST(LiveBook, RestFaultsAreRetriedAndTheBookStillForms) {
  for (const char* fault : {"429", "500", "drop", "garbage", "stall", "chunked"}) {
    TempDir dir;
    const VenueFiles f = split_recording(dir);
    WsMarketServer server(
        {"--messages", f.messages, "--rate", "400", "--rest-depth", f.snapshot, "--rest-fault", fault});
    const std::string cfg = book_config(dir, server, R"(["bookTicker", "depth@100ms"])", rest_url(server));
    const Session s = run_live(dir, cfg, "4");
    ASSERT_EQ(s.cli.status, 0) << fault << "\n" << s.cli.output;
    const nlohmann::json& b = book_of(s.report);
    EXPECT_TRUE(b["valid"].get<bool>()) << fault << " " << b.dump();
    EXPECT_EQ(b["snapshots_loaded"], 1) << fault << " " << b.dump();
    EXPECT_EQ(b["top_mismatches"], 0) << fault;
    EXPECT_EQ(s.report["live"]["reconnects"], 0) << fault;
    EXPECT_EQ(s.report["live"]["snapshot_fetches"], 1) << fault;
    testing::expect_complete_journal(s.journal);
    const int failures = std::string(fault) == "chunked" ? 0 : 1;  // the others fail the first try
    EXPECT_EQ(s.report["live"]["snapshot_fetch_failures"], failures) << fault;
    EXPECT_NE(s.cli.output.find("1 depth snapshots fetched, " + std::to_string(failures) + " failed tries (retried)"),
              std::string::npos)
        << s.cli.output;
  }
}

// Coinbase (docs/order-book.md "Coinbase"): a crossed book can only come back with a new level2
// subscription. The venue sends the real SKL-USD snapshot and updates, then an update that crosses
// the book; the engine resubscribes the product (unsubscribe + subscribe, once) and the venue's new
// snapshot makes the book valid again. The recording replays to the same book.
TEST(LiveBook, ACrossedCoinbaseBookIsResubscribedAndReloaded) {
  TempDir dir;
  std::string ws, snapshot, last_time;
  int updates = 0;
  for (const std::string& line : split_lines(testing::read_gz(
           std::string(TP_SOURCE_DIR) + "/tests/data/coinbase/coinbase_pro_20210417_level2_skl-usd_dash-btc.txt.gz"))) {
    const std::string payload = line.substr(line.find(' ') + 1);
    const nlohmann::json m = nlohmann::json::parse(payload);
    if (m.value("product_id", std::string()) != "SKL-USD") continue;
    if (m["type"] == "snapshot") {
      snapshot = payload;
    } else if (m["type"] == "l2update" && !snapshot.empty() && updates < 200) {
      ++updates;
      last_time = m["time"];
    } else {
      continue;
    }
    ws += payload + "\n";
  }
  ASSERT_FALSE(snapshot.empty());
  ASSERT_EQ(updates, 200);
  // A bid far above every ask: the book crosses.
  ws += R"({"type":"l2update","product_id":"SKL-USD","changes":[["buy","1000.00","1"]],"time":")" + last_time + "\"}\n";
  write_file(dir / "ws.txt", ws);
  write_file(dir / "reply.txt", snapshot + "\n");
  WsMarketServer server({"--venue", "coinbase", "--messages", dir / "ws.txt", "--resubscribe-reply", dir / "reply.txt",
                         "--record", dir / "client.txt"});
  const std::string cfg = dir / "live.toml";
  write_file(cfg, "[venue]\nformat = \"coinbase\"\n[[symbols]]\nname = \"SKL-USD\"\nlot_step = \"0.01\"\n[live]\nurl = \"" +
                      server.url("/") + "\"\nstreams = [\"ticker\", \"level2\"]\nstale_after_ms = 10000\n"
                      "[book]\nsnapshot_timeout_ms = 500\n");
  const Session s = run_live(dir, cfg, "2.5");
  ASSERT_EQ(s.cli.status, 0) << s.cli.output;
  const nlohmann::json& b = book_of(s.report);
  EXPECT_EQ(b["crossed"], 1) << b.dump();
  EXPECT_EQ(b["snapshots_loaded"], 2) << b.dump();
  EXPECT_EQ(b["resyncs"], 1) << b.dump();
  EXPECT_TRUE(b["valid"].get<bool>()) << b.dump();
  EXPECT_EQ(b["diffs_applied"], updates + 1) << b.dump();  // the crossing one is applied, then found crossed
  EXPECT_EQ(read_file(dir / "client.txt"),
            "{\"type\":\"subscribe\",\"product_ids\":[\"SKL-USD\"],\"channels\":[\"ticker\",\"level2\"]}\n"
            "{\"type\":\"unsubscribe\",\"product_ids\":[\"SKL-USD\"],\"channels\":[\"level2\"]}\n"
            "{\"type\":\"subscribe\",\"product_ids\":[\"SKL-USD\"],\"channels\":[\"level2\"]}\n");
  EXPECT_NE(s.cli.output.find("event=book_resubscribe"), std::string::npos) << s.cli.output;
  EXPECT_EQ(s.report["live"]["book_resubscribes"], 1);
  testing::expect_complete_journal(s.journal);

  const auto r = run_tickpipe("replay " + dir / "rec.pcapng" + " -c " + cfg + " --journal " + dir / "rj.jsonl" +
                              " --report " + dir / "rr.json");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(book_of(nlohmann::json::parse(read_file(dir / "rr.json"))), b);
}

TEST(LiveBook, ABookWithoutTheDepthStreamOrASnapshotUrlIsAConfigurationError) {
  TempDir dir;
  WsMarketServer server({});
  {
    const std::string cfg = book_config(dir, server, R"(["bookTicker"])", rest_url(server));
    const auto r = run_tickpipe("live -c " + cfg + " --duration 1 --journal " + dir / "j1.jsonl");
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_NE(r.output.find("add \"depth@100ms\" (or \"depth\") to live.streams"), std::string::npos) << r.output;
  }
  {
    const std::string cfg = book_config(dir, server, R"(["depth@100ms"])", "");
    const auto r = run_tickpipe("live -c " + cfg + " --duration 1 --journal " + dir / "j2.jsonl");
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_NE(r.output.find("needs book.snapshot_url"), std::string::npos) << r.output;
  }
  {
    const std::string cfg = book_config(dir, server, R"(["depth@100ms"])",
                                        "snapshot_url = \"http://127.0.0.1:99999/api/v3/depth?symbol={symbol}\"\n");
    const auto r = run_tickpipe("live -c " + cfg + " --duration 1 --journal " + dir / "j3.jsonl");
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_NE(r.output.find("book.snapshot_url \"http://127.0.0.1:99999/"), std::string::npos) << r.output;
    EXPECT_FALSE(std::filesystem::exists(dir / "j3.jsonl")) << "refused before anything was written";
  }
}

}  // namespace
}  // namespace tp
