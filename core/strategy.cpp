#include "core/strategy.hpp"

namespace tp {
namespace {

std::vector<SymbolRules> rules_from(const Config& cfg) {
  std::vector<SymbolRules> r;
  r.reserve(cfg.symbols.size());
  for (const auto& s : cfg.symbols) r.push_back({s.lot_step, s.min_qty, s.min_notional});
  return r;
}

}  // namespace

Strategy::Strategy(const Config& cfg, const SymbolTable& symbols, GatewayRing& to_gateway, ExecRing& from_gateway,
                   JournalRing& journal, bool forward_book_tops)
    : to_gateway_(to_gateway),
      from_gateway_(from_gateway),
      journal_(journal),
      forward_book_tops_(forward_book_tops),
      wait_(cfg.threads.wait),
      book_(symbols.size()),
      profit_(cfg.profit_levels, rules_from(cfg)),
      stats_(symbols.size()),
      in_flight_(symbols.size(), 0),
      orders_(kMaxLiveOrders) {
  for (const auto& p : cfg.positions) book_.set_initial(symbols.find(p.symbol), p.qty, p.entry_price);
}

bool Strategy::begin_event(const MarketEvent& ev) noexcept {
  if (ev.exch_ts_ns > clock_ns_) clock_ns_ = ev.exch_ts_ns;  // the engine clock never goes back
  if (ev.kind == EventKind::Clock) return false;
  const bool moved = book_.on_market(ev);
  if (forward_book_tops_ && ev.kind == EventKind::BookTop) {
    GatewayMsg m;
    m.kind = GatewayMsgKind::BookTop;
    m.book = BookTopUpdate{clock_ns_, ev.exch_ts_ns, ev.book.bid_px, ev.book.bid_qty,
                           ev.book.ask_px, ev.book.ask_qty, ev.symbol_id};
    push_wait(to_gateway_, m, wait_);
  }
  return moved;
}

void Strategy::evaluate_rules(SymbolId id) noexcept {
  // In-flight guard (SPEC §9.4): one order at a time per symbol from the rules.
  if (in_flight_[id] != 0) return;
  const Position& p = book_[id];
  if (p.qty == 0) return;
  const Fixed touch = book_.mark(id);
  if (touch <= 0) return;
  const ProfitDecision d = profit_.evaluate(id, p.qty, p.entry, touch);
  stats_[id].profit_take_skipped += d.skipped;
  if (d.send) {
    ++stats_[id].profit_takes;
    send_order(id, d.side, d.qty, touch, OrderReason::ProfitTake, d.level);
  }
}

void Strategy::send_order(SymbolId id, Side side, Fixed qty, Fixed touch, OrderReason reason, uint8_t level) noexcept {
  const uint64_t coid = next_order_id_++;
  const Position& p = book_[id];

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
  slot = OrderSlot{coid, qty, 0, id, side, reason, level, true};
  ++in_flight_[id];
  ++open_orders_;

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
  m.order.reduces = p.qty != 0 && ((p.qty > 0) == (side == Side::Sell)) && qty <= (p.qty < 0 ? -p.qty : p.qty);
  push_wait(to_gateway_, m, wait_);
}

void Strategy::drain_exec() noexcept {
  ExecReport r;
  while (from_gateway_.try_pop(r)) on_exec(r);
}

void Strategy::send_end_of_data() noexcept {
  GatewayMsg m;
  m.kind = GatewayMsgKind::EndOfData;
  push_wait(to_gateway_, m, wait_);
}

void Strategy::on_exec(const ExecReport& r) noexcept {
  if (r.kind == ExecKind::EndOfData) {
    end_acked_ = true;
    return;
  }
  OrderSlot& slot = orders_[r.client_order_id & (kMaxLiveOrders - 1)];
  if (!slot.live || slot.client_order_id != r.client_order_id) return;  // not ours: nothing to apply
  const SymbolId id = slot.symbol_id;

  if (r.kind == ExecKind::Fill) {
    const FillEffect fx = book_.apply_fill(id, slot.side, r.qty, r.price, r.fee);
    ++fills_;
    slot.filled += r.qty;
    if (fx.episode_ended || fx.episode_started) profit_.reset_episode(id);
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
    if (r.kind == ExecKind::Reject) {
      JournalRecord jr{};
      jr.kind = JournalKind::Reject;
      jr.ts_ns = r.ts_ns;
      jr.client_order_id = r.client_order_id;
      jr.reject_reason = r.reason;
      journal(jr);
      ++stats_[id].rejects;
    }
    // Nothing filled: the level that proposed the order may fire again (SPEC §4).
    if (slot.filled == 0 && slot.level != 0) profit_.rearm(id, slot.level);
  }
  if (r.last) {
    slot.live = false;
    --in_flight_[id];
    --open_orders_;
  }
}

}  // namespace tp
