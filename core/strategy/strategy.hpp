// Strategy: the strategy thread's stage. Keeps the position book, applies the rules and the risk
// layer, and turns decisions into orders (ring B) and journal records (ring D); consumes execution
// reports (ring C) and operator commands (ControlQueue). Single-threaded by construction: every
// member is touched only by the thread that calls on_market()/drain_exec()/poll_control().
//
// Order of work on one market event (SPEC §9.4): a day rollover if the event opens a new day;
// clock and mark; the simulated venue fills what is due (`settle`, see SettleFn); the loss limit
// (and halt/flatten); then the rules for that symbol.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/config/config.hpp"
#include "core/threads/control_queue.hpp"
#include "core/strategy/daily_risk.hpp"
#include "core/threads/event_count.hpp"
#include "core/strategy/entry_rule.hpp"
#include "core/journal/journal.hpp"
#include "core/types/orders.hpp"
#include "core/timing/pipeline_latency.hpp"
#include "core/strategy/position_book.hpp"
#include "core/strategy/profit_taker.hpp"
#include "core/threads/rings.hpp"
#include "core/strategy/stop_loss.hpp"
#include "core/types/symbol_table.hpp"
#include "core/strategy/trailing_stop.hpp"
#include "core/telemetry/strategy_telemetry.hpp"

namespace tp {

// Lets the gateway act on what the strategy just sent, before the strategy goes on. Deterministic
// mode passes the gateway's drain, so a decision's fill is applied before the next decision
// (SPEC §6, §9.4); threaded mode passes nothing and fills arrive when the gateway thread sends them.
struct SettleFn {
  void* ctx = nullptr;
  void (*fn)(void*) noexcept = nullptr;
  void operator()() const noexcept {
    if (fn != nullptr) fn(ctx);
  }
};

struct SymbolStrategyStats {
  uint64_t profit_takes = 0;         // profit-taking orders sent
  uint64_t profit_take_skipped = 0;  // levels fired without an order (too small)
  uint64_t stop_losses = 0;          // stop-loss orders sent
  uint64_t trailing_stops = 0;       // trailing-stop orders sent
  uint64_t entries = 0;              // entry-rule orders sent
  uint64_t rule_skipped = 0;         // stop, trailing and entry decisions too small to send
  // The watchdog (SPEC §10.5, when [live] sets stale_after_ms): times a book top came after a gap
  // longer than stale_after_ms since the previous one (by receive time), i.e. the symbol had been
  // stale until then. Rules are evaluated only on a symbol's own book tops (after its first), and
  // such a book top ends the staleness, so no rule ever acts on a stale symbol's old mark.
  uint64_t stale_episodes = 0;
  uint64_t orders = 0;
  uint64_t rejects = 0;
  // Equity = realized - fees + unrealized; its largest fall from a previous high (>= 0).
  Fixed equity_peak = 0;
  Fixed max_drawdown = 0;
};

struct StateChange {
  int64_t ts_ns;
  TradingState from;
  TradingState to;
  StateReason reason;
};

class Strategy {
 public:
  Strategy(const Config& cfg, const SymbolTable& symbols, GatewayRing& to_gateway, ExecRing& from_gateway,
           JournalRing& journal, bool forward_book_tops, SettleFn settle = {});

  void on_market(const MarketEvent& ev) noexcept;

  // Records the strategy thread's latency stages (to_strategy, strategy) for stamped events, and
  // stamps the orders they cause; null (the default): off. Set before the first event.
  void set_latency(PipelineLatency* latency) noexcept { latency_ = latency; }
  // The gateway sleeps on `wake` when its ring is empty (WaitKind::Blocking): notified after every
  // message the strategy sends it. Null (the default): the gateway polls.
  void set_gateway_wake(EventCount* wake) noexcept { gateway_wake_ = wake; }

  // Publishes the figures operators read (ops/: /state, /metrics, /health) into `t`, at most once
  // a millisecond from publish_if_due(); null (the default): nothing is published. Set before the
  // first event; `t` must have a Seqlock per symbol.
  void set_telemetry(StrategyTelemetry* t) noexcept;
  // Between market events: publishes what changed if a millisecond has passed since the last time
  // (one clock read otherwise). publish(): now, whatever the time (at the end of a run).
  void publish_if_due() noexcept {
    if (telemetry_ == nullptr) return;
    const uint64_t now = tsc_now();
    if (now - last_publish_tsc_ < publish_interval_ticks_) return;
    last_publish_tsc_ = now;
    publish();
  }
  void publish() noexcept;

  // Applies every execution report currently in ring C.
  void drain_exec() noexcept;

  // Applies the operator commands waiting in `q` (between market events).
  void poll_control(ControlQueue& q) noexcept;
  // Enters `to` at once (the kill switch); HALTED cancels open orders that do not reduce, and
  // `flatten` closes every open position with market orders. Journals the command itself first
  // (a `command` record) and a checkpoint after what it caused.
  void apply_control(const ControlCommand& c) noexcept;

  // Cancels every open order (a live session that stops: SPEC §10.6).
  void cancel_open_orders() noexcept { cancel_open(/*reducing_too=*/true); }
  // No more market data: asks the gateway to acknowledge once it has processed everything.
  void send_end_of_data() noexcept;
  // Journals a checkpoint covering every market event so far, unless the last one already does
  // (`force`: even then, e.g. right after an operator command).
  void checkpoint(bool force = false) noexcept;
  uint64_t market_events() const noexcept { return events_; }
  // Whether `id` is stale at receive time `now_ns`: its order book was lost (a gap or a crossed
  // book, until the resynchronised book's first top), or it has had a book top and none for
  // stale_after_ms (the watchdog; off without [live]).
  bool stale(SymbolId id, int64_t now_ns) const noexcept {
    return book_lost_[id] != 0 ||
           (stale_after_ns_ != 0 && last_top_recv_ns_[id] != 0 && now_ns - last_top_recv_ns_[id] > stale_after_ns_);
  }
  int64_t last_receive_ns() const noexcept { return last_recv_ns_; }
  bool end_of_data_acknowledged() const noexcept { return end_acked_; }

  const PositionBook& book() const noexcept { return book_; }
  const SymbolStrategyStats& stats(SymbolId id) const noexcept { return stats_[id]; }
  int64_t clock() const noexcept { return clock_ns_; }
  TradingState state() const noexcept { return state_; }
  uint64_t open_orders() const noexcept { return open_orders_; }
  uint64_t fills() const noexcept { return fills_; }
  // Fills applied after the strategy had already processed a later market event than the one they
  // happened at (threaded mode). Zero means a deterministic replay of the same input makes the same
  // decisions (SPEC §10.3).
  uint64_t fills_overtaken() const noexcept { return fills_overtaken_; }
  Fixed day_pnl() const noexcept { return risk_.day_pnl(); }
  // Drawdown of the whole book's equity (all symbols together).
  Fixed max_drawdown() const noexcept { return total_max_drawdown_; }
  // Trading-state transitions in order (the first kMaxStateHistory; the rest are only counted).
  const std::vector<StateChange>& state_history() const noexcept { return history_; }
  uint64_t state_changes() const noexcept { return state_changes_; }

 private:
  struct OrderSlot {
    uint64_t client_order_id = 0;
    Fixed qty = 0;
    Fixed filled = 0;
    SymbolId symbol_id = 0;
    Side side = Side::Buy;
    OrderReason reason = OrderReason::ProfitTake;
    uint8_t level = 0;
    bool reduces = false;
    bool live = false;
    bool cancel_sent = false;
  };
  static constexpr std::size_t kMaxLiveOrders = 4096;  // power of two; slot = id & (size - 1)
  static constexpr std::size_t kMaxStateHistory = 1024;

  void handle_market(const MarketEvent& ev) noexcept;
  bool begin_event(const MarketEvent& ev) noexcept;  // true when the event moved the symbol's mark
  void rollover(int64_t new_day) noexcept;
  void check_loss_limit() noexcept;
  void set_state(TradingState to, StateReason why) noexcept;
  void cancel_non_reducing() noexcept;
  void cancel_open(bool reducing_too) noexcept;
  void flatten(OrderReason why) noexcept;
  void evaluate_rules(SymbolId id) noexcept;
  void send_order(SymbolId id, Side side, Fixed qty, Fixed touch, OrderReason reason, uint8_t level) noexcept;
  void forward_top(const BookTopUpdate& top) noexcept;
  void after_send() noexcept {
    settle_();
    drain_exec();
  }
  void on_exec(const ExecReport& r) noexcept;
  // The symbol's unrealized P&L, mark or position changed: day P&L and equity statistics follow.
  void refresh_unrealized(SymbolId id) noexcept;
  void on_entry_book_top(const MarketEvent& ev) noexcept;
  void on_book_level(const MarketEvent& ev) noexcept;
  Fixed reducing_in_flight(SymbolId id) const noexcept;
  void journal(const JournalRecord& r) noexcept { push_wait(journal_, r, wait_); }
  // A symbol whose figures changed since the last publish (no allocation: the list has a slot for
  // every symbol and holds each at most once).
  void mark_changed(SymbolId id) noexcept {
    if (telemetry_ == nullptr || id >= dirty_.size() || dirty_[id] != 0) return;
    dirty_[id] = 1;
    dirty_list_.push_back(id);
  }
  void to_gateway(const GatewayMsg& m) noexcept { push_wait(to_gateway_, m, wait_, gateway_wake_); }

  GatewayRing& to_gateway_;
  ExecRing& from_gateway_;
  JournalRing& journal_;
  const bool forward_book_tops_;
  // [sim] fill_model = "book": the venue keeps a replica of each order book, so every book level
  // event and every trade is forwarded too (docs/order-book.md).
  const bool forward_book_levels_;
  const WaitKind wait_;
  const SettleFn settle_;
  const std::optional<Fixed> loss_limit_;
  const bool flatten_on_halt_;
  const uint64_t checkpoint_every_;  // market events between checkpoint records
  const int64_t stale_after_ns_;     // the watchdog; 0: off (no [live] table)

  PositionBook book_;
  ProfitTaker profit_;
  StopLoss stop_;
  TrailingStop trail_;
  EntryRule entry_;
  DailyRisk risk_;
  std::vector<SymbolStrategyStats> stats_;
  std::vector<uint32_t> in_flight_;  // open orders per symbol
  std::vector<int64_t> last_top_recv_ns_;  // receive time of each symbol's latest book top (0: none)
  std::vector<uint8_t> book_lost_;         // 1: the feed lost the symbol's order book (stale until its next top)
  int64_t last_recv_ns_ = 0;
  // The venue needs a symbol's book tops only while it may hold an order of that symbol (in_flight_
  // is never below what the venue holds: it drops after the order's last report). Otherwise the
  // latest top waits here and goes out just before the next order of that symbol, so the venue
  // sees exactly the state it would have after every top, without a ring B message per top.
  struct HeldTop {
    BookTopUpdate top;
    bool unsent = false;
  };
  std::vector<HeldTop> held_tops_;
  std::vector<OrderSlot> orders_;
  std::vector<StateChange> history_;
  uint64_t state_changes_ = 0;
  std::vector<Fixed> equity_;  // per symbol, as last computed
  Fixed total_equity_ = 0;
  Fixed total_equity_peak_ = 0;
  Fixed total_max_drawdown_ = 0;
  uint64_t events_ = 0;
  uint64_t checkpointed_events_ = 0;
  uint64_t next_order_id_ = 1;
  uint64_t open_orders_ = 0;
  uint64_t fills_ = 0;
  uint64_t fills_overtaken_ = 0;
  int64_t clock_ns_ = 0;
  TradingState state_ = TradingState::Active;
  bool end_acked_ = false;
  PipelineLatency* latency_ = nullptr;
  EventCount* gateway_wake_ = nullptr;
  uint32_t origin_stamp_ = 0;  // t0 of the event being handled, for the orders it causes; 0: none
  StateReason state_reason_ = StateReason::Operator;
  // Telemetry (set_telemetry): what changed since the last publish, and when that was.
  StrategyTelemetry* telemetry_ = nullptr;
  std::vector<uint8_t> dirty_;
  std::vector<SymbolId> dirty_list_;
  bool orders_dirty_ = true;
  uint64_t last_publish_tsc_ = 0;
  uint64_t publish_interval_ticks_ = 0;
};

}  // namespace tp
