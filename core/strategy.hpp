// Strategy: the strategy thread's stage. Keeps the position book, applies the rules, and turns
// decisions into orders (ring B) and journal records (ring D); consumes execution reports
// (ring C). Single-threaded by construction: every member is touched only by the thread that
// calls on_market()/drain_exec().
//
// Order of work on one market event (SPEC §9.4): clock and mark; the simulated venue fills what
// is due (through `settle`, see on_market); then the rules for that symbol.
#pragma once

#include <cstdint>
#include <vector>

#include "core/config.hpp"
#include "core/journal.hpp"
#include "core/orders.hpp"
#include "core/position_book.hpp"
#include "core/profit_taker.hpp"
#include "core/rings.hpp"
#include "core/symbol_table.hpp"

namespace tp {

struct SymbolStrategyStats {
  uint64_t profit_takes = 0;         // profit-taking orders sent
  uint64_t profit_take_skipped = 0;  // levels fired without an order (too small)
  uint64_t orders = 0;
  uint64_t rejects = 0;
};

class Strategy {
 public:
  Strategy(const Config& cfg, const SymbolTable& symbols, GatewayRing& to_gateway, ExecRing& from_gateway,
           JournalRing& journal, bool forward_book_tops);

  // Processes one market event. `settle()` runs between the mark update and the rules: in
  // deterministic mode it lets the gateway (and its simulated venue) act on everything sent so
  // far, so fills due at this event are applied first; in threaded mode it does nothing and fills
  // arrive whenever the gateway thread produces them.
  template <typename Settle>
  void on_market(const MarketEvent& ev, Settle&& settle) noexcept {
    const bool moved = begin_event(ev);
    settle();
    drain_exec();
    if (moved) evaluate_rules(ev.symbol_id);
  }

  // Applies every execution report currently in ring C.
  void drain_exec() noexcept;

  // No more market data: asks the gateway to acknowledge once it has processed everything.
  void send_end_of_data() noexcept;
  bool end_of_data_acknowledged() const noexcept { return end_acked_; }

  const PositionBook& book() const noexcept { return book_; }
  const SymbolStrategyStats& stats(SymbolId id) const noexcept { return stats_[id]; }
  int64_t clock() const noexcept { return clock_ns_; }
  TradingState state() const noexcept { return state_; }
  uint64_t open_orders() const noexcept { return open_orders_; }
  uint64_t fills() const noexcept { return fills_; }

 private:
  struct OrderSlot {
    uint64_t client_order_id = 0;
    Fixed qty = 0;
    Fixed filled = 0;
    SymbolId symbol_id = 0;
    Side side = Side::Buy;
    OrderReason reason = OrderReason::ProfitTake;
    uint8_t level = 0;
    bool live = false;
  };
  static constexpr std::size_t kMaxLiveOrders = 4096;  // power of two; slot = id & (size - 1)

  bool begin_event(const MarketEvent& ev) noexcept;
  void evaluate_rules(SymbolId id) noexcept;
  void send_order(SymbolId id, Side side, Fixed qty, Fixed touch, OrderReason reason, uint8_t level) noexcept;
  void on_exec(const ExecReport& r) noexcept;
  void journal(const JournalRecord& r) noexcept { push_wait(journal_, r, wait_); }

  GatewayRing& to_gateway_;
  ExecRing& from_gateway_;
  JournalRing& journal_;
  const bool forward_book_tops_;
  const WaitKind wait_;

  PositionBook book_;
  ProfitTaker profit_;
  std::vector<SymbolStrategyStats> stats_;
  std::vector<uint32_t> in_flight_;  // open orders per symbol
  std::vector<OrderSlot> orders_;
  uint64_t next_order_id_ = 1;
  uint64_t open_orders_ = 0;
  uint64_t fills_ = 0;
  int64_t clock_ns_ = 0;
  TradingState state_ = TradingState::Active;
  bool end_acked_ = false;
};

}  // namespace tp
