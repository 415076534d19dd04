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
// With [sim] fill_model = "book" (docs/order-book.md) the venue also keeps a replica of each
// symbol's order book, rebuilt from the book level events the strategy forwards (the same ones the
// feed's book applied, so the replica is that book), and fills against it instead of the touch:
// - A market order going live walks the opposite side from the touch, level by level, one fill
//   per level at that level's price, until it is filled or the side runs out; the rest is cancelled
//   (IOC: a Cancel report whose qty is what was filled). What it takes leaves the replica's levels
//   (until the feed next sets them). With no level at all on that side it waits, as above.
// - A limit order going live takes the same way, but only levels at or better than its price;
//   the rest rests at the back of its level's queue: the quantity ahead of it is that level's size
//   then. Risk-averse queue (hftbacktest's name): a trade at its price consumes the quantity ahead
//   first and fills the order with what is left over; a level size that shrinks below the quantity
//   ahead shortens it to that size (cancellations are assumed to come from behind); a trade through
//   its price, or an opposite touch at or through it, fills all that remains. Maker fills, at the
//   order's price.
// - The order book of a symbol is lost on a gap (a Clear|Lost level event): until the next book
//   top, new orders wait, as before the first one.
// The slippage of the taker fills (what they paid beyond the market's touch, the last book top, when
// they took: this venue's own earlier orders of the same moment move the price too) is summed per
// symbol (slippage()).
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

#include <memory>

#include "core/book/order_book.hpp"
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

  // `book_levels`: capacity per side of the order book replicas (fill_model = "book").
  SimVenue(const SimConfig& sim, std::size_t symbols, std::size_t book_levels = 0);

  // What the book fill model's taker fills cost beyond the touch, per symbol.
  struct Slippage {
    Fixed cost = 0;       // sum over fills of (touch - fill price) x qty for a sell, (fill price - touch)
                          // x qty for a buy, rounded per fill; the touch: the last book top's
    Fixed qty = 0;        // quantity of the taker fills that walked the book
    Fixed notional = 0;   // their notional at the fill prices
    uint64_t fills = 0;
    uint64_t levels_beyond_touch = 0;  // fills at a level other than the touch
    uint64_t ioc_cancelled = 0;        // market orders whose rest was cancelled: the side ran out
  };
  const Slippage& slippage(SymbolId id) const noexcept { return slippage_[id]; }
  bool book_model() const noexcept { return !books_.empty(); }

  // Accepts a checked order. Emits its reports now (fill / reject) or later from on_book_top.
  template <typename Emit>
  void submit(const OrderRequest& o, Emit&& emit) noexcept {
    if (o.symbol_id >= tops_.size() || o.qty <= 0 || (o.type == OrderType::Limit && o.price <= 0) ||
        find(o.client_order_id) != kNil) {
      emit(reject(o, o.decision_ts_ns));
      return;
    }
    Top& t = tops_[o.symbol_id];
    if (!books_.empty()) {
      submit_to_book(o, t, emit);
      return;
    }
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
      if (!books_.empty()) {
        if (!o.live) {
          if (latency_ns_ != 0 && b.exch_ts_ns < o.due_ns) continue;
          go_live_on_book(i, ts, emit);
        } else if (crosses(o.side, o.price, t)) {
          fill_resting(i, remaining, ts, emit);  // the touch went through its price
        }
        continue;
      }
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

  // A level of the order book changed (book fill model; ignored otherwise).
  template <typename Emit>
  void on_book_level(const BookLevelUpdate& l, Emit&&) noexcept {
    if (books_.empty() || l.symbol_id >= books_.size()) return;
    OrderBook& book = *books_[l.symbol_id];
    if ((l.flags & kBookLevelClear) != 0) {
      book.clear();
      if ((l.flags & kBookLost) != 0) tops_[l.symbol_id].valid = false;
      return;
    }
    book.apply(l.side, l.px, l.qty);
    // Risk-averse queue: a level smaller than the quantity ahead of an order shortens the queue.
    for (uint32_t i = heads_[l.symbol_id]; i != kNil; i = orders_[i].next) {
      Order& o = orders_[i];
      if (o.live && o.side == l.side && o.price == l.px && o.queue_ahead > l.qty) o.queue_ahead = l.qty;
    }
  }

  // A trade in the market (book fill model; ignored otherwise): resting orders at its price move
  // up their queue, orders it went through fill.
  template <typename Emit>
  void on_trade(const TradeUpdate& tr, Emit&& emit) noexcept {
    if (books_.empty() || tr.symbol_id >= books_.size()) return;
    uint32_t next = kNil;
    for (uint32_t i = heads_[tr.symbol_id]; i != kNil; i = next) {
      Order& o = orders_[i];
      next = o.next;
      // A buy rests on the bid: sell aggressors trade against it (and a buy order the other way).
      if (!o.live || o.side == tr.aggressor) continue;
      const Fixed remaining = o.qty - o.filled;
      const bool through = o.side == Side::Buy ? tr.px < o.price : tr.px > o.price;
      if (through) {
        fill_resting(i, remaining, tr.engine_ts_ns, emit);
        continue;
      }
      if (tr.px != o.price) continue;
      o.queue_ahead -= tr.qty;
      if (o.queue_ahead >= 0) continue;
      const Fixed q = std::min(remaining, -o.queue_ahead);
      o.queue_ahead = 0;
      fill_resting(i, q, tr.engine_ts_ns, emit);
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
    Fixed queue_ahead = 0;  // book model: quantity ahead of a resting order at its level
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

  // Book model: what the opposite side holds for an order up to `limit` (0: any price), at most `want`.
  Fixed book_can_take(SymbolId sym, Side side, Fixed limit, Fixed want) const noexcept {
    const OrderBook& b = *books_[sym];
    const Side opp = opposite(side);
    Fixed have = 0;
    for (std::size_t k = 0; k < b.depth(opp) && have < want; ++k) {
      const PriceLevel l = b.level(opp, k);
      if (limit > 0 && (side == Side::Buy ? l.px > limit : l.px < limit)) break;
      have += l.qty;
    }
    return std::min(have, want);
  }

  // Book model: takes up to `want` from the opposite side, best level first, up to `limit` (0: any
  // price); one taker fill per level. `done` is the order's quantity filled before; `total` its
  // quantity (the fill that completes it is `last`). Returns the quantity taken.
  template <typename Emit>
  Fixed walk_book(uint64_t coid, SymbolId sym, Side side, Fixed limit, Fixed want, Fixed done, Fixed total,
                  int64_t ts, Emit& emit) noexcept {
    OrderBook& b = *books_[sym];
    const Side opp = opposite(side);
    if (b.depth(opp) == 0) return 0;
    // The touch is the market's (the last book top), not the replica's: what this venue's earlier
    // orders took from the replica at the same moment is slippage too.
    const Fixed market = side == Side::Buy ? tops_[sym].ask : tops_[sym].bid;
    const Fixed touch_px = market > 0 ? market : b.best(opp).px;
    Slippage& sl = slippage_[sym];
    Fixed taken = 0;
    while (taken < want && b.depth(opp) > 0) {
      const PriceLevel l = b.best(opp);
      if (limit > 0 && (side == Side::Buy ? l.px > limit : l.px < limit)) break;
      const Fixed q = std::min(want - taken, l.qty);
      b.apply(opp, l.px, l.qty - q);  // taken liquidity leaves the replica
      taken += q;
      const Fixed beyond = side == Side::Buy ? l.px - touch_px : touch_px - l.px;
      sl.cost += mul_round(beyond, q);
      sl.qty += q;
      sl.notional += mul_round(l.px, q);
      ++sl.fills;
      if (l.px != touch_px) ++sl.levels_beyond_touch;
      emit(fill(coid, sym, side, q, l.px, taker_fee_bps_, ts, done + taken == total));
    }
    return taken;
  }

  // Book model: an order arriving (latency 0: now, if the book has a top; otherwise it waits).
  template <typename Emit>
  void submit_to_book(const OrderRequest& o, const Top& t, Emit& emit) noexcept {
    const Side opp = opposite(o.side);
    const bool can_go_live =
        latency_ns_ == 0 && t.valid && (o.type == OrderType::Limit || books_[o.symbol_id]->depth(opp) > 0);
    if (!can_go_live) {
      if (full()) {
        emit(reject(o, o.decision_ts_ns));
        return;
      }
      store(o, 0, false);
      return;
    }
    const Fixed limit = o.type == OrderType::Limit ? o.price : 0;
    // A limit order that will rest needs a place: refuse it before it takes anything.
    if (o.type == OrderType::Limit && full() && book_can_take(o.symbol_id, o.side, limit, o.qty) < o.qty) {
      emit(reject(o, o.decision_ts_ns));
      return;
    }
    const Fixed taken = walk_book(o.client_order_id, o.symbol_id, o.side, limit, o.qty, 0, o.qty, o.decision_ts_ns, emit);
    if (taken == o.qty) return;
    if (o.type == OrderType::Market) {
      ++slippage_[o.symbol_id].ioc_cancelled;
      Order gone;
      gone.client_order_id = o.client_order_id;
      gone.filled = taken;
      gone.symbol_id = o.symbol_id;
      gone.side = o.side;
      emit(cancelled(gone, o.decision_ts_ns));
      return;
    }
    store(o, taken, true);
    orders_[tails_[o.symbol_id]].queue_ahead = books_[o.symbol_id]->qty_at(o.side, o.price);
  }

  // Book model: a held order goes live on a book top (after its latency).
  template <typename Emit>
  void go_live_on_book(uint32_t i, int64_t ts, Emit& emit) noexcept {
    Order& o = orders_[i];
    if (o.type == OrderType::Market && books_[o.symbol_id]->depth(opposite(o.side)) == 0) return;  // wait
    o.live = true;
    ++live_count_;
    const Fixed taken = walk_book(o.client_order_id, o.symbol_id, o.side, o.type == OrderType::Limit ? o.price : 0,
                                  o.qty - o.filled, o.filled, o.qty, ts, emit);
    o.filled += taken;
    if (o.filled == o.qty) {
      remove(i);
      return;
    }
    if (o.type == OrderType::Market) {
      ++slippage_[o.symbol_id].ioc_cancelled;
      emit(cancelled(o, ts));
      remove(i);
      return;
    }
    o.queue_ahead = books_[o.symbol_id]->qty_at(o.side, o.price);
  }

  // Book model: a resting order fills `q` at its price, as a maker.
  template <typename Emit>
  void fill_resting(uint32_t i, Fixed q, int64_t ts, Emit& emit) noexcept {
    Order& o = orders_[i];
    if (q <= 0) return;
    o.filled += q;
    emit(fill(o.client_order_id, o.symbol_id, o.side, q, o.price, maker_fee_bps_, ts, o.filled == o.qty));
    if (o.filled == o.qty) remove(i);
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
  std::vector<std::unique_ptr<OrderBook>> books_;  // book model only: one replica per symbol
  std::vector<Slippage> slippage_;
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
