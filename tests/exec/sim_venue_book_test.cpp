// The simulated venue's book fill model ([sim] fill_model = "book", docs/order-book.md) through the
// OrderGateway and its rings: market orders walk the replica of the book level by level (one fill a
// level, the rest cancelled as IOC), limit orders take what they cross and rest in a risk-averse
// queue moved by trades and by the level shrinking, a lost book holds new orders, and the slippage
// versus the market's touch is summed exactly.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "core/config/config.hpp"
#include "core/threads/rings.hpp"
#include "exec/order_gateway.hpp"
#include "exec/sim_venue.hpp"

namespace tp {
namespace {

constexpr Fixed F(int64_t whole, int64_t frac8 = 0) { return whole * kScale + frac8; }

OrderRequest market(uint64_t id, int64_t ts, Side side, Fixed qty) {
  OrderRequest o{};
  o.client_order_id = id;
  o.decision_ts_ns = ts;
  o.qty = qty;
  o.ref_px = F(100);
  o.side = side;
  o.type = OrderType::Market;
  return o;
}

OrderRequest limit(uint64_t id, int64_t ts, Side side, Fixed qty, Fixed px) {
  OrderRequest o = market(id, ts, side, qty);
  o.type = OrderType::Limit;
  o.price = px;
  return o;
}

SimConfig book_cfg(int64_t latency = 0, FillModel model = FillModel::Book) {
  SimConfig s;
  s.fill_model = model;
  s.latency_ns = latency;
  s.taker_fee_bps = F(10);
  s.maker_fee_bps = F(2);
  return s;
}

struct Gw {
  std::unique_ptr<GatewayRing> b = std::make_unique<GatewayRing>();
  std::unique_ptr<ExecRing> c = std::make_unique<ExecRing>();
  SimVenue venue;
  OrderGateway<SimVenue> gateway;

  explicit Gw(const SimConfig& sim, std::size_t levels = 64)
      : venue(sim, 2, levels), gateway(relaxed(), venue, *b, *c, WaitKind::SpinThenYield) {}

  static RiskConfig relaxed() {
    RiskConfig r;
    r.max_orders_per_sec = 1'000'000;
    r.price_band_pct = F(50);
    return r;
  }

  std::vector<ExecReport> run(const GatewayMsg& m) {
    EXPECT_TRUE(b->try_push(m));
    gateway.drain();
    std::vector<ExecReport> out;
    ExecReport r;
    while (c->try_pop(r)) out.push_back(r);
    return out;
  }
  std::vector<ExecReport> send(const OrderRequest& o) {
    GatewayMsg m;
    m.kind = GatewayMsgKind::Order;
    m.order = o;
    return run(m);
  }
  std::vector<ExecReport> level(Side side, Fixed px, Fixed qty, uint8_t flags = 0, SymbolId sym = 0) {
    GatewayMsg m;
    m.kind = GatewayMsgKind::BookLevel;
    m.level = BookLevelUpdate{1, px, qty, sym, side, flags};
    return run(m);
  }
  // The book's top as the feed's book announces it after its levels.
  std::vector<ExecReport> top(int64_t ts, Fixed bid, Fixed bid_qty, Fixed ask, Fixed ask_qty, SymbolId sym = 0) {
    GatewayMsg m;
    m.kind = GatewayMsgKind::BookTop;
    m.book = BookTopUpdate{ts, ts, bid, bid_qty, ask, ask_qty, sym};
    return run(m);
  }
  std::vector<ExecReport> trade(int64_t ts, Fixed px, Fixed qty, Side aggressor, SymbolId sym = 0) {
    GatewayMsg m;
    m.kind = GatewayMsgKind::Trade;
    m.trade = TradeUpdate{ts, ts, px, qty, sym, aggressor};
    return run(m);
  }
  // A book: bids 100 x 1, 99 x 2, 98 x 3; asks 101 x 1, 102 x 2, 103 x 3; then its top.
  void ladder(int64_t ts = 1) {
    level(Side::Buy, F(98), F(3));
    level(Side::Buy, F(99), F(2));
    level(Side::Buy, F(100), F(1));
    level(Side::Sell, F(103), F(3));
    level(Side::Sell, F(102), F(2));
    level(Side::Sell, F(101), F(1));
    top(ts, F(100), F(1), F(101), F(1));
  }
};

Fixed fee(Fixed qty, Fixed px, Fixed bps) { return fee_from_bps(qty, px, bps); }

void expect_fill(const ExecReport& r, uint64_t id, Fixed qty, Fixed px, Fixed bps, bool last) {
  EXPECT_EQ(r.kind, ExecKind::Fill);
  EXPECT_EQ(r.client_order_id, id);
  EXPECT_EQ(r.qty, qty);
  EXPECT_EQ(r.price, px);
  EXPECT_EQ(r.fee, fee(qty, px, bps));
  EXPECT_EQ(r.last, last);
}

TEST(SimVenueBook, MarketSellWalksTheBidsOneTakerFillPerLevel) {
  Gw g(book_cfg());
  ASSERT_TRUE(g.venue.book_model());
  g.ladder();
  const auto rs = g.send(market(1, 2, Side::Sell, F(2, 50'000'000)));  // 2.5
  ASSERT_EQ(rs.size(), 2u);
  expect_fill(rs[0], 1, F(1), F(100), F(10), false);
  expect_fill(rs[1], 1, F(1, 50'000'000), F(99), F(10), true);
  EXPECT_EQ(g.venue.open_orders(), 0u);
  const SimVenue::Slippage& s = g.venue.slippage(0);
  EXPECT_EQ(s.qty, F(2, 50'000'000));
  EXPECT_EQ(s.notional, F(100) + F(148, 50'000'000));  // 1 x 100 + 1.5 x 99
  EXPECT_EQ(s.cost, F(1, 50'000'000));                 // 1.5 x (100 - 99)
  EXPECT_EQ(s.fills, 2u);
  EXPECT_EQ(s.levels_beyond_touch, 1u);
  EXPECT_EQ(s.ioc_cancelled, 0u);

  // What it took left the replica: the next sell starts at 99's remaining 0.5.
  const auto next = g.send(market(2, 3, Side::Sell, F(1)));
  ASSERT_EQ(next.size(), 2u);
  expect_fill(next[0], 2, F(0, 50'000'000), F(99), F(10), false);
  expect_fill(next[1], 2, F(0, 50'000'000), F(98), F(10), true);
  // Both walks are measured from the market's touch (the last book top: 100), not the replica's.
  EXPECT_EQ(g.venue.slippage(0).cost, F(1, 50'000'000) + F(0, 50'000'000) + F(1));
}

TEST(SimVenueBook, MarketBuyThatRunsOutOfDepthIsPartlyFilledAndTheRestCancelled) {
  Gw g(book_cfg());
  g.ladder();
  const auto rs = g.send(market(7, 2, Side::Buy, F(10)));
  ASSERT_EQ(rs.size(), 4u);
  expect_fill(rs[0], 7, F(1), F(101), F(10), false);
  expect_fill(rs[1], 7, F(2), F(102), F(10), false);
  expect_fill(rs[2], 7, F(3), F(103), F(10), false);
  EXPECT_EQ(rs[3].kind, ExecKind::Cancel);
  EXPECT_EQ(rs[3].client_order_id, 7u);
  EXPECT_EQ(rs[3].qty, F(6)) << "a cancel report carries what was filled";
  EXPECT_TRUE(rs[3].last);
  EXPECT_EQ(g.venue.open_orders(), 0u);
  EXPECT_EQ(g.venue.slippage(0).ioc_cancelled, 1u);
  EXPECT_EQ(g.venue.slippage(0).cost, F(2) * 1 + F(3) * 2);  // 2 x (102-101) + 3 x (103-101)

  // The ask side is empty now: a market buy waits for liquidity (no report) and takes the level
  // the feed sets next, on the book top that follows it.
  EXPECT_TRUE(g.send(market(8, 3, Side::Buy, F(1))).empty());
  EXPECT_EQ(g.venue.open_orders(), 1u);
  EXPECT_TRUE(g.level(Side::Sell, F(104), F(5)).empty());
  const auto later = g.top(4, F(100), F(1), F(104), F(5));
  ASSERT_EQ(later.size(), 1u);
  expect_fill(later[0], 8, F(1), F(104), F(10), true);
}

TEST(SimVenueBook, LimitOrderTakesWhatItCrossesAndRestsBehindItsLevel) {
  Gw g(book_cfg());
  g.ladder();
  // Buy 4 at 102: takes 101 x 1 and 102 x 2 as a taker; 1 rests at 102 (no bid there: first in line).
  const auto rs = g.send(limit(1, 2, Side::Buy, F(4), F(102)));
  ASSERT_EQ(rs.size(), 2u);
  expect_fill(rs[0], 1, F(1), F(101), F(10), false);
  expect_fill(rs[1], 1, F(2), F(102), F(10), false);
  EXPECT_EQ(g.venue.resting(), 1u);
  // A buy aggressor's trade does not reach a resting buy.
  EXPECT_TRUE(g.trade(3, F(102), F(5), Side::Buy).empty());
  // A sell aggressor at 102 fills it as a maker, at its price.
  const auto t = g.trade(4, F(102), F(0, 40'000'000), Side::Sell);
  ASSERT_EQ(t.size(), 1u);
  expect_fill(t[0], 1, F(0, 40'000'000), F(102), F(2), false);
  const auto t2 = g.trade(5, F(102), F(3), Side::Sell);
  ASSERT_EQ(t2.size(), 1u);
  expect_fill(t2[0], 1, F(0, 60'000'000), F(102), F(2), true);
  EXPECT_EQ(g.venue.open_orders(), 0u);
}

TEST(SimVenueBook, RestingOrderWaitsForTheQuantityAheadOfItToTrade) {
  Gw g(book_cfg());
  g.ladder();
  // Buy 1 at 99: 2 are ahead of it at that level.
  EXPECT_TRUE(g.send(limit(1, 2, Side::Buy, F(1), F(99))).empty());
  EXPECT_TRUE(g.trade(3, F(99), F(1, 50'000'000), Side::Sell).empty()) << "1.5 of the 2 ahead";
  EXPECT_TRUE(g.trade(4, F(100), F(5), Side::Sell).empty()) << "a trade at another price";
  const auto rs = g.trade(5, F(99), F(0, 80'000'000), Side::Sell);  // 0.5 ahead, 0.3 left over
  ASSERT_EQ(rs.size(), 1u);
  expect_fill(rs[0], 1, F(0, 30'000'000), F(99), F(2), false);
  const auto rest = g.trade(6, F(99), F(2), Side::Sell);
  ASSERT_EQ(rest.size(), 1u);
  expect_fill(rest[0], 1, F(0, 70'000'000), F(99), F(2), true);
}

TEST(SimVenueBook, ALevelThatShrinksShortensTheQueueRiskAverse) {
  Gw g(book_cfg());
  g.ladder();
  EXPECT_TRUE(g.send(limit(1, 2, Side::Sell, F(1), F(103))).empty());  // 3 ahead at 103
  // The level drops to 0.5 (cancellations: assumed from behind the order, but there are only 0.5
  // left in front of it at most).
  EXPECT_TRUE(g.level(Side::Sell, F(103), F(0, 50'000'000)).empty());
  // It grows again: the quantity ahead does not.
  EXPECT_TRUE(g.level(Side::Sell, F(103), F(9)).empty());
  const auto rs = g.trade(3, F(103), F(1), Side::Buy);
  ASSERT_EQ(rs.size(), 1u);
  expect_fill(rs[0], 1, F(0, 50'000'000), F(103), F(2), false);
}

TEST(SimVenueBook, ATradeThroughItsPriceOrATouchThroughItFillsAllThatRemains) {
  Gw g(book_cfg());
  g.ladder();
  EXPECT_TRUE(g.send(limit(1, 2, Side::Buy, F(2), F(98))).empty());
  const auto rs = g.trade(3, F(97), F(0, 10'000'000), Side::Sell);
  ASSERT_EQ(rs.size(), 1u);
  expect_fill(rs[0], 1, F(2), F(98), F(2), true);

  EXPECT_TRUE(g.send(limit(2, 4, Side::Sell, F(1), F(103))).empty());
  const auto up = g.top(5, F(103), F(1), F(104), F(1));  // the bid went through 103
  ASSERT_EQ(up.size(), 1u);
  expect_fill(up[0], 2, F(1), F(103), F(2), true);
}

TEST(SimVenueBook, ALostBookHoldsNewOrdersUntilTheReloadedBooksTop) {
  Gw g(book_cfg());
  g.ladder();
  EXPECT_TRUE(g.level(Side::Buy, 0, 0, kBookLevelClear | kBookLost).empty());
  EXPECT_TRUE(g.send(market(1, 2, Side::Sell, F(1))).empty());
  EXPECT_EQ(g.venue.open_orders(), 1u);
  // The reload: a clear, every level, then the top.
  g.level(Side::Buy, 0, 0, kBookLevelClear);
  EXPECT_TRUE(g.level(Side::Buy, F(95), F(4)).empty());
  EXPECT_TRUE(g.level(Side::Sell, F(96), F(4)).empty());
  const auto rs = g.top(3, F(95), F(4), F(96), F(4));
  ASSERT_EQ(rs.size(), 1u);
  expect_fill(rs[0], 1, F(1), F(95), F(10), true);
  EXPECT_EQ(g.venue.slippage(0).cost, 0) << "all at the touch";
}

TEST(SimVenueBook, LatencyHoldsAnOrderUntilABookTopAtItsDueTime) {
  Gw g(book_cfg(/*latency=*/1000));
  g.ladder(1);
  EXPECT_TRUE(g.send(market(1, 10, Side::Buy, F(2))).empty());
  EXPECT_TRUE(g.top(500, F(100), F(1), F(101), F(1)).empty()) << "not due before 1010";
  const auto rs = g.top(1010, F(100), F(1), F(101), F(1));
  ASSERT_EQ(rs.size(), 2u);
  expect_fill(rs[0], 1, F(1), F(101), F(10), false);
  expect_fill(rs[1], 1, F(1), F(102), F(10), true);
}

TEST(SimVenueBook, SymbolsHaveTheirOwnBooks) {
  Gw g(book_cfg());
  g.ladder();
  g.level(Side::Buy, F(50), F(1), 0, 1);
  g.level(Side::Sell, F(51), F(1), 0, 1);
  g.top(2, F(50), F(1), F(51), F(1), 1);
  OrderRequest o = market(1, 3, Side::Sell, F(2));
  o.symbol_id = 1;
  const auto rs = g.send(o);
  ASSERT_EQ(rs.size(), 2u);
  expect_fill(rs[0], 1, F(1), F(50), F(10), false);
  EXPECT_EQ(rs[1].kind, ExecKind::Cancel);
  EXPECT_EQ(g.venue.slippage(0).fills, 0u);
  EXPECT_EQ(g.venue.slippage(1).fills, 1u);
}

TEST(SimVenueBook, TheTouchModelIgnoresLevelsAndTrades) {
  Gw g(book_cfg(0, FillModel::Touch));
  EXPECT_FALSE(g.venue.book_model());
  g.ladder();  // levels are ignored; the top is what counts
  EXPECT_TRUE(g.trade(2, F(100), F(1), Side::Sell).empty());
  const auto rs = g.send(market(1, 3, Side::Sell, F(1)));
  ASSERT_EQ(rs.size(), 1u);
  expect_fill(rs[0], 1, F(1), F(100), F(10), true);
}

}  // namespace
}  // namespace tp
