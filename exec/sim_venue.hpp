// SimVenue: the simulated venue for replay and paper trading (SPEC §6, §9.12). The modelling
// choices are listed in docs/decisions.md ("Simulated venue and pre-trade checks").
//
// Time. An order becomes live at the venue at its arrival: with latency 0 at once (against the
// symbol's latest book top; before the symbol's first book top it waits for that one), with
// latency L > 0 at the first book top of its symbol whose exchange time is >= decision + L.
// A cancel takes effect the same way: with latency 0 on arrival, else at the first book top of the
// order's symbol with exchange time >= cancel ts + L, before anything fills on that book top; fills
// that happen before it still happen.
//
// Market orders fill in full at the touch (ask for a buy, bid for a sell) when they go live, as
// takers (a market order that goes live while its side of the book is empty, price 0, waits).
// Limit orders: when one goes live and crosses the touch (buy: ask <= limit; sell: bid >= limit)
// it takes at the touch price, as a taker, min(remaining, size at the touch); what is left rests.
// A resting order fills on each later book top whose opposite touch crosses its price, at its
// limit price, as a maker, min(remaining, size at the touch). The size at the touch of one book
// top is shared by the venue's orders of that symbol in arrival order (market orders take theirs
// first in that order too); a size of 0 in the book top means "unknown" (e.g. Coinbase tickers
// without sizes) and does not limit the fill. Each book top is fresh liquidity: there is no queue
// position model.
//
// Reports: each fill is an ExecReport Fill (last = false until the order is complete); fee =
// qty x price x bps / 10000 rounded half away from zero to 1e-8 per fill (SPEC §9.8), taker_fee_bps
// or maker_fee_bps (default: the taker fee). A cancel yields one ExecKind::Cancel (last = true,
// qty = quantity filled before it). A cancel that finds no open order yields no report (the
// order's own last report has been, or will be, sent); cancel() says so to the caller. A venue
// reject (RejectReason::Venue, last = true): the venue is full (sim.max_orders orders held), a
// client_order_id it already holds, qty <= 0, a limit price <= 0, an unknown symbol id.
//
// Single-threaded (the gateway thread). Orders live in a fixed array with per-symbol FIFO lists and
// an open-addressing index by client_order_id, all sized at construction: no allocation per order.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/config/config.hpp"
#include "core/types/orders.hpp"

namespace tp {

class SimVenue {
 public:
  enum class CancelResult : uint8_t {
    Cancelled,  // removed now; a Cancel report was emitted
    Scheduled,  // takes effect after the latency (on a later book top)
    Unknown,    // no open order with that id: nothing emitted
  };

  SimVenue(const SimConfig& sim, std::size_t symbols);

  // Accepts a checked order. Emits its reports now (fill / reject) or later from on_book_top.
  template <typename Emit>
  void submit(const OrderRequest& o, Emit&& emit) noexcept {
    if (o.symbol_id >= tops_.size() || o.qty <= 0 || (o.type == OrderType::Limit && o.price <= 0) ||
        find(o.client_order_id) != kNil) {
      emit(reject(o, o.decision_ts_ns));
      return;
    }
    Top& t = tops_[o.symbol_id];
    if (latency_ns_ == 0 && t.valid && (o.type == OrderType::Limit || touch(t, o.side) > 0)) {
      // Live at once, against the latest book top.
      const Fixed taken = taker_qty(o.type, o.side, o.price, o.qty, t);
      if (taken < o.qty && full()) {
        emit(reject(o, o.decision_ts_ns));
        return;
      }
      if (taken > 0) {
        const Fixed px = touch(t, o.side);
        consume(t, o.side, taken);
        emit(fill(o.client_order_id, o.symbol_id, o.side, taken, px, taker_fee_bps_, o.decision_ts_ns, taken == o.qty));
      }
      if (taken < o.qty) store(o, taken, true);
      return;
    }
    if (full()) {
      emit(reject(o, o.decision_ts_ns));
      return;
    }
    store(o, 0, false);
  }

  // A cancel for an order the venue holds (see the header comment for timing).
  template <typename Emit>
  CancelResult cancel(const CancelRequest& c, Emit&& emit) noexcept {
    const uint32_t i = find(c.client_order_id);
    if (i == kNil) return CancelResult::Unknown;
    if (latency_ns_ == 0) {
      emit(cancelled(orders_[i], c.ts_ns));
      remove(i);
      return CancelResult::Cancelled;
    }
    const int64_t due = c.ts_ns > std::numeric_limits<int64_t>::max() - latency_ns_
                            ? std::numeric_limits<int64_t>::max()
                            : c.ts_ns + latency_ns_;
    orders_[i].cancel_due_ns = std::min(orders_[i].cancel_due_ns, due);
    return CancelResult::Scheduled;
  }

  // A new top of book: cancels that are due, then the orders of that symbol in arrival order.
  template <typename Emit>
  void on_book_top(const BookTopUpdate& b, Emit&& emit) noexcept {
    if (b.symbol_id >= tops_.size()) return;
    Top& t = tops_[b.symbol_id];
    t = Top{b.bid_px, b.ask_px, b.bid_qty, b.ask_qty, b.bid_qty > 0, b.ask_qty > 0, true};
    const int64_t ts = b.engine_ts_ns;
    uint32_t next = kNil;
    for (uint32_t i = heads_[b.symbol_id]; i != kNil; i = next) {
      Order& o = orders_[i];
      next = o.next;
      if (o.cancel_due_ns <= b.exch_ts_ns) {
        emit(cancelled(o, ts));
        remove(i);
        continue;
      }
      const Fixed remaining = o.qty - o.filled;
      if (!o.live) {
        if (latency_ns_ != 0 && b.exch_ts_ns < o.due_ns) continue;
        if (o.type == OrderType::Market && touch(t, o.side) <= 0) continue;  // empty side: wait
        o.live = true;
        ++live_count_;
        const Fixed taken = taker_qty(o.type, o.side, o.price, remaining, t);
        if (taken > 0) {
          consume(t, o.side, taken);
          o.filled += taken;
          emit(fill(o.client_order_id, o.symbol_id, o.side, taken, touch(t, o.side), taker_fee_bps_, ts,
                    o.filled == o.qty));
          if (o.filled == o.qty) remove(i);
        }
        continue;  // an order that goes live on this book top does not also rest-fill on it
      }
      if (!crosses(o.side, o.price, t)) continue;
      const Fixed taken = available(t, o.side, remaining);
      if (taken <= 0) continue;
      consume(t, o.side, taken);
      o.filled += taken;
      emit(fill(o.client_order_id, o.symbol_id, o.side, taken, o.price, maker_fee_bps_, ts, o.filled == o.qty));
      if (o.filled == o.qty) remove(i);
    }
  }

  std::size_t open_orders() const noexcept { return count_; }  // held: waiting to go live or resting
  std::size_t pending() const noexcept { return count_; }      // same as open_orders() (older name)
  std::size_t resting() const noexcept { return live_count_; } // live limit orders
  std::size_t capacity() const noexcept { return orders_.size(); }
  Fixed taker_fee_bps() const noexcept { return taker_fee_bps_; }
  Fixed maker_fee_bps() const noexcept { return maker_fee_bps_; }

 private:
  static constexpr uint32_t kNil = std::numeric_limits<uint32_t>::max();
  static constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

  struct Top {
    Fixed bid = 0;
    Fixed ask = 0;
    Fixed bid_left = 0;  // size at the touch not yet taken by this venue's orders on this book top
    Fixed ask_left = 0;
    bool bid_sized = false;  // false: the book top carried no size (0): unlimited
    bool ask_sized = false;
    bool valid = false;
  };

  struct Order {
    uint64_t client_order_id = 0;
    int64_t due_ns = 0;             // decision + latency: live from the first book top at or after it
    int64_t cancel_due_ns = kNever;  // a cancel takes effect at the first book top at or after it
    Fixed qty = 0;
    Fixed filled = 0;
    Fixed price = 0;  // limit price; 0 for market orders
    SymbolId symbol_id = 0;
    uint32_t prev = kNil;
    uint32_t next = kNil;  // per-symbol list; free list while unused
    Side side = Side::Buy;
    OrderType type = OrderType::Market;
    bool live = false;  // arrived at the venue (a live order here is a resting limit order)
  };

  static Fixed touch(const Top& t, Side s) noexcept { return s == Side::Buy ? t.ask : t.bid; }
  static bool crosses(Side s, Fixed limit, const Top& t) noexcept {
    return s == Side::Buy ? (t.ask > 0 && t.ask <= limit) : (t.bid > 0 && t.bid >= limit);
  }
  // How much of `want` the touch on the opposite side can still give on this book top.
  static Fixed available(const Top& t, Side s, Fixed want) noexcept {
    if (s == Side::Buy) return t.ask_sized ? std::min(want, t.ask_left) : want;
    return t.bid_sized ? std::min(want, t.bid_left) : want;
  }
  static void consume(Top& t, Side s, Fixed qty) noexcept {
    Fixed& left = s == Side::Buy ? t.ask_left : t.bid_left;
    left = left > qty ? left - qty : 0;
  }
  // What an order going live now takes at the touch: a market order all of it (SPEC §6), a
  // crossing limit order what the touch has left, a non-crossing one nothing.
  static Fixed taker_qty(OrderType type, Side s, Fixed limit, Fixed want, const Top& t) noexcept {
    if (type == OrderType::Market) return want;
    return crosses(s, limit, t) ? available(t, s, want) : 0;
  }

  bool full() const noexcept { return count_ == orders_.size(); }
  void store(const OrderRequest& o, Fixed filled, bool live) noexcept;
  void remove(uint32_t i) noexcept;
  uint32_t find(uint64_t client_order_id) const noexcept;
  std::size_t home(uint64_t client_order_id) const noexcept {
    return static_cast<std::size_t>((client_order_id * 0x9E3779B97F4A7C15ull) >> 32) & index_mask_;
  }

  static ExecReport fill(uint64_t coid, SymbolId sym, Side side, Fixed qty, Fixed px, Fixed bps, int64_t ts,
                         bool last) noexcept;
  static ExecReport reject(const OrderRequest& o, int64_t ts) noexcept;
  static ExecReport cancelled(const Order& o, int64_t ts) noexcept;

  int64_t latency_ns_;
  Fixed taker_fee_bps_;
  Fixed maker_fee_bps_;
  std::vector<Top> tops_;
  std::vector<Order> orders_;
  std::vector<uint32_t> heads_;  // per symbol, arrival order
  std::vector<uint32_t> tails_;
  std::vector<uint32_t> index_;  // open addressing (linear probing) client_order_id -> order slot
  std::size_t index_mask_ = 0;
  uint32_t free_ = kNil;
  std::size_t count_ = 0;
  std::size_t live_count_ = 0;
};

}  // namespace tp
