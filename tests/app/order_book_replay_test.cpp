// End-to-end: the order book ([book], [sim] fill_model = "book"; docs/order-book.md) through the
// real binary on real Binance traffic: the bundled sample capture (3,200 messages of 2024-08-08:
// a REST depth snapshot, 291 depth diffs, 2,365 bookTickers, 543 trades), and captures written here
// from the first 400 of those messages with one diff taken out (a planted gap) and, for the resync,
// a snapshot built by this test's own std::map book from the real snapshot and every real diff.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "../feed/capture_writer.hpp"
#include "../feed/feed_test_util.hpp"
#include "cli_runner.hpp"

namespace tp {
namespace {

namespace cw = feed::test::cw;
using nlohmann::json;
using testing::read_file;
using testing::run_tickpipe;
using testing::split_lines;
using testing::TempDir;
using testing::write_file;

const std::string kSample = std::string(TP_SOURCE_DIR) + "/samples/binance-btcusdt-3200.pcap";
const std::string kSampleConfig = std::string(TP_SOURCE_DIR) + "/config/sample.toml";
const std::string kHead400 = std::string(TP_SOURCE_DIR) + "/tests/data/binance/spot_btcusdt_20240808_head400.txt";

// config/sample.toml with `extra` appended and its [sim] table given `sim_extra` first.
std::string sample_config(const std::string& extra, const std::string& sim_extra = "", const std::string& qty = "") {
  std::string c = read_file(kSampleConfig);
  if (!sim_extra.empty()) c.replace(c.find("[sim]\n"), 6, "[sim]\n" + sim_extra + "\n");
  if (!qty.empty()) c.replace(c.find("qty = \"0.5\""), 11, "qty = \"" + qty + "\"");
  return c + "\n" + extra;
}

struct Replayed {
  std::string output;
  std::string journal;
  json report;
};

Replayed replay(const TempDir& dir, const std::string& name, const std::string& config, const std::string& capture) {
  write_file(dir / (name + ".toml"), config);
  const auto r = run_tickpipe("replay --config " + dir / (name + ".toml") + " --journal " + dir / (name + ".jsonl") +
                              " --report " + dir / (name + ".json") + " " + capture);
  EXPECT_EQ(r.status, 0) << r.output;
  Replayed out;
  out.output = r.output;
  out.journal = read_file(dir / (name + ".jsonl"));
  std::ifstream f(dir / (name + ".json"));
  if (f) out.report = json::parse(f);
  return out;
}

std::vector<json> records(const std::string& journal, const std::string& event) {
  std::vector<json> out;
  for (const auto& line : split_lines(journal)) {
    json j = json::parse(line);
    if (j["event"] == event) out.push_back(std::move(j));
  }
  return out;
}

// Binance prices and sizes have 8 decimals: exact as integers of 1e-8.
int64_t e8(const std::string& s) {
  const std::size_t dot = s.find('.');
  std::string digits = s.substr(0, dot);
  std::string frac = dot == std::string::npos ? "" : s.substr(dot + 1);
  frac.resize(8, '0');
  return std::stoll(digits + frac);
}
std::string str8(int64_t v) {
  std::string s = std::to_string(v / 100000000) + ".";
  std::string f = std::to_string(v % 100000000);
  return s + std::string(8 - f.size(), '0') + f;
}

TEST(OrderBookReplay, TheSampleWithABookAuditsEveryBookTickerAndMarksFromTheBook) {
  TempDir dir;
  const Replayed r = replay(dir, "book", sample_config("[book]\n"), kSample);
  const json& sym = r.report["symbols"][0];
  ASSERT_TRUE(sym.contains("book")) << r.output;
  const json& b = sym["book"];
  EXPECT_EQ(b["snapshots_loaded"], 1);
  EXPECT_EQ(b["gaps"], 0);
  EXPECT_EQ(b["crossed"], 0);
  EXPECT_EQ(b["resyncs"], 0);
  EXPECT_EQ(b["valid"], true);
  // Every bookTicker is superseded by the book, and each one at the book's own update id was
  // compared with its top: none disagreed.
  EXPECT_EQ(b["top_mismatches"], 0);
  EXPECT_EQ(b["tops_superseded"], r.report["messages"]["by_type"]["book_ticker"]);
  // Every depth diff is accounted for: 2 came before the snapshot and were older than it.
  const int64_t diffs = r.report["messages"]["by_type"]["depth_update"];
  EXPECT_EQ(diffs, 291);
  EXPECT_EQ(b["diffs_applied"].get<int64_t>() + b["diffs_duplicate"].get<int64_t>() +
                b["diffs_discarded"].get<int64_t>(),
            diffs);
  EXPECT_EQ(b["diffs_applied"], 289);
  EXPECT_FALSE(sym.contains("slippage")) << "the touch model";
  EXPECT_NE(r.output.find("Order books (5000 levels a side"), std::string::npos) << r.output;

  // The marks are the book's: the same three profit-takes as without a book, all filled at the
  // touch (the touch model), the first two one diff later than the bookTicker that fired them
  // without a book (the book's first top comes with the first diff after the snapshot).
  const auto fills = records(r.journal, "fill");
  ASSERT_EQ(fills.size(), 3u) << r.journal;
  EXPECT_EQ(fills[0]["price"], "61837.63000000");
  EXPECT_EQ(fills[2]["price"], "61849.49000000");
  EXPECT_EQ(sym["mark"], "61855.36000000");
}

TEST(OrderBookReplay, WithoutABookTheJournalIsUnchanged) {
  TempDir dir;
  const Replayed plain = replay(dir, "plain", sample_config(""), kSample);
  const Replayed off = replay(dir, "off", sample_config("[book]\nenabled = false\n"), kSample);
  EXPECT_EQ(plain.journal, off.journal);
  EXPECT_FALSE(plain.report["symbols"][0].contains("book"));
  EXPECT_EQ(plain.output.find("Order books"), std::string::npos);
}

TEST(OrderBookReplay, MarketOrdersWalkTheBookAndTheSlippageIsWhatTheTouchWouldNotHaveCost) {
  // 20 BTC of inventory: the profit-takes sell 6, 4.2, ... BTC, far more than the touch holds.
  TempDir dir;
  const Replayed touch = replay(dir, "touch", sample_config("[book]\n", "", "20"), kSample);
  const Replayed book = replay(dir, "walk", sample_config("[book]\n", "fill_model = \"book\"", "20"), kSample);

  // The same decisions (the marks are the book's in both runs) ...
  EXPECT_EQ(records(touch.journal, "order"), records(book.journal, "order"));
  const auto orders = records(book.journal, "order");
  ASSERT_EQ(orders.size(), 4u);
  // ... filled at the touch in one fill each, or level by level: each order's fills add up to it,
  // at prices that only fall (sells), and the last one is the order's last.
  const auto touch_fills = records(touch.journal, "fill");
  ASSERT_EQ(touch_fills.size(), 4u);
  const auto fills = records(book.journal, "fill");
  ASSERT_GT(fills.size(), 40u);
  int64_t qty_all = 0;
  __int128 notional_e16 = 0, beyond_e16 = 0;  // price x qty in 1e-16: over int64
  std::size_t k = 0;
  for (std::size_t o = 0; o < orders.size(); ++o) {
    const uint64_t id = orders[o]["client_order_id"];
    const int64_t touch_px = e8(touch_fills[o]["price"]);
    int64_t sum = 0, last_px = INT64_MAX;
    for (; k < fills.size() && fills[k]["client_order_id"] == id; ++k) {
      const int64_t px = e8(fills[k]["price"]), q = e8(fills[k]["qty"]);
      EXPECT_LT(px, last_px) << "one fill per level, best first";
      EXPECT_LE(px, touch_px);
      last_px = px;
      sum += q;
      qty_all += q;
      notional_e16 += static_cast<__int128>(px) * q;
      beyond_e16 += static_cast<__int128>(touch_px - px) * q;
    }
    EXPECT_EQ(sum, e8(orders[o]["qty"])) << "order " << id;
  }
  EXPECT_EQ(k, fills.size());

  // The report's slippage is exactly those fills against the touch (prices of 2 and sizes of 5
  // decimals: every product is exact in 1e-8), and it is exactly the realized P&L the walk lost.
  const json& sl = book.report["symbols"][0]["slippage"];
  EXPECT_EQ(sl["fills"], fills.size());
  EXPECT_EQ(sl["taker_qty"], str8(qty_all));
  EXPECT_EQ(notional_e16 % 100000000, 0);
  EXPECT_EQ(sl["notional"], str8(static_cast<int64_t>(notional_e16 / 100000000)));
  EXPECT_EQ(sl["cost"], str8(static_cast<int64_t>(beyond_e16 / 100000000)));
  EXPECT_EQ(sl["ioc_cancelled"], 0);
  const int64_t lost = e8(touch.report["symbols"][0]["realized"]) - e8(book.report["symbols"][0]["realized"]);
  EXPECT_EQ(str8(lost), sl["cost"]);
  EXPECT_NE(book.output.find("Slippage versus the touch"), std::string::npos) << book.output;
}

// The first 400 messages of the recording as a capture, with depth diff `drop` (counting diffs
// from 0) left out and, when `resync_after` >= 0, a snapshot inserted after diff `resync_after`
// whose book is this test's own reference at the u of diff `resync_after - 1`.
struct GapCapture {
  std::string pcap;
  uint64_t gap_expected = 0, gap_got = 0;  // the U the chain expected at the diff after the dropped one, and its U
  std::string final_bid;                   // the reference book's best bid after every diff
};

GapCapture gap_capture(std::size_t drop, int resync_after) {
  std::ifstream in(kHead400);
  std::vector<std::pair<int64_t, std::string>> lines;
  for (std::string line; std::getline(in, line);) {
    const std::size_t sp = line.find(' ');
    lines.emplace_back(std::stoll(line.substr(0, sp)), line.substr(sp + 1));
  }
  // The reference: a std::map book from the real snapshot and every diff after it (Binance's rules).
  std::map<int64_t, std::string> bids, asks;  // price (1e-8) -> qty string
  uint64_t last_id = 0;
  auto apply = [](std::map<int64_t, std::string>& side, const json& levels) {
    for (const auto& l : levels) {
      if (e8(l[1]) == 0) side.erase(e8(l[0]));
      else side[e8(l[0])] = l[1];
    }
  };
  auto snapshot_json = [&](uint64_t id) {
    json s{{"lastUpdateId", id}, {"bids", json::array()}, {"asks", json::array()}};
    for (auto it = bids.rbegin(); it != bids.rend(); ++it) s["bids"].push_back({str8(it->first), it->second});
    for (const auto& [px, q] : asks) s["asks"].push_back({str8(px), q});
    return s.dump();
  };
  GapCapture out;
  cw::WsSession ws;
  std::size_t diff = 0;
  uint64_t prev_u = 0;
  for (const auto& [ts, payload] : lines) {
    const json m = json::parse(payload);
    if (m.contains("lastUpdateId")) {
      last_id = m["lastUpdateId"];
      apply(bids, m["bids"]);
      apply(asks, m["asks"]);
      ws.server_message(cw::ws::kText, payload);
      continue;
    }
    if (!(m.contains("data") && m["data"].value("e", std::string()) == "depthUpdate")) {
      ws.server_message(cw::ws::kText, payload);
      continue;
    }
    const json& d = m["data"];
    const uint64_t u = d["u"], first = d["U"];
    const std::size_t k = diff++;
    if (k == drop + 1) out.gap_got = first;
    // The resync snapshot is the reference book before this diff (as of the previous diff's u), sent
    // after it: the diff is then the first past the snapshot, as Binance's procedure has it.
    const std::string snap = static_cast<int>(k) == resync_after ? snapshot_json(prev_u) : "";
    if (last_id != 0 && u > last_id) {
      apply(bids, d["b"]);
      apply(asks, d["a"]);
    }
    prev_u = u;
    if (k == drop) out.gap_expected = first;  // the chain needs it next; it never comes
    else ws.server_message(cw::ws::kText, payload);
    if (!snap.empty()) ws.server_message(cw::ws::kText, snap);
  }
  out.final_bid = str8(bids.rbegin()->first);

  cw::TcpConversation c(cw::ep4(10, 0, 0, 1, 40001), cw::ep4(10, 0, 0, 2, 443));
  c.handshake();
  c.send(true, ws.request);
  c.send(false, ws.response);
  c.send(false, ws.server);
  c.fin(false);
  c.fin(true);
  cw::Capture cap(cw::Link::Ethernet, lines.front().first, 1'000'000);
  cap.tcp(c);
  out.pcap = cap.pcap();
  return out;
}

TEST(OrderBookReplay, APlantedGapLosesTheBookAndMakesTheSymbolStale) {
  TempDir dir;
  const GapCapture g = gap_capture(/*drop=*/6, /*resync_after=*/-1);
  write_file(dir / "gap.pcap", g.pcap);
  const Replayed r = replay(dir, "gap", sample_config("[book]\n"), dir / "gap.pcap");
  const json& sym = r.report["symbols"][0];
  const json& b = sym["book"];
  EXPECT_EQ(b["gaps"], 1);
  EXPECT_EQ(b["last_gap_expected"], g.gap_expected);
  EXPECT_EQ(b["last_gap_got"], g.gap_got);
  EXPECT_EQ(b["valid"], false);
  EXPECT_EQ(b["resyncs"], 0);
  EXPECT_EQ(sym["stale_at_end"], true) << "a lost book makes the symbol stale (SPEC 10.5)";
  EXPECT_NE(r.output.find("last gap: the chain expected update id " + std::to_string(g.gap_expected) +
                          ", the venue sent " + std::to_string(g.gap_got)),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("stale at the end"), std::string::npos) << r.output;
}

TEST(OrderBookReplay, AfterAGapANewSnapshotResynchronisesTheBookToTheReference) {
  TempDir dir;
  const GapCapture g = gap_capture(/*drop=*/6, /*resync_after=*/11);
  write_file(dir / "resync.pcap", g.pcap);
  const Replayed r = replay(dir, "resync", sample_config("[book]\n"), dir / "resync.pcap");
  const json& sym = r.report["symbols"][0];
  const json& b = sym["book"];
  EXPECT_EQ(b["gaps"], 1);
  EXPECT_EQ(b["last_gap_expected"], g.gap_expected);
  EXPECT_EQ(b["snapshots_loaded"], 2);
  EXPECT_EQ(b["resyncs"], 1);
  EXPECT_EQ(b["valid"], true);
  EXPECT_EQ(b["crossed"], 0);
  // The bookTickers after the resync at the book's own update ids all agree with it, and the book's
  // last top is the reference's (the mark of a long position is the best bid).
  EXPECT_EQ(b["top_mismatches"], 0);
  EXPECT_EQ(sym["mark"], g.final_bid);
  EXPECT_EQ(sym["stale_at_end"], false);
  EXPECT_EQ(sym["stale_episodes"], 1) << "the resynchronised book's first top ended the stale spell";
}

// Coinbase's level2 channel end to end (docs/order-book.md "Coinbase"): a real 2021 recording of
// two products (their snapshots, 4,517 l2updates, tickers) written as one WebSocket connection and
// replayed. Each product's book forms from its snapshot, applies every update after it, never
// crosses, and its tickers are superseded by the book.
TEST(OrderBookReplay, ACoinbaseLevel2RecordingBuildsEachProductsBook) {
  const std::vector<std::string> products{"SKL-USD", "DASH-BTC"};
  struct Expect {
    bool snapshot = false;
    int applied = 0, discarded = 0, tickers = 0;
  };
  std::map<std::string, Expect> want;
  cw::WsSession ws;
  int64_t first_ts = 0;
  for (const std::string& line : feed::test::read_gz_lines(
           std::string(TP_SOURCE_DIR) + "/tests/data/coinbase/coinbase_pro_20210417_level2_skl-usd_dash-btc.txt.gz")) {
    const std::size_t sp = line.find(' ');
    if (first_ts == 0) first_ts = std::stoll(line.substr(0, sp));
    const std::string payload = line.substr(sp + 1);
    ws.server_message(cw::ws::kText, payload);
    const json m = json::parse(payload);
    if (!m.contains("product_id")) continue;
    Expect& e = want[m["product_id"].get<std::string>()];
    if (m["type"] == "snapshot") e.snapshot = true;
    else if (m["type"] == "l2update") ++(e.snapshot ? e.applied : e.discarded);
    else if (m["type"] == "ticker") ++e.tickers;
  }
  cw::TcpConversation c(cw::ep4(10, 0, 0, 1, 40001), cw::ep4(10, 0, 0, 2, 443));
  c.handshake();
  c.send(true, ws.request);
  c.send(false, ws.response);
  c.send(false, ws.server);
  c.fin(false);
  c.fin(true);
  cw::Capture cap(cw::Link::Ethernet, first_ts, 1'000'000);
  cap.tcp(c);
  TempDir dir;
  write_file(dir / "coinbase.pcap", cap.pcap());

  std::string cfg = "[venue]\nformat = \"coinbase\"\n";
  for (const std::string& p : products) cfg += "[[symbols]]\nname = \"" + p + "\"\nlot_step = \"0.001\"\n";
  const Replayed r = replay(dir, "coinbase", cfg + "[book]\n", dir / "coinbase.pcap");
  ASSERT_EQ(r.report["symbols"].size(), products.size()) << r.output;
  for (std::size_t i = 0; i < products.size(); ++i) {
    const json& sym = r.report["symbols"][i];
    const Expect& e = want[products[i]];
    ASSERT_TRUE(e.snapshot) << products[i];
    ASSERT_GT(e.applied, 100) << products[i];
    const json& b = sym["book"];
    EXPECT_EQ(b["valid"], true) << products[i];
    EXPECT_EQ(b["snapshots_loaded"], 1) << products[i];
    EXPECT_EQ(b["diffs_applied"], e.applied) << products[i];
    EXPECT_EQ(b["diffs_discarded"], e.discarded) << products[i];
    EXPECT_EQ(b["crossed"], 0) << products[i];
    EXPECT_EQ(b["tops_superseded"], e.tickers) << products[i];
    EXPECT_GT(b["bid_levels"].get<int>(), 10) << products[i];
    EXPECT_GT(b["ask_levels"].get<int>(), 10) << products[i];
  }
}

}  // namespace
}  // namespace tp
