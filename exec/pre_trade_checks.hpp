// Pre-trade checks (SPEC §6, §9.16): every order passes these in the gateway before it reaches a
// venue. A failed check is a reject with a reason, never a silent drop.
//
// The checks run in the order of the RejectReason enum and the first that fails names the reason:
//   state            ACTIVE allows every order; REDUCING and HALTED only orders with `reduces`.
//   max_qty          qty <= risk.max_order_qty.
//   max_notional     qty x (limit: its price; market: ref_px) <= risk.max_order_notional.
//   price_band       limit orders only: |price - ref_px| * 100 <= price_band_pct * ref_px, exactly in
//                    128-bit integers (SPEC §1). A limit order with price <= 0 or no reference
//                    (ref_px <= 0) cannot be checked and fails the band.
//   max_open_orders  orders accepted and not yet finished (last report: full fill, cancel, venue
//                    reject) < risk.max_open_orders, so at most max_open_orders are open at once.
//   rate_limit       a token bucket of max_orders_per_sec tokens, full at start, refilled
//                    continuously by the engine clock (the order's decision_ts_ns; never the wall
//                    clock), held in nanotokens (1 token = 1e9) so the refill is exact integer
//                    arithmetic: `dt` ns add dt x max_orders_per_sec nanotokens, capped at the size.
//   duplicate        (duplicate_window_ms > 0) same symbol, side, type, qty and price as an order
//                    ACCEPTED less than the window earlier (engine clock): t - t_prev < window.
// Only an order that passes every check changes state: it takes one token, counts as open and is
// remembered by the duplicate guard. A rejected order — whichever check rejected it, including the
// duplicate guard after the rate limit passed — takes no token. An accepted order the venue then
// rejects (RejectReason::Venue) has taken its token (it reached the venue).
//
// Hot path: integer arithmetic, noexcept, no allocation after construction (the duplicate guard's
// ring is sized in the constructor).
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "core/config/config.hpp"
#include "core/types/orders.hpp"

namespace tp {

class PreTradeChecks {
 public:
  static constexpr int64_t kNanotokensPerToken = 1'000'000'000;
  // The duplicate guard remembers at most this many accepted orders (see duplicate_capacity()).
  static constexpr std::size_t kMaxDuplicateMemory = std::size_t{1} << 16;

  explicit PreTradeChecks(const RiskConfig& risk);  // allocates the duplicate ring (start-up)

  void set_state(TradingState s) noexcept { state_ = s; }
  TradingState state() const noexcept { return state_; }

  // Evaluates every check in RejectReason order, changing nothing.
  RejectReason evaluate(const OrderRequest& o) const noexcept;

  // Records an order that passed: takes one token, counts it open, remembers it for the
  // duplicate guard.
  void record_accepted(const OrderRequest& o) noexcept;

  // evaluate(), then record_accepted() when it passed. What the gateway calls.
  RejectReason check(const OrderRequest& o) noexcept {
    const RejectReason why = evaluate(o);
    if (why == RejectReason::None) record_accepted(o);
    return why;
  }

  // An accepted order is finished (its last report went out: full fill, cancel, venue reject).
  void on_order_finished() noexcept {
    if (open_ > 0) --open_;
  }

  uint64_t open_orders() const noexcept { return open_; }
  // Tokens in the bucket at engine time `now_ns`, in nanotokens (tests, reports).
  i128 nanotokens_at(int64_t now_ns) const noexcept;
  // Accepted orders the duplicate guard can hold: every order the rate limit lets through in one
  // window (size + size x window / 1 s, plus one), at most kMaxDuplicateMemory; 0 when off.
  std::size_t duplicate_capacity() const noexcept { return recent_.size(); }

 private:
  struct Recent {
    int64_t ts_ns;
    Fixed qty;
    Fixed price;
    SymbolId symbol_id;
    Side side;
    OrderType type;
  };

  bool is_duplicate(const OrderRequest& o) const noexcept;

  Fixed max_qty_;
  Fixed max_notional_;
  Fixed band_pct_;
  uint64_t max_open_;
  int64_t rate_;          // tokens per second = nanotokens per ns
  i128 bucket_size_nt_;   // rate_ * 1e9
  i128 tokens_nt_;
  int64_t last_refill_ns_ = std::numeric_limits<int64_t>::min();
  int64_t window_ns_;     // duplicate window; 0 = off
  std::vector<Recent> recent_;  // ring, recent_count_ newest entries ending at recent_head_ - 1
  std::size_t recent_head_ = 0;
  std::size_t recent_count_ = 0;
  uint64_t open_ = 0;
  TradingState state_ = TradingState::Active;
};

}  // namespace tp
