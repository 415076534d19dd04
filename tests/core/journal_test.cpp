#include "core/journal/journal.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tp {
namespace {

std::string line(const JournalRecord& r, const SymbolTable& s) {
  char buf[kMaxJournalLine];
  return std::string(buf, format_journal_line(r, s, buf));
}

TEST(Journal, OrderLineMatchesTheSpecExampleExactly) {
  const SymbolTable syms({"BTCUSDT"});
  JournalRecord r{};
  r.kind = JournalKind::Order;
  r.ts_ns = 1723075200123456789;
  r.symbol_id = 0;
  r.side = Side::Sell;
  r.qty = 15'000'000;
  r.order_type = OrderType::Market;
  r.order_reason = OrderReason::ProfitTake;
  r.level = 1;
  r.client_order_id = 7;
  EXPECT_EQ(line(r, syms),
            "{\"event\":\"order\",\"ts\":1723075200123456789,\"symbol\":\"BTCUSDT\",\"side\":\"sell\",\"qty\":"
            "\"0.15000000\",\"order_type\":\"market\",\"reason\":\"profit_take\",\"level\":1,\"client_order_id\":7}\n");
}

TEST(Journal, OtherRecords) {
  const SymbolTable syms({"BTCUSDT", "ETHUSDT"});
  JournalRecord f{};
  f.kind = JournalKind::Fill;
  f.ts_ns = 5;
  f.client_order_id = 3;
  f.symbol_id = 1;
  f.side = Side::Buy;
  f.qty = 100'000'000;
  f.price = 300'012'345'678;
  f.fee = 300'012'346;
  EXPECT_EQ(line(f, syms),
            "{\"event\":\"fill\",\"ts\":5,\"client_order_id\":3,\"symbol\":\"ETHUSDT\",\"side\":\"buy\",\"qty\":"
            "\"1.00000000\",\"price\":\"3000.12345678\",\"fee\":\"3.00012346\"}\n");
  JournalRecord rj{};
  rj.kind = JournalKind::Reject;
  rj.ts_ns = 6;
  rj.client_order_id = 4;
  rj.reject_reason = RejectReason::MaxNotional;
  EXPECT_EQ(line(rj, syms), "{\"event\":\"reject\",\"ts\":6,\"client_order_id\":4,\"reason\":\"max_notional\"}\n");
  JournalRecord st{};
  st.kind = JournalKind::State;
  st.ts_ns = 7;
  st.from_state = TradingState::Active;
  st.to_state = TradingState::Halted;
  st.state_reason = StateReason::LossLimit;
  EXPECT_EQ(line(st, syms), "{\"event\":\"state\",\"ts\":7,\"from\":\"ACTIVE\",\"to\":\"HALTED\",\"reason\":\"loss_limit\"}\n");
  JournalRecord d{};
  d.kind = JournalKind::Day;
  d.ts_ns = 8;
  d.pnl = -123'45000000;
  EXPECT_EQ(line(d, syms), "{\"event\":\"day\",\"ts\":8,\"day_pnl\":\"-123.45000000\"}\n");
}

TEST(Journal, LimitOrderCarriesPriceAndNoLevel) {
  const SymbolTable syms({"BTC-USD"});
  JournalRecord r{};
  r.kind = JournalKind::Order;
  r.order_type = OrderType::Limit;
  r.order_reason = OrderReason::Operator;
  r.price = 6'000'000'000'000;
  r.qty = 1;
  r.side = Side::Buy;
  r.client_order_id = 1;
  EXPECT_EQ(line(r, syms),
            "{\"event\":\"order\",\"ts\":0,\"symbol\":\"BTC-USD\",\"side\":\"buy\",\"qty\":\"0.00000001\",\"order_type\":"
            "\"limit\",\"price\":\"60000.00000000\",\"reason\":\"operator\",\"client_order_id\":1}\n");
}

}  // namespace
}  // namespace tp
