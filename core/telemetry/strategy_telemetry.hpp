// StrategyTelemetry: what the strategy thread publishes for operators (/state, /metrics, /health:
// ops/) - its totals, every symbol's position and figures, and the open orders - each behind a
// Seqlock, so a scrape copies a consistent view and never makes the strategy wait.
//
// The strategy publishes at most once per `publish interval` (a millisecond), between market
// events, and only what changed since: the symbols its events and fills touched and, when an order
// was sent, filled or cancelled, the open orders. A scrape therefore sees the engine as of at most
// a millisecond or so ago (the monitor compares `published_wall_ns` with the clock).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/journal/journal.hpp"
#include "core/strategy/position_book.hpp"
#include "core/telemetry/seqlock.hpp"
#include "core/types/orders.hpp"
#include "core/types/symbol_table.hpp"

namespace tp {

struct StrategyTotals {
  int64_t published_wall_ns = 0;  // CLOCK_REALTIME when this was published (0: never)
  int64_t clock_ns = 0;           // the engine clock (exchange time of the latest event)
  int64_t last_receive_ns = 0;    // receive time of the latest market event
  int64_t stale_after_ns = 0;     // the watchdog's limit (0: off)
  Fixed day_pnl = 0;
  Fixed max_drawdown = 0;
  uint64_t market_events = 0;
  uint64_t fills = 0;
  uint64_t fills_overtaken = 0;
  uint64_t open_orders = 0;
  uint64_t state_changes = 0;
  TradingState state = TradingState::Active;
  StateReason state_reason = StateReason::Operator;  // why the state is what it is (after a change)
  bool state_ever_changed = false;
};

struct SymbolFigures {
  Position position;
  Fixed mark = 0;
  Fixed unrealized = 0;
  int64_t last_top_recv_ns = 0;  // receive time of the latest book top (0: none yet)
  bool book_lost = false;        // the order book was lost (a gap or a crossed book): stale until its next top
  uint64_t orders = 0;
  uint64_t rejects = 0;
  uint64_t stale_episodes = 0;
  uint64_t profit_takes = 0;
};

struct OpenOrderFigures {
  uint64_t client_order_id = 0;
  Fixed qty = 0;
  Fixed filled = 0;
  SymbolId symbol_id = 0;
  Side side = Side::Buy;
  OrderReason reason = OrderReason::ProfitTake;
  uint8_t level = 0;
  bool cancel_sent = false;
};

// At most this many open orders are shown (/state says how many there are in all).
inline constexpr std::size_t kPublishedOpenOrders = 64;
struct OpenOrdersFigures {
  uint64_t total = 0;  // open orders in all
  uint64_t shown = 0;  // the first `shown` of `orders` hold the oldest of them
  std::array<OpenOrderFigures, kPublishedOpenOrders> orders{};
};

class StrategyTelemetry {
 public:
  // Start-up: one Seqlock per symbol (no allocation later).
  explicit StrategyTelemetry(std::size_t symbols)
      : symbols_(std::make_unique<Seqlock<SymbolFigures>[]>(symbols)), symbol_count_(symbols) {}

  std::size_t symbols() const noexcept { return symbol_count_; }
  Seqlock<StrategyTotals>& totals() noexcept { return totals_; }
  const Seqlock<StrategyTotals>& totals() const noexcept { return totals_; }
  Seqlock<SymbolFigures>& symbol(SymbolId id) noexcept { return symbols_[id]; }
  const Seqlock<SymbolFigures>& symbol(SymbolId id) const noexcept { return symbols_[id]; }
  Seqlock<OpenOrdersFigures>& open_orders() noexcept { return open_orders_; }
  const Seqlock<OpenOrdersFigures>& open_orders() const noexcept { return open_orders_; }

 private:
  Seqlock<StrategyTotals> totals_;
  std::unique_ptr<Seqlock<SymbolFigures>[]> symbols_;
  std::size_t symbol_count_;
  Seqlock<OpenOrdersFigures> open_orders_;
};

}  // namespace tp
