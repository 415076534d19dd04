// SimVenue: the simulated venue for replay and paper trading (SPEC §6, §9.12).
//
// A market order fills in full at the touch (ask for a buy, bid for a sell) of the first book top
// whose exchange time is at or after decision time + latency. With latency 0 that is the symbol's
// latest book top at the decision; an order decided before the symbol's first book top waits for
// it and fills there, with that event's engine time. Fee = notional * taker_fee_bps / 10000,
// rounded half away from zero to 1e-8 (SPEC §9.8).
//
// Single-threaded (the gateway thread). Pending orders live in a fixed-capacity array.
#pragma once

#include <cstdint>
#include <vector>

#include "core/config.hpp"
#include "core/orders.hpp"

namespace tp {

class SimVenue {
 public:
  SimVenue(const SimConfig& sim, std::size_t symbols, std::size_t max_pending = 4096);

  // Accepts a checked order. Emits zero or one report through `emit` now; a pending order
  // reports later from on_book_top.
  template <typename Emit>
  void submit(const OrderRequest& o, Emit&& emit) noexcept {
    const Top& t = tops_[o.symbol_id];
    if (latency_ns_ == 0 && t.valid) {
      emit(fill(o, t, o.decision_ts_ns));
      return;
    }
    if (pending_count_ == pending_.size()) {
      emit(reject(o, RejectReason::Venue, o.decision_ts_ns));
      return;
    }
    pending_[pending_count_++] = o;
  }

  // A new top of book: fills the pending orders of that symbol that are due, in arrival order.
  template <typename Emit>
  void on_book_top(const BookTopUpdate& b, Emit&& emit) noexcept {
    Top& t = tops_[b.symbol_id];
    t = Top{b.bid_px, b.ask_px, true};
    std::size_t keep = 0;
    for (std::size_t i = 0; i < pending_count_; ++i) {
      const OrderRequest& o = pending_[i];
      if (o.symbol_id == b.symbol_id && b.exch_ts_ns >= o.decision_ts_ns + latency_ns_) {
        emit(fill(o, t, b.engine_ts_ns));
      } else {
        pending_[keep++] = o;
      }
    }
    pending_count_ = keep;
  }

  std::size_t pending() const noexcept { return pending_count_; }

 private:
  struct Top {
    Fixed bid = 0;
    Fixed ask = 0;
    bool valid = false;
  };

  ExecReport fill(const OrderRequest& o, const Top& t, int64_t ts) const noexcept;
  static ExecReport reject(const OrderRequest& o, RejectReason why, int64_t ts) noexcept;

  int64_t latency_ns_;
  Fixed taker_fee_bps_;
  std::vector<Top> tops_;
  std::vector<OrderRequest> pending_;
  std::size_t pending_count_ = 0;
};

}  // namespace tp
