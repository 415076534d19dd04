// The strategy sends the simulated venue a symbol's book tops only while the venue may hold an
// order of that symbol; otherwise it holds the latest one and sends it just before the next order.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "tests/exec/pipeline_harness.hpp"

namespace tp {
namespace {

struct Rings {
  std::unique_ptr<GatewayRing> b = std::make_unique<GatewayRing>();
  std::unique_ptr<ExecRing> c = std::make_unique<ExecRing>();
  std::unique_ptr<JournalRing> d = std::make_unique<JournalRing>();

  std::vector<GatewayMsg> take_b() {
    std::vector<GatewayMsg> out;
    GatewayMsg m;
    while (b->try_pop(m)) out.push_back(m);
    return out;
  }
};

MarketEvent top_event(int64_t ts, Fixed bid, Fixed ask, SymbolId s = 0) {
  return make_book_top(s, BookTop{bid, F(2), ask, F(3), 0}, ts, ts);
}

TEST(HeldBookTop, NoTopGoesOutWhileNoOrderIsInFlight) {
  Config cfg = base(F(1), F(100));
  SymbolTable symbols(cfg.symbol_names());
  Rings r;
  Strategy s(cfg, symbols, *r.b, *r.c, *r.d, /*forward_book_tops=*/true);  // no settle: threaded wiring
  for (int i = 0; i < 100; ++i) s.on_market(top_event(1000 + i, F(100), F(100, 1000000)));
  EXPECT_TRUE(r.take_b().empty());
}

TEST(HeldBookTop, TheLatestTopPrecedesTheOrderAndTopsFlowWhileItIsInFlight) {
  Config cfg = base(F(1), F(100));
  SymbolTable symbols(cfg.symbol_names());
  Rings r;
  Strategy s(cfg, symbols, *r.b, *r.c, *r.d, true);
  s.on_market(top_event(1000, F(100), F(101)));
  s.on_market(top_event(2000, F(104), F(105)));
  ASSERT_TRUE(r.take_b().empty());
  s.on_market(top_event(3000, F(106), F(107)));  // +6%: the first profit-taking level fires
  std::vector<GatewayMsg> b = r.take_b();
  ASSERT_EQ(b.size(), 2u);
  ASSERT_EQ(b[0].kind, GatewayMsgKind::BookTop);
  EXPECT_EQ(b[0].book.exch_ts_ns, 3000);
  EXPECT_EQ(b[0].book.engine_ts_ns, 3000);
  EXPECT_EQ(b[0].book.bid_px, F(106));
  EXPECT_EQ(b[0].book.bid_qty, F(2));
  EXPECT_EQ(b[0].book.ask_px, F(107));
  EXPECT_EQ(b[0].book.ask_qty, F(3));
  ASSERT_EQ(b[1].kind, GatewayMsgKind::Order);
  EXPECT_EQ(b[1].order.side, Side::Sell);
  const uint64_t coid = b[1].order.client_order_id;

  // The order has no answer yet: every top of its symbol goes to the venue.
  s.on_market(top_event(4000, F(106, 5), F(107)));
  b = r.take_b();
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].kind, GatewayMsgKind::BookTop);
  EXPECT_EQ(b[0].book.exch_ts_ns, 4000);

  // Its last report arrives: tops are held again.
  ExecReport fill{};
  fill.client_order_id = coid;
  fill.kind = ExecKind::Fill;
  fill.qty = F(0, 30000000);
  fill.price = F(106);
  fill.symbol_id = 0;
  fill.side = Side::Sell;
  fill.last = true;
  ASSERT_TRUE(r.c->try_push(fill));
  s.drain_exec();
  EXPECT_EQ(s.open_orders(), 0u);
  s.on_market(top_event(5000, F(106, 7), F(107)));
  EXPECT_TRUE(r.take_b().empty());
}

}  // namespace
}  // namespace tp
