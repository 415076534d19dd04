// End to end (issue 12): `tickpipe live` on a recorded Binance stream served by node's ws
// (tests/peers/ws_market_server.js), its orders going over FIX 4.4 to the QuickFIX exchange
// (tests/peers/fix_exchange). The journal must equal what the exchange logged, order for order and
// fill for fill; a stop cancels what is open at the venue and then logs out; a venue that drops
// mid-session is reconnected to without an order sent twice.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../peers/fix_exchange.hpp"
#include "../peers/ws_market_server.hpp"
#include "cli_runner.hpp"
#include "core/types/decimal.hpp"

namespace tp {
namespace {

using json = nlohmann::json;
using testing::FixExchange;
using testing::read_file;
using testing::run_tickpipe;
using testing::split_lines;
using testing::TempDir;
using testing::write_file;
using testing::WsMarketServer;

const std::string kMessages = std::string(TP_SOURCE_DIR) + "/tests/data/binance/spot_btcusdt_20240808_head400.txt";

std::string fix_live_config(const TempDir& dir, const std::string& url, int fix_port) {
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
streams = ["bookTicker", "trade"]
stale_after_ms = 60000
[exec]
venue = "fix"
[fix]
host = "127.0.0.1"
port = )" + std::to_string(fix_port) + R"(
sender_comp_id = "CLIENT1"
target_comp_id = "EXECUTOR"
heartbeat_s = 5
store_dir = ")" + dir / "fix-store" + R"("
reconnect_min_ms = 50
reconnect_max_ms = 400
shutdown_wait_ms = 2000
)");
  return path;
}

Fixed fx(const std::string& text) {
  Fixed v = 0;
  EXPECT_TRUE(parse_fixed_signed(text, v)) << text;
  return v;
}

// The client order id in a ClOrdID "<incarnation>-<id>".
uint64_t coid_of(const std::string& clordid) { return std::stoull(clordid.substr(clordid.find('-') + 1)); }

std::vector<json> journal_records(const std::string& text, const std::string& event) {
  std::vector<json> out;
  for (const auto& l : split_lines(text)) {
    json j = json::parse(l);
    if (j["event"] == event) out.push_back(std::move(j));
  }
  return out;
}

std::vector<json> exchange_messages(const FixExchange& ex, const std::string& dir, const std::string& type) {
  std::vector<json> out;
  for (const auto& l : ex.log_lines()) {
    json j = json::parse(l, nullptr, false);
    if (!j.is_discarded() && j.value("dir", "") == dir && j.value("type", "") == type) out.push_back(std::move(j));
  }
  return out;
}

struct LiveRun {
  testing::CliResult cli;
  json report;
  std::string journal;
};

LiveRun run_live(const TempDir& dir, const std::string& cfg, const std::string& duration = "2") {
  LiveRun r;
  r.cli = run_tickpipe("live -c " + cfg + " --mode threaded --duration " + duration + " --journal " + dir / "j.jsonl" +
                       " --report " + dir / "r.json");
  const std::string rep = read_file(dir / "r.json");
  if (!rep.empty()) r.report = json::parse(rep);
  r.journal = read_file(dir / "j.jsonl");
  return r;
}

TEST(FixLive, JournalEqualsWhatTheExchangeLogged) {
  TempDir dir;
  WsMarketServer md({"--messages", kMessages, "--rate", "1000"});
  FixExchange ex({"--store-dir", dir / "venue-store", "--log", dir / "venue.jsonl", "--price", "61000.5",
                  "--fill", "partial:2", "--commission-bps", "7.5", "--max-seconds", "60"});
  const LiveRun r = run_live(dir, fix_live_config(dir, md.url("/stream"), ex.port()));
  ASSERT_EQ(r.cli.status, 0) << r.cli.output;
  const auto orders = journal_records(r.journal, "order");
  const auto fills = journal_records(r.journal, "fill");
  ASSERT_FALSE(orders.empty()) << r.journal;
  // Order for order: each NewOrderSingle the exchange accepted is one journal order, same side,
  // quantity, type and symbol; nothing was sent twice.
  const auto d = exchange_messages(ex, "in", "D");
  ASSERT_EQ(d.size(), orders.size());
  for (std::size_t i = 0; i < d.size(); ++i) {
    EXPECT_EQ(coid_of(d[i]["clordid"]), orders[i]["client_order_id"].get<uint64_t>());
    EXPECT_EQ(d[i]["side"], orders[i]["side"] == "buy" ? "1" : "2");
    EXPECT_EQ(fx(d[i]["qty"]), fx(orders[i]["qty"]));
    EXPECT_EQ(d[i]["ordtype"], "1");
    EXPECT_EQ(d[i]["tif"], "3");
    EXPECT_EQ(d[i]["symbol"], "BTCUSDT");
  }
  // Fill for fill: each Trade report is one journal fill, at LastPx, fee = the venue's Commission.
  std::vector<json> trades;
  for (auto& m : exchange_messages(ex, "out", "8"))
    if (m["exectype"] == "F") trades.push_back(std::move(m));
  ASSERT_EQ(trades.size(), fills.size());
  ASSERT_EQ(fills.size(), 2 * orders.size());  // partial:2
  for (std::size_t i = 0; i < trades.size(); ++i) {
    EXPECT_EQ(coid_of(trades[i]["clordid"]), fills[i]["client_order_id"].get<uint64_t>());
    EXPECT_EQ(fx(trades[i]["lastqty"]), fx(fills[i]["qty"]));
    EXPECT_EQ(fx(trades[i]["lastpx"]), fx(fills[i]["price"]));
    EXPECT_EQ(fx(trades[i]["commission"]), fx(fills[i]["fee"]));
  }
  EXPECT_EQ(r.report["fix"]["state"], "stopped");
  EXPECT_EQ(r.report["fix"]["logons"], 1);
  EXPECT_EQ(r.report["fix"]["open_orders"], 0);
  EXPECT_EQ(r.report["fix"]["fills"], fills.size());
  EXPECT_EQ(exchange_messages(ex, "in", "5").size(), 1u);  // logged out at the end
  EXPECT_NE(r.cli.output.find("fix:      session stopped"), std::string::npos) << r.cli.output;
}

// The exchange acknowledges and never fills: at the stop the engine cancels every open order at the
// venue, journals the cancels, and only then logs out.
TEST(FixLive, StopCancelsOpenOrdersThenLogsOut) {
  TempDir dir;
  WsMarketServer md({"--messages", kMessages, "--rate", "1000"});
  FixExchange ex({"--store-dir", dir / "venue-store", "--log", dir / "venue.jsonl", "--price", "61000.5", "--fill",
                  "none", "--max-seconds", "60"});
  const LiveRun r = run_live(dir, fix_live_config(dir, md.url("/stream"), ex.port()));
  ASSERT_EQ(r.cli.status, 0) << r.cli.output;
  const auto orders = journal_records(r.journal, "order");
  const auto cancels = journal_records(r.journal, "cancel");
  ASSERT_FALSE(orders.empty()) << r.journal;
  EXPECT_EQ(cancels.size(), orders.size()) << r.journal;
  EXPECT_TRUE(journal_records(r.journal, "fill").empty());
  const auto f = exchange_messages(ex, "in", "F");
  EXPECT_EQ(f.size(), orders.size());
  // Every cancel request came before the Logout.
  const auto lines = ex.log_lines();
  std::size_t last_cancel = 0;
  std::size_t logout = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const json j = json::parse(lines[i], nullptr, false);
    if (j.is_discarded() || j.value("dir", "") != "in") continue;
    if (j["type"] == "F") last_cancel = i;
    if (j["type"] == "5") logout = i;
  }
  EXPECT_LT(last_cancel, logout);
  EXPECT_EQ(r.report["fix"]["open_orders"], 0);
}

// The exchange drops the connection while an order is in flight: the session reconnects, gap-fills
// instead of sending the order again, asks for the order's state, and the journal says the order was
// rejected; orders after it trade. No ClOrdID reaches the exchange twice.
TEST(FixLive, DropWithOrderInFlightNeverSendsItTwice) {
  TempDir dir;
  WsMarketServer md({"--messages", kMessages, "--rate", "200"});
  FixExchange ex({"--store-dir", dir / "venue-store", "--log", dir / "venue.jsonl", "--price", "61000.5",
                  "--fault", "drop", "--fault-after", "1", "--max-seconds", "60"});
  const LiveRun r = run_live(dir, fix_live_config(dir, md.url("/stream"), ex.port()), "3");
  ASSERT_EQ(r.cli.status, 0) << r.cli.output;
  const auto orders = journal_records(r.journal, "order");
  ASSERT_GE(orders.size(), 1u) << r.journal;
  const auto rejects = journal_records(r.journal, "reject");
  ASSERT_GE(rejects.size(), 1u) << r.journal;
  EXPECT_EQ(rejects[0]["client_order_id"], orders[0]["client_order_id"]);
  EXPECT_EQ(rejects[0]["reason"], "venue");
  std::map<std::string, int> seen;
  for (const auto& d : exchange_messages(ex, "in", "D")) EXPECT_EQ(++seen[d["clordid"].get<std::string>()], 1);
  EXPECT_GE(r.report["fix"]["logons"].get<int>(), 2);
  EXPECT_GE(r.report["fix"]["gap_fills_out"].get<int>(), 1);
  EXPECT_GE(r.report["fix"]["status_requests_sent"].get<int>(), 1);
}

}  // namespace
}  // namespace tp
