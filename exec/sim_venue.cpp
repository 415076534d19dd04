#include "exec/sim_venue.hpp"

#include <bit>

namespace tp {

SimVenue::SimVenue(const SimConfig& sim, std::size_t symbols, std::size_t book_levels)
    : latency_ns_(sim.latency_ns),
      taker_fee_bps_(sim.taker_fee_bps),
      maker_fee_bps_(sim.maker_fee_bps.value_or(sim.taker_fee_bps)),
      tops_(symbols),
      slippage_(symbols),
      orders_(static_cast<std::size_t>(std::clamp<int64_t>(sim.max_orders, 1, kMaxSimOrders))),
      heads_(symbols, kNil),
      tails_(symbols, kNil),
      index_(std::bit_ceil(orders_.size() * 2), kNil),
      index_mask_(index_.size() - 1) {
  if (sim.fill_model == FillModel::Book) {
    books_.reserve(symbols);
    for (std::size_t i = 0; i < symbols; ++i) books_.push_back(std::make_unique<OrderBook>(book_levels > 0 ? book_levels : 5000));
  }
  // Free list through `next`, lowest slot first.
  for (std::size_t i = orders_.size(); i-- > 0;) {
    orders_[i].next = free_;
    free_ = static_cast<uint32_t>(i);
  }
}

uint32_t SimVenue::find(uint64_t client_order_id) const noexcept {
  for (std::size_t h = home(client_order_id);; h = (h + 1) & index_mask_) {
    const uint32_t i = index_[h];
    if (i == kNil) return kNil;  // the index is at most half full: an empty cell always ends a probe
    if (orders_[i].client_order_id == client_order_id) return i;
  }
}

void SimVenue::store(const OrderRequest& o, Fixed filled, bool live) noexcept {
  const uint32_t i = free_;
  Order& s = orders_[i];
  free_ = s.next;
  s.client_order_id = o.client_order_id;
  s.due_ns = o.decision_ts_ns > std::numeric_limits<int64_t>::max() - latency_ns_ ? std::numeric_limits<int64_t>::max()
                                                                                  : o.decision_ts_ns + latency_ns_;
  s.cancel_due_ns = kNever;
  s.qty = o.qty;
  s.filled = filled;
  s.price = o.type == OrderType::Limit ? o.price : 0;
  s.symbol_id = o.symbol_id;
  s.side = o.side;
  s.type = o.type;
  s.queue_ahead = 0;
  s.live = live;
  // Append to the symbol's list (arrival order).
  s.next = kNil;
  s.prev = tails_[o.symbol_id];
  if (s.prev == kNil) heads_[o.symbol_id] = i;
  else orders_[s.prev].next = i;
  tails_[o.symbol_id] = i;
  // Index it.
  std::size_t h = home(o.client_order_id);
  while (index_[h] != kNil) h = (h + 1) & index_mask_;
  index_[h] = i;
  ++count_;
  if (live) ++live_count_;
}

void SimVenue::remove(uint32_t i) noexcept {
  Order& s = orders_[i];
  // Unlink from the symbol's list.
  if (s.prev == kNil) heads_[s.symbol_id] = s.next;
  else orders_[s.prev].next = s.next;
  if (s.next == kNil) tails_[s.symbol_id] = s.prev;
  else orders_[s.next].prev = s.prev;
  // Remove from the index: backward-shift deletion keeps every probe chain unbroken.
  std::size_t hole = home(s.client_order_id);
  while (index_[hole] != i) hole = (hole + 1) & index_mask_;
  for (std::size_t j = (hole + 1) & index_mask_; index_[j] != kNil; j = (j + 1) & index_mask_) {
    const std::size_t want = home(orders_[index_[j]].client_order_id);
    // The entry at j may move into the hole unless its home lies cyclically in (hole, j].
    const bool stays = hole <= j ? (hole < want && want <= j) : (hole < want || want <= j);
    if (stays) continue;
    index_[hole] = index_[j];
    hole = j;
  }
  index_[hole] = kNil;
  --count_;
  if (s.live) --live_count_;
  s.live = false;
  s.prev = kNil;
  s.next = free_;
  free_ = i;
}

ExecReport SimVenue::fill(uint64_t coid, SymbolId sym, Side side, Fixed qty, Fixed px, Fixed bps, int64_t ts,
                          bool last) noexcept {
  ExecReport r{};
  r.client_order_id = coid;
  r.ts_ns = ts;
  r.qty = qty;
  r.price = px;
  r.fee = fee_from_bps(qty, px, bps);
  r.symbol_id = sym;
  r.side = side;
  r.kind = ExecKind::Fill;
  r.last = last;
  return r;
}

ExecReport SimVenue::reject(const OrderRequest& o, int64_t ts) noexcept {
  ExecReport r{};
  r.client_order_id = o.client_order_id;
  r.ts_ns = ts;
  r.symbol_id = o.symbol_id;
  r.side = o.side;
  r.kind = ExecKind::Reject;
  r.reason = RejectReason::Venue;
  r.last = true;
  return r;
}

ExecReport SimVenue::cancelled(const Order& o, int64_t ts) noexcept {
  ExecReport r{};
  r.client_order_id = o.client_order_id;
  r.ts_ns = ts;
  r.qty = o.filled;
  r.symbol_id = o.symbol_id;
  r.side = o.side;
  r.kind = ExecKind::Cancel;
  r.last = true;
  return r;
}

}  // namespace tp
