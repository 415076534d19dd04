#include "core/strategy/strategy.hpp"

#include "core/timing/wall_clock.hpp"

namespace tp {
namespace {

std::vector<SymbolRules> rules_from(const Config& cfg) {
  std::vector<SymbolRules> r;
  r.reserve(cfg.symbols.size());
  for (const auto& s : cfg.symbols) r.push_back({s.lot_step, s.min_qty, s.min_notional});
  return r;
}

Fixed abs_fixed(Fixed v) noexcept { return v < 0 ? -v : v; }

}  // namespace

Strategy::Strategy(const Config& cfg, const SymbolTable& symbols, GatewayRing& to_gateway, ExecRing& from_gateway,
                   JournalRing& journal, bool forward_book_tops, SettleFn settle)
    : to_gateway_(to_gateway),
      from_gateway_(from_gateway),
      journal_(journal),
      forward_book_tops_(forward_book_tops),
      forward_book_levels_(forward_book_tops && cfg.sim.fill_model == FillModel::Book),
      wait_(cfg.threads.strategy_wait),
      settle_(settle),
      loss_limit_(cfg.risk.daily_loss_limit),
      flatten_on_halt_(cfg.risk.flatten_on_halt),
      checkpoint_every_(static_cast<uint64_t>(cfg.journal.checkpoint_events)),
      stale_after_ns_(cfg.live.present ? cfg.live.stale_after_ms * 1'000'000 : 0),
      book_(symbols.size()),
      profit_(cfg.profit_levels, rules_from(cfg)),
      stop_(cfg.stop_loss, rules_from(cfg)),
      trail_(cfg.trailing_stop, rules_from(cfg)),
      entry_(cfg.entry, rules_from(cfg)),
      risk_(symbols.size(), cfg.risk.day_reset_minutes),
      stats_(symbols.size()),
      in_flight_(symbols.size(), 0),
      last_top_recv_ns_(symbols.size(), 0),
      book_lost_(symbols.size(), 0),
      held_tops_(symbols.size()),
      orders_(kMaxLiveOrders),
      equity_(symbols.size(), 0) {
  history_.reserve(kMaxStateHistory);
  for (const auto& p : cfg.positions) book_.set_initial(symbols.find(p.symbol), p.qty, p.entry_price);
}

void Strategy::refresh_unrealized(SymbolId id) noexcept {
  const Fixed u = book_.unrealized(id);
  risk_.set_unrealized(id, u, book_.has_mark(id));
  const Position& p = book_[id];
  const Fixed eq = p.realized - p.fees + u;
  SymbolStrategyStats& st = stats_[id];
  if (eq > st.equity_peak) st.equity_peak = eq;
  if (st.equity_peak - eq > st.max_drawdown) st.max_drawdown = st.equity_peak - eq;
  total_equity_ += eq - equity_[id];
  equity_[id] = eq;
  if (total_equity_ > total_equity_peak_) total_equity_peak_ = total_equity_;
  if (total_equity_peak_ - total_equity_ > total_max_drawdown_) total_max_drawdown_ = total_equity_peak_ - total_equity_;
}

void Strategy::set_telemetry(StrategyTelemetry* t) noexcept {
  telemetry_ = t;
  if (t == nullptr) return;
  dirty_.assign(book_.size(), 0);
  dirty_list_.clear();
  dirty_list_.reserve(book_.size());
  for (SymbolId id = 0; id < book_.size(); ++id) mark_changed(id);
  orders_dirty_ = true;
  publish_interval_ticks_ = static_cast<uint64_t>(1e6 * TscClock::ticks_per_ns());  // 1 ms
  publish();
}

void Strategy::publish() noexcept {
  if (telemetry_ == nullptr) return;
  for (const SymbolId id : dirty_list_) {
    SymbolFigures f;
    f.position = book_[id];
    f.mark = book_.mark(id);
    f.unrealized = book_.unrealized(id);
    f.last_top_recv_ns = last_top_recv_ns_[id];
    f.book_lost = book_lost_[id] != 0;
    const SymbolStrategyStats& st = stats_[id];
    f.orders = st.orders;
    f.rejects = st.rejects;
    f.stale_episodes = st.stale_episodes;
    f.profit_takes = st.profit_takes;
    telemetry_->symbol(id).write(f);
    dirty_[id] = 0;
  }
  dirty_list_.clear();
  if (orders_dirty_) {
    // Only after an order was sent or ended: the scan stops at the last open order.
    OpenOrdersFigures o;
    o.total = open_orders_;
    uint64_t seen = 0;
    for (std::size_t i = 0; i < orders_.size() && seen < open_orders_; ++i) {
      const OrderSlot& slot = orders_[i];
      if (!slot.live) continue;
      ++seen;
      if (o.shown == kPublishedOpenOrders) continue;
      o.orders[o.shown++] = OpenOrderFigures{slot.client_order_id, slot.qty,    slot.filled, slot.symbol_id,
                                             slot.side,            slot.reason, slot.level,  slot.cancel_sent};
    }
    telemetry_->open_orders().write(o);
    orders_dirty_ = false;
  }
  StrategyTotals t;
  t.published_wall_ns = realtime_ns();
  t.clock_ns = clock_ns_;
  t.last_receive_ns = last_recv_ns_;
  t.stale_after_ns = stale_after_ns_;
  t.day_pnl = risk_.day_pnl();
  t.max_drawdown = total_max_drawdown_;
  t.market_events = events_;
  t.fills = fills_;
  t.fills_overtaken = fills_overtaken_;
  t.open_orders = open_orders_;
  t.state_changes = state_changes_;
  t.state = state_;
  t.state_reason = state_reason_;
  t.state_ever_changed = state_changes_ != 0;
  telemetry_->totals().write(t);
}

void Strategy::on_market(const MarketEvent& ev) noexcept {
  if (ev.kind == EventKind::BookLevel) [[unlikely]] {
    on_book_level(ev);
    return;
  }
  mark_changed(ev.symbol_id);
  if (latency_ == nullptr || ev.tsc_bytes == 0) [[likely]] {
    handle_market(ev);
    return;
  }
  const uint32_t taken = ride_stamp(tsc_now());
  latency_->to_strategy.record(elapsed_ns32(ev.tsc_bytes, taken));
  origin_stamp_ = ev.tsc_bytes;
  handle_market(ev);
  origin_stamp_ = 0;  // orders outside an event (the kill switch) have no origin
  latency_->strategy.record(elapsed_ns32(taken, ride_stamp(tsc_now())));
}

void Strategy::handle_market(const MarketEvent& ev) noexcept {
  const int64_t new_clock = ev.exch_ts_ns > clock_ns_ ? ev.exch_ts_ns : clock_ns_;  // never goes back
  if (!risk_.started()) {
    risk_.start(new_clock);
  } else if (risk_.past_day_end(new_clock)) {
    // The rollover comes first, from the marks known before this event (SPEC §9.2).
    clock_ns_ = new_clock;
    rollover(risk_.day_of(new_clock));
  }
  clock_ns_ = new_clock;
  const bool moved = begin_event(ev);
  after_send();  // the venue fills what is due at this event (deterministic mode)
  check_loss_limit();
  if (moved) evaluate_rules(ev.symbol_id);
  if (ev.kind == EventKind::BookTop && entry_.active()) on_entry_book_top(ev);
  if (++events_ - checkpointed_events_ >= checkpoint_every_) checkpoint();
}

// A book level: for the venue's replica of the book (book fill model), and a lost book makes the
// symbol stale. It moves neither the clock nor a mark, and evaluates no rule; it counts as a market
// event (a resumed run finds operator commands at the same place among them).
void Strategy::on_book_level(const MarketEvent& ev) noexcept {
  const SymbolId id = ev.symbol_id;
  if ((ev.level.flags & kBookLost) != 0 && book_lost_[id] == 0) {
    book_lost_[id] = 1;
    mark_changed(id);
  }
  if (forward_book_levels_) {
    GatewayMsg m;
    m.kind = GatewayMsgKind::BookLevel;
    m.level = BookLevelUpdate{ev.exch_ts_ns, ev.level.px, ev.level.qty, id, ev.level.side, ev.level.flags};
    to_gateway(m);
    settle_();  // deterministic mode: the venue applies it now (a reload is thousands of levels)
  }
  if (++events_ - checkpointed_events_ >= checkpoint_every_) checkpoint();
}

void Strategy::checkpoint(bool force) noexcept {
  if (events_ == checkpointed_events_ && !force) return;
  JournalRecord jr{};
  jr.kind = JournalKind::Checkpoint;
  jr.ts_ns = clock_ns_;
  jr.client_order_id = events_;
  journal(jr);
  checkpointed_events_ = events_;
}

bool Strategy::begin_event(const MarketEvent& ev) noexcept {
  if (ev.recv_ts_ns > last_recv_ns_) last_recv_ns_ = ev.recv_ts_ns;
  if (ev.kind == EventKind::Clock) return false;
  if (ev.kind == EventKind::BookTop) {
    // This top ends a stale spell (the watchdog's, or a lost order book's).
    if (stale(ev.symbol_id, ev.recv_ts_ns)) ++stats_[ev.symbol_id].stale_episodes;
    book_lost_[ev.symbol_id] = 0;
    if (stale_after_ns_ != 0) last_top_recv_ns_[ev.symbol_id] = ev.recv_ts_ns;
  } else if (ev.kind == EventKind::Trade && forward_book_levels_) {
    // The book fill model's queue: trades move resting orders up (docs/order-book.md).
    GatewayMsg m;
    m.kind = GatewayMsgKind::Trade;
    m.trade = TradeUpdate{clock_ns_, ev.exch_ts_ns, ev.trade.px, ev.trade.qty, ev.symbol_id, ev.trade.aggressor};
    to_gateway(m);
  }
  const bool moved = book_.on_market(ev);
  if (moved) refresh_unrealized(ev.symbol_id);
  if (forward_book_tops_ && ev.kind == EventKind::BookTop) {
    const BookTopUpdate top{clock_ns_, ev.exch_ts_ns, ev.book.bid_px, ev.book.bid_qty,
                            ev.book.ask_px, ev.book.ask_qty, ev.symbol_id};
    HeldTop& held = held_tops_[ev.symbol_id];
    if (in_flight_[ev.symbol_id] != 0) {
      forward_top(top);  // nothing is held: send_order sent it before the order went out
    } else {
      held.top = top;
      held.unsent = true;
    }
  }
  return moved;
}

void Strategy::forward_top(const BookTopUpdate& top) noexcept {
  GatewayMsg m;
  m.kind = GatewayMsgKind::BookTop;
  m.book = top;
  to_gateway(m);
}

void Strategy::rollover(int64_t new_day) noexcept {
  JournalRecord jr{};
  jr.kind = JournalKind::Day;
  jr.ts_ns = clock_ns_;
  jr.pnl = risk_.day_pnl();  // the closing day's P&L
  journal(jr);
  set_state(TradingState::Active, StateReason::DayReset);
  risk_.roll_to(new_day);
}

void Strategy::check_loss_limit() noexcept {
  if (!loss_limit_ || state_ == TradingState::Halted) return;
  if (risk_.day_pnl() > -*loss_limit_) return;
  set_state(TradingState::Halted, StateReason::LossLimit);
  cancel_non_reducing();
  if (flatten_on_halt_) flatten(OrderReason::LossLimit);
}

void Strategy::poll_control(ControlQueue& q) noexcept {
  ControlCommand c;
  while (q.try_pop(c)) apply_control(c);
}

void Strategy::apply_control(const ControlCommand& c) noexcept {
  // The command is an input: journaled first, with the count of market events it follows, so
  // --resume can apply it again at the same place (docs/durability.md).
  JournalRecord jr{};
  jr.kind = JournalKind::Command;
  jr.ts_ns = clock_ns_;
  jr.client_order_id = events_;
  jr.to_state = c.state;
  jr.flatten = c.flatten;
  jr.command_source = c.source;
  journal(jr);
  set_state(c.state, StateReason::KillSwitch);
  if (c.state == TradingState::Halted) cancel_non_reducing();
  if (c.flatten) flatten(OrderReason::KillSwitch);
  // A checkpoint right after it makes the command durable (flushed, and fsynced per the policy):
  // a resumed run finds it in the prefix it replays.
  checkpoint(/*force=*/true);
}

void Strategy::set_state(TradingState to, StateReason why) noexcept {
  if (to == state_) return;
  JournalRecord jr{};
  jr.kind = JournalKind::State;
  jr.ts_ns = clock_ns_;
  jr.from_state = state_;
  jr.to_state = to;
  jr.state_reason = why;
  journal(jr);
  if (history_.size() < kMaxStateHistory) history_.push_back({clock_ns_, state_, to, why});
  ++state_changes_;
  state_ = to;
  state_reason_ = why;
  // The gateway gates every later order on the new state.
  GatewayMsg m;
  m.kind = GatewayMsgKind::State;
  m.state = StateUpdate{clock_ns_, to};
  to_gateway(m);
}

void Strategy::cancel_non_reducing() noexcept { cancel_open(/*reducing_too=*/false); }

void Strategy::cancel_open(bool reducing_too) noexcept {
  bool sent = false;
  for (OrderSlot& s : orders_) {
    if (!s.live || (s.reduces && !reducing_too) || s.cancel_sent) continue;
    GatewayMsg m;
    m.kind = GatewayMsgKind::Cancel;
    m.cancel = CancelRequest{s.client_order_id, clock_ns_};
    to_gateway(m);
    s.cancel_sent = true;
    orders_dirty_ = true;
    sent = true;
  }
  if (sent) after_send();
}

Fixed Strategy::reducing_in_flight(SymbolId id) const noexcept {
  Fixed q = 0;
  if (in_flight_[id] == 0) return 0;
  for (const OrderSlot& s : orders_)
    if (s.live && s.symbol_id == id && s.reduces) q += s.qty - s.filled;
  return q;
}

// Closes every open position with a market order, symbols in id order; in deterministic mode each
// order's fill follows it in the journal (SPEC §9.4). What reducing orders already in flight will
// close is not sent twice.
void Strategy::flatten(OrderReason why) noexcept {
  for (SymbolId id = 0; id < book_.size(); ++id) {
    const Fixed q = book_[id].qty;
    if (q == 0) continue;
    const Fixed remaining = abs_fixed(q) - reducing_in_flight(id);
    if (remaining <= 0) continue;
    send_order(id, q > 0 ? Side::Sell : Side::Buy, remaining, book_.mark(id), why, 0);
    after_send();
  }
}

// The entry rule sees every book top of the symbol (its window must not have holes); it may only
// open a position when the symbol is flat, nothing is in flight and trading is ACTIVE.
void Strategy::on_entry_book_top(const MarketEvent& ev) noexcept {
  const SymbolId id = ev.symbol_id;
  const bool flat_and_idle = book_[id].qty == 0 && in_flight_[id] == 0 && state_ == TradingState::Active;
  const RuleDecision d = entry_.on_book_top(id, ev.book.bid_px, ev.book.ask_px, flat_and_idle);
  stats_[id].rule_skipped += d.skipped;
  if (!d.send) return;
  ++stats_[id].entries;
  send_order(id, d.side, d.qty, d.side == Side::Buy ? ev.book.ask_px : ev.book.bid_px, OrderReason::Entry, 0);
  after_send();
}

// Rules that reduce a position, in priority order: stop-loss, trailing stop, profit taking. One
// order per symbol per event at most (the in-flight guard of SPEC §9.4 applies to all of them).
void Strategy::evaluate_rules(SymbolId id) noexcept {
  const Position& p = book_[id];
  if (p.qty == 0) return;
  const Fixed touch = book_.mark(id);
  if (touch <= 0) return;
  if (in_flight_[id] != 0) {
    trail_.observe(id, p.qty, p.entry, touch);  // the best mark must not be missed while waiting
    return;
  }
  // The stops come first; the first rule that sends an order ends this evaluation.
  auto close_by = [&](auto& rule, uint64_t& fired, OrderReason why) noexcept {
    if (!rule.enabled(id)) return false;
    const RuleDecision d = rule.evaluate(id, p.qty, p.entry, touch);
    stats_[id].rule_skipped += d.skipped;
    if (!d.send) return false;
    ++fired;
    send_order(id, d.side, d.qty, touch, why, 0);
    after_send();
    return true;
  };
  if (close_by(stop_, stats_[id].stop_losses, OrderReason::StopLoss) ||
      close_by(trail_, stats_[id].trailing_stops, OrderReason::TrailingStop)) {
    return;
  }
  const ProfitDecision d = profit_.evaluate(id, p.qty, p.entry, touch);
  stats_[id].profit_take_skipped += d.skipped;
  if (d.send) {
    ++stats_[id].profit_takes;
    send_order(id, d.side, d.qty, touch, OrderReason::ProfitTake, d.level);
    after_send();
  }
}

void Strategy::send_order(SymbolId id, Side side, Fixed qty, Fixed touch, OrderReason reason, uint8_t level) noexcept {
  mark_changed(id);
  const uint64_t coid = next_order_id_++;
  const Position& p = book_[id];
  const bool reduces = p.qty != 0 && ((p.qty > 0) == (side == Side::Sell)) && qty <= abs_fixed(p.qty);

  JournalRecord jr{};
  jr.kind = JournalKind::Order;
  jr.ts_ns = clock_ns_;
  jr.client_order_id = coid;
  jr.symbol_id = id;
  jr.side = side;
  jr.qty = qty;
  jr.order_type = OrderType::Market;
  jr.order_reason = reason;
  jr.level = level;
  journal(jr);
  ++stats_[id].orders;

  OrderSlot& slot = orders_[coid & (kMaxLiveOrders - 1)];
  if (slot.live) {
    // kMaxLiveOrders orders are already waiting for an answer: refuse rather than overwrite.
    JournalRecord rj{};
    rj.kind = JournalKind::Reject;
    rj.ts_ns = clock_ns_;
    rj.client_order_id = coid;
    rj.reject_reason = RejectReason::MaxOpenOrders;
    journal(rj);
    ++stats_[id].rejects;
    if (level != 0) profit_.rearm(id, level);
    return;
  }
  if (HeldTop& held = held_tops_[id]; held.unsent) {
    held.unsent = false;
    forward_top(held.top);
  }
  slot = OrderSlot{coid, qty, 0, id, side, reason, level, reduces, true, false};
  ++in_flight_[id];
  ++open_orders_;
  orders_dirty_ = true;

  GatewayMsg m;
  m.kind = GatewayMsgKind::Order;
  m.order = OrderRequest{};
  m.order.client_order_id = coid;
  m.order.decision_ts_ns = clock_ns_;
  m.order.qty = qty;
  m.order.price = 0;
  m.order.ref_px = touch;
  m.order.symbol_id = id;
  m.order.side = side;
  m.order.type = OrderType::Market;
  m.order.reason = reason;
  m.order.level = level;
  m.order.reduces = reduces;
  m.order.tsc_origin = origin_stamp_;
  m.order.tsc_decision = origin_stamp_ != 0 ? ride_stamp(tsc_now()) : 0;
  to_gateway(m);
}

void Strategy::drain_exec() noexcept {
  ExecReport r;
  while (from_gateway_.try_pop(r)) on_exec(r);
}

void Strategy::send_end_of_data() noexcept {
  GatewayMsg m;
  m.kind = GatewayMsgKind::EndOfData;
  to_gateway(m);
}

void Strategy::on_exec(const ExecReport& r) noexcept {
  if (r.kind == ExecKind::EndOfData) {
    end_acked_ = true;
    return;
  }
  OrderSlot& slot = orders_[r.client_order_id & (kMaxLiveOrders - 1)];
  if (!slot.live || slot.client_order_id != r.client_order_id) return;  // not ours: nothing to apply
  const SymbolId id = slot.symbol_id;
  mark_changed(id);
  orders_dirty_ = true;

  if (r.kind == ExecKind::Fill) {
    // The venue filled at a market event with time r.ts_ns; a strategy whose clock is already past
    // it has decided on later events without this fill (threaded mode: the ring is a race), which a
    // deterministic replay would not (SPEC §10.3).
    if (clock_ns_ > r.ts_ns) ++fills_overtaken_;
    const FillEffect fx = book_.apply_fill(id, slot.side, r.qty, r.price, r.fee);
    risk_.on_fill(fx.realized, r.fee);
    refresh_unrealized(id);
    ++fills_;
    slot.filled += r.qty;
    if (fx.episode_ended || fx.episode_started) {
      profit_.reset_episode(id);
      stop_.reset_episode(id);
      trail_.reset_episode(id);
    }
    JournalRecord jr{};
    jr.kind = JournalKind::Fill;
    jr.ts_ns = r.ts_ns;
    jr.client_order_id = r.client_order_id;
    jr.symbol_id = id;
    jr.side = slot.side;
    jr.qty = r.qty;
    jr.price = r.price;
    jr.fee = r.fee;
    journal(jr);
  } else {
    JournalRecord jr{};
    jr.ts_ns = r.ts_ns;
    jr.client_order_id = r.client_order_id;
    if (r.kind == ExecKind::Reject) {
      jr.kind = JournalKind::Reject;
      jr.reject_reason = r.reason;
      ++stats_[id].rejects;
    } else {
      jr.kind = JournalKind::Cancel;
      jr.qty = slot.filled;
    }
    journal(jr);
    // Nothing filled: the rule that proposed the order may fire again (SPEC §4).
    if (slot.filled == 0) {
      if (slot.reason == OrderReason::ProfitTake && slot.level != 0) profit_.rearm(id, slot.level);
      if (slot.reason == OrderReason::StopLoss) stop_.rearm(id);
      if (slot.reason == OrderReason::TrailingStop) trail_.rearm(id);
    }
  }
  if (r.last) {
    slot.live = false;
    --in_flight_[id];
    --open_orders_;
  }
}

}  // namespace tp
