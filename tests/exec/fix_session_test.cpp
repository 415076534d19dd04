// The FIX 4.4 initiator (exec/fix: FixSession, FixVenue, FixStore) against a real counterparty:
// tests/peers/fix_exchange, QuickFIX's session layer with the FIX44.xml dictionary and validation on.
// Each session fault issue 12 names is its own test; the exchange's --log is the other side's record
// of what crossed the wire. docs/fix-acceptance.md maps these tests to QuickFIX's acceptance
// definitions.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "tests/exec/fix_venue_harness.hpp"
#include "tests/peers/fix_exchange.hpp"

namespace tp {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using testing::FixExchange;
using testing::FixVenueHarness;
using testing::ScratchDir;
using testing::fix_config;
using testing::fx;
using testing::limit_order;
using testing::market_order;

std::vector<std::string> exchange_args(const ScratchDir& dir, std::vector<std::string> more) {
  std::vector<std::string> a{"--store-dir", dir / "venue-store", "--log", dir / "venue.jsonl", "--price", "65000.5",
                             "--max-seconds", "120"};
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

// The exchange's log lines (JSON) that match `pred`.
template <typename Pred>
std::vector<json> lines(const FixExchange& ex, Pred&& pred) {
  std::vector<json> out;
  for (const std::string& l : ex.log_lines()) {
    json j = json::parse(l, nullptr, false);
    if (!j.is_discarded() && pred(j)) out.push_back(std::move(j));
  }
  return out;
}
std::vector<json> messages(const FixExchange& ex, const std::string& dir, const std::string& type) {
  return lines(ex, [&](const json& j) { return j.value("dir", "") == dir && j.value("type", "") == type; });
}

TEST(FixSession, LogonOrderAndFill) {
  ScratchDir dir;
  FixExchange ex(exchange_args(dir, {"--commission-bps", "7.5"}));
  FixVenueHarness h(fix_config(ex.port(), dir / "store"));
  ASSERT_TRUE(h.logon());
  h.submit(market_order(1, Side::Buy, "0.15"));
  ASSERT_TRUE(h.poll_until([&] { return h.finished(1); }));
  const auto fills = h.of(1, ExecKind::Fill);
  ASSERT_EQ(fills.size(), 1u);
  EXPECT_EQ(fills[0].qty, fx("0.15"));
  EXPECT_EQ(fills[0].price, fx("65000.5"));
  EXPECT_EQ(fills[0].fee, fx("7.31255625"));  // the venue's Commission, not taker_fee_bps
  EXPECT_EQ(fills[0].side, Side::Buy);
  EXPECT_TRUE(fills[0].last);
  EXPECT_EQ(h.venue().open_orders(), 0u);
  const auto d = messages(ex, "in", "D");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0]["clordid"], h.clordid(1));
  EXPECT_EQ(d[0]["qty"], "0.15");
  EXPECT_EQ(d[0]["ordtype"], "1");
  EXPECT_EQ(d[0]["tif"], "3");  // market orders are IOC (SPEC 11.2)
  EXPECT_EQ(d[0]["symbol"], "BTCUSDT");
  // A clean end: Logout both ways.
  ASSERT_TRUE(h.shutdown());
  EXPECT_EQ(messages(ex, "in", "5").size(), 1u);
  EXPECT_EQ(h.venue().session().stats().logons, 1u);
  EXPECT_EQ(h.venue().session().stats().garbled, 0u);
}

TEST(FixSession, PartialFillsAccumulate) {
  ScratchDir dir;
  FixExchange ex(exchange_args(dir, {"--fill", "partial:3"}));
  FixVenueHarness h(fix_config(ex.port(), dir / "store"), fx("10"));
  ASSERT_TRUE(h.logon());
  h.submit(market_order(1, Side::Sell, "1"));
  ASSERT_TRUE(h.poll_until([&] { return h.finished(1); }));
  const auto fills = h.of(1, ExecKind::Fill);
  ASSERT_EQ(fills.size(), 3u);
  EXPECT_EQ(fills[0].qty, fx("0.3"));
  EXPECT_EQ(fills[1].qty, fx("0.3"));
  EXPECT_EQ(fills[2].qty, fx("0.4"));
  EXPECT_FALSE(fills[0].last);
  EXPECT_FALSE(fills[1].last);
  EXPECT_TRUE(fills[2].last);
  // No Commission from the venue: taker_fee_bps (10) of qty x LastPx.
  EXPECT_EQ(fills[2].fee, fx("26.0002"));
  EXPECT_EQ(h.filled(1), fx("1"));
}

TEST(FixSession, VenueRejectsOrder) {
  ScratchDir dir;
  FixExchange ex(exchange_args(dir, {"--fill", "reject"}));
  FixVenueHarness h(fix_config(ex.port(), dir / "store"));
  ASSERT_TRUE(h.logon());
  h.submit(market_order(1, Side::Buy, "0.1"));
  ASSERT_TRUE(h.poll_until([&] { return h.finished(1); }));
  const auto rejects = h.of(1, ExecKind::Reject);
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0].reason, RejectReason::Venue);
  EXPECT_TRUE(h.of(1, ExecKind::Fill).empty());
}

TEST(FixSession, CancelAtVenueAndShutdownLogsOut) {
  ScratchDir dir;
  FixExchange ex(exchange_args(dir, {"--fill", "none"}));
  FixVenueHarness h(fix_config(ex.port(), dir / "store"));
  ASSERT_TRUE(h.logon());
  h.submit(limit_order(1, Side::Buy, "0.2", "64000"));
  h.submit(limit_order(2, Side::Buy, "0.2", "63000"));
  ASSERT_TRUE(h.poll_until([&] { return messages(ex, "out", "8").size() == 2; }));
  EXPECT_FALSE(h.finished(1));
  h.cancel(1);
  ASSERT_TRUE(h.poll_until([&] { return h.finished(1); }));
  const auto cancels = h.of(1, ExecKind::Cancel);
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].qty, 0);  // nothing had filled
  const auto f = messages(ex, "in", "F");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0]["origclordid"], h.clordid(1));
  EXPECT_EQ(f[0]["clordid"], h.clordid(1) + "-c1");
  // Shutdown with an order open: it cancels (as the strategy's shutdown does), then logs out.
  h.cancel(2);
  ASSERT_TRUE(h.shutdown());
  EXPECT_TRUE(h.finished(2));
  EXPECT_EQ(messages(ex, "in", "5").size(), 1u);
  EXPECT_EQ(h.venue().open_orders(), 0u);
}

TEST(FixSession, OrderRefusedWhileNotLoggedOn) {
  ScratchDir dir;
  FixConfig cfg = fix_config(1, dir / "store");  // port 1: nothing listens there
  FixVenueHarness h(cfg);
  h.poll_for(100ms);
  h.submit(market_order(1, Side::Buy, "0.1"));
  ASSERT_TRUE(h.finished(1));
  EXPECT_EQ(h.of(1, ExecKind::Reject).size(), 1u);
  EXPECT_EQ(h.venue().stats().rejected_not_logged_on, 1u);
  EXPECT_GE(h.venue().session().stats().connect_failures, 1u);
}

// The acceptor drops the connection on reading the NewOrderSingle, before processing it. On the new
// connection it asks for it again (ResendRequest); tickpipe gap-fills instead of sending the order a
// second time, then asks for the order's state: the acceptor never had it, so it is rejected.
TEST(FixSession, DropWithOrderInFlightGapFillsAndAsksStatus) {
  ScratchDir dir;
  FixExchange ex(exchange_args(dir, {"--fault", "drop", "--fault-after", "1"}));
  FixVenueHarness h(fix_config(ex.port(), dir / "store"));
  ASSERT_TRUE(h.logon());
  h.submit(market_order(1, Side::Buy, "0.1"));
  ASSERT_TRUE(h.poll_until([&] { return h.finished(1); }));
  EXPECT_EQ(h.of(1, ExecKind::Reject).size(), 1u);
  EXPECT_TRUE(h.of(1, ExecKind::Fill).empty());
  const auto& ss = h.venue().session().stats();
  EXPECT_EQ(ss.disconnects, 1u);
  EXPECT_EQ(ss.logons, 2u);
  EXPECT_GE(ss.resend_requests_in, 1u);
  EXPECT_GE(ss.gap_fills_out, 1u);
  EXPECT_GE(h.venue().stats().status_requests_sent, 1u);
  // The exchange never received the order, saw a gap fill (PossDup) for it, and a status request.
  EXPECT_TRUE(messages(ex, "in", "D").empty());
  const auto gf = messages(ex, "in", "4");
  ASSERT_FALSE(gf.empty());
  EXPECT_EQ(gf[0]["possdup"], true);
  EXPECT_EQ(gf[0]["gapfill"], "Y");
  const auto st = messages(ex, "in", "H");
  ASSERT_FALSE(st.empty());
  EXPECT_EQ(st[0]["clordid"], h.clordid(1));
  // The session goes on: the next order trades.
  h.submit(market_order(2, Side::Buy, "0.1"));
  ASSERT_TRUE(h.poll_until([&] { return h.finished(2); }));
  EXPECT_EQ(h.filled(2), fx("0.1"));
}

// The acceptor skips a MsgSeqNum: tickpipe asks for it (ResendRequest), QuickFIX answers with a gap
// fill for the skipped number and PossDup copies of what followed; the fill is applied once.
TEST(FixSession, InboundGapIsResent) {
  ScratchDir dir;
  FixExchange ex(exchange_args(dir, {"--fault", "gap_out", "--fault-after", "1"}));
  FixVenueHarness h(fix_config(ex.port(), dir / "store"));
  ASSERT_TRUE(h.logon());
  h.submit(market_order(1, Side::Buy, "0.1"));
  ASSERT_TRUE(h.poll_until([&] { return h.finished(1); }));
  EXPECT_EQ(h.of(1, ExecKind::Fill).size(), 1u);
  EXPECT_EQ(h.filled(1), fx("0.1"));
  EXPECT_EQ(h.venue().session().stats().resend_requests_out, 1u);
  EXPECT_EQ(h.venue().session().stats().disconnects, 0u);
  EXPECT_EQ(messages(ex, "in", "2").size(), 1u);
  const auto gf = messages(ex, "out", "4");
  ASSERT_FALSE(gf.empty());
  EXPECT_EQ(gf[0]["gapfill"], "Y");
}

// The acceptor writes its last ExecutionReport again with the same MsgSeqNum and no PossDupFlag:
// tickpipe logs out ("MsgSeqNum too low"), reconnects, and the fill stays applied once.
TEST(FixSession, MsgSeqNumTooLowLogsOut) {
  ScratchDir dir;
  FixExchange ex(exchange_args(dir, {"--fault", "seq_too_low", "--fault-after", "1"}));
  FixVenueHarness h(fix_config(ex.port(), dir / "store"));
  ASSERT_TRUE(h.logon());
  h.submit(market_order(1, Side::Buy, "0.1"));
  ASSERT_TRUE(h.poll_until([&] { return h.venue().session().stats().seq_too_low == 1 && h.venue().session().stats().logons == 2 &&
                                        h.venue().session().logged_on(); }));
  EXPECT_EQ(h.of(1, ExecKind::Fill).size(), 1u);
  const auto logouts = messages(ex, "in", "5");
  ASSERT_FALSE(logouts.empty());
  EXPECT_NE(logouts[0].dump().find("MsgSeqNum too low"), std::string::npos) << logouts[0].dump();
}

void garbled_fault(const char* fault) {
  ScratchDir dir;
  FixExchange ex(exchange_args(dir, {"--fault", fault, "--fault-after", "1"}));
  FixVenueHarness h(fix_config(ex.port(), dir / "store"));
  ASSERT_TRUE(h.logon());
  h.submit(market_order(1, Side::Buy, "0.1"));
  ASSERT_TRUE(h.poll_until([&] { return h.finished(1); }));
  h.poll_for(200ms);
  EXPECT_EQ(h.of(1, ExecKind::Fill).size(), 1u);
  const auto& fs = h.venue().session().framer_stats();
  EXPECT_EQ(fs.bad_checksum + fs.bad_length, 1u);
  EXPECT_EQ(h.venue().session().stats().disconnects, 0u);
  EXPECT_EQ(h.venue().session().stats().seq_too_low, 0u);
}

TEST(FixSession, BadChecksumIgnored) { garbled_fault("bad_checksum"); }
TEST(FixSession, BadLengthIgnored) { garbled_fault("bad_length"); }

// The acceptor stops writing (no answers, no heartbeats) but keeps the socket open: after 1.2 x
// heartbeat_s a TestRequest, after another heartbeat_s the connection is dropped; on the new one the
// acceptor's withheld reports come back as PossDup resends and the fill is applied once.
TEST(FixSession, SilentAcceptorTestRequestThenReconnect) {
  ScratchDir dir;
  FixExchange ex(exchange_args(dir, {"--fault", "silent", "--fault-after", "1"}));
  FixConfig cfg = fix_config(ex.port(), dir / "store");
  cfg.heartbeat_s = 1;
  FixVenueHarness h(cfg);
  ASSERT_TRUE(h.logon());
  h.submit(market_order(1, Side::Buy, "0.1"));
  ASSERT_TRUE(h.poll_until([&] { return h.finished(1); }, 15s));
  EXPECT_EQ(h.of(1, ExecKind::Fill).size(), 1u);
  const auto& ss = h.venue().session().stats();
  EXPECT_GE(ss.test_requests_out, 1u);
  EXPECT_EQ(ss.test_request_timeouts, 1u);
  EXPECT_EQ(ss.logons, 2u);
  EXPECT_GE(ss.resend_requests_out, 1u);
}

TEST(FixSession, LogoutFromAcceptor) {
  ScratchDir dir;
  FixExchange ex(exchange_args(dir, {"--fault", "logout", "--fault-after", "1"}));
  FixVenueHarness h(fix_config(ex.port(), dir / "store"));
  ASSERT_TRUE(h.logon());
  h.submit(market_order(1, Side::Buy, "0.1"));
  ASSERT_TRUE(h.poll_until([&] { return h.venue().session().stats().logons == 2 && h.venue().session().logged_on(); }));
  EXPECT_EQ(h.of(1, ExecKind::Fill).size(), 1u);
  EXPECT_EQ(h.venue().session().stats().logouts_in, 1u);
  EXPECT_EQ(messages(ex, "in", "5").size(), 1u);  // our answer to its Logout
  h.submit(market_order(2, Side::Sell, "0.1"));
  ASSERT_TRUE(h.poll_until([&] { return h.finished(2); }));
  EXPECT_EQ(h.filled(2), fx("0.1"));
}

// The exchange crashes after answering (exits without a Logout) and is started again on its store:
// tickpipe reconnects with backoff and the session continues with the same sequence numbers.
TEST(FixSession, ExchangeRestartContinuesSession) {
  ScratchDir dir;
  FixExchange ex(exchange_args(dir, {"--fault", "exit", "--fault-after", "1"}));
  FixVenueHarness h(fix_config(ex.port(), dir / "store"));
  ASSERT_TRUE(h.logon());
  h.submit(market_order(1, Side::Buy, "0.1"));
  ASSERT_TRUE(h.poll_until([&] { return h.finished(1); }));
  ASSERT_TRUE(ex.wait_for_exit(5s));
  ASSERT_TRUE(h.poll_until([&] { return !h.venue().session().logged_on(); }));
  const uint64_t out_seq = h.venue().session().next_sender_seq();
  ex.restart(exchange_args(dir, {}));
  ASSERT_TRUE(h.logon());
  EXPECT_EQ(h.venue().session().stats().logons, 2u);
  const auto listening = lines(ex, [](const json& j) { return j.value("event", "") == "listening"; });
  ASSERT_EQ(listening.size(), 2u);
  // The exchange expected exactly the number our Logon carried: no reset, no gap.
  EXPECT_EQ(listening[1]["next_target_seq"], out_seq);
  EXPECT_EQ(h.venue().session().stats().resend_requests_in, 0u);
  h.submit(market_order(2, Side::Buy, "0.1"));
  ASSERT_TRUE(h.poll_until([&] { return h.finished(2); }));
  EXPECT_EQ(h.filled(2), fx("0.1"));
}

// tickpipe stops (Logout) and starts again on the same store: the session continues, and the new
// process's ClOrdIDs differ from the old one's although its client order ids start at 1 again.
TEST(FixSession, EngineRestartContinuesSession) {
  ScratchDir dir;
  FixExchange ex(exchange_args(dir, {}));
  const FixConfig cfg = fix_config(ex.port(), dir / "store");
  std::string first_id;
  uint64_t out_seq = 0;
  uint64_t in_seq = 0;
  {
    FixVenueHarness h(cfg);
    ASSERT_TRUE(h.logon());
    h.submit(market_order(1, Side::Buy, "0.1"));
    ASSERT_TRUE(h.poll_until([&] { return h.finished(1); }));
    first_id = h.clordid(1);
    ASSERT_TRUE(h.shutdown());
    out_seq = h.venue().session().next_sender_seq();
    in_seq = h.venue().session().next_target_seq();
  }
  FixVenueHarness h(cfg);
  EXPECT_EQ(h.venue().session().next_sender_seq(), out_seq);
  EXPECT_EQ(h.venue().session().next_target_seq(), in_seq);
  ASSERT_TRUE(h.logon());
  h.submit(market_order(1, Side::Buy, "0.1"));
  ASSERT_TRUE(h.poll_until([&] { return h.finished(1); }));
  EXPECT_EQ(h.filled(1), fx("0.1"));  // not "duplicate ClOrdID"
  EXPECT_NE(h.clordid(1), first_id);
  EXPECT_EQ(h.venue().session().stats().resend_requests_out + h.venue().session().stats().resend_requests_in, 0u);
}

TEST(FixSession, ResetOnLogon) {
  ScratchDir dir;
  FixExchange ex(exchange_args(dir, {}));
  FixConfig cfg = fix_config(ex.port(), dir / "store");
  {
    FixVenueHarness h(cfg);
    ASSERT_TRUE(h.logon());
    h.submit(market_order(1, Side::Buy, "0.1"));
    ASSERT_TRUE(h.poll_until([&] { return h.finished(1); }));
    ASSERT_TRUE(h.shutdown());
  }
  cfg.reset_on_logon = true;
  FixVenueHarness h(cfg);
  ASSERT_TRUE(h.logon());
  const auto logons = messages(ex, "in", "A");
  ASSERT_EQ(logons.size(), 2u);
  EXPECT_EQ(logons[1]["seq"], 1);
  EXPECT_EQ(logons[1]["resetseqnumflag"], "Y");
  EXPECT_EQ(logons[0]["resetseqnumflag"], nullptr);
  h.submit(market_order(2, Side::Buy, "0.1"));
  ASSERT_TRUE(h.poll_until([&] { return h.finished(2); }));
  EXPECT_EQ(h.filled(2), fx("0.1"));
}

TEST(FixSession, HeartbeatsBothWays) {
  ScratchDir dir;
  FixExchange ex(exchange_args(dir, {}));
  FixConfig cfg = fix_config(ex.port(), dir / "store");
  cfg.heartbeat_s = 1;
  FixVenueHarness h(cfg);
  ASSERT_TRUE(h.logon());
  h.poll_for(2600ms);
  EXPECT_GE(messages(ex, "in", "0").size(), 2u);   // ours, about one a second
  EXPECT_GE(messages(ex, "out", "0").size(), 2u);  // the exchange's
  EXPECT_EQ(h.venue().session().stats().test_request_timeouts, 0u);
  EXPECT_TRUE(h.venue().session().logged_on());
}

}  // namespace
}  // namespace tp
