// EntryRule: opens positions for paper trading and demos, so a replay without initial positions
// trades too. docs/decisions.md, "Stop-loss, trailing stop and the entry rule".
//
// [strategy] entry = "momentum_breakout" — a deterministic momentum breakout on the mid price.
// Per symbol, on every book top of the symbol (on_book_top, in event order):
//  1. Cooldown. If the symbol's cooldown counter is > 0, it is decremented and this book top cannot
//     enter. An entry on book top n sets the counter to `cooldown_events`, so book tops
//     n+1 .. n+cooldown_events cannot enter and n+cooldown_events+1 can (0: the very next one can).
//  2. Validity. A book top with bid <= 0, ask <= 0, ask < bid (one-sided or crossed) or a bid + ask
//     beyond int64 is ignored from here on: not recorded, cannot enter (it still counted in step 1).
//  3. Decision, only when the window holds `lookback` mids (the lookback+1-th valid book top of the
//     symbol is the first that can enter), `flat_and_idle` is true (the strategy's part: position
//     flat, no order of the symbol in flight, trading state ACTIVE) and step 1 did not block.
//     With mid = (bid + ask) / 2 (kept exactly as bid + ask), max/min = the largest/smallest of the
//     previous `lookback` mids (this book top's excluded):
//       buy  when mid > max and (mid - max) * 10000 >= breakout_bps * max
//       sell when allow_short and mid < min and (min - mid) * 10000 >= breakout_bps * min
//     exactly, in 128-bit integers. breakout_bps = 0 means any new high (low).
//  4. Record: this mid enters the window, the oldest leaves once it holds `lookback` (always, also
//     when not flat and idle, so the window is the last `lookback` valid book tops).
//  5. Quantity: the largest multiple of the lot step with qty × ask <= notional (buy), or
//     qty × bid <= notional (sell), i.e. notional / touch rounded DOWN to the lot step. If it is
//     below the lot step or min_qty, or qty × touch is below min_notional, no order: skipped = 1
//     and no cooldown starts (the next breakout book top is skipped and counted again). Otherwise
//     send = true and the cooldown starts (also if the order is later rejected: the cooldown keeps a
//     rejected entry from being retried on every book top).
// The order is a market (IOC) order at the touch (reason `entry`).
//
// The window is a fixed ring per symbol, `lookback` mids, allocated at construction (none with
// entry = "none"); on_book_top never allocates. The max/min scan is O(lookback) and happens only
// when step 3 can decide. Single writer (the strategy thread).
#pragma once

#include <cstdint>
#include <vector>

#include "core/config/config.hpp"
#include "core/types/decimal.hpp"
#include "core/types/events.hpp"
#include "core/strategy/profit_taker.hpp"
#include "core/strategy/stop_loss.hpp"  // RuleDecision, order_too_small

namespace tp {

class EntryRule {
 public:
  // One SymbolRules per configured symbol, in id order. cfg.kind == EntryKind::None: the rule
  // never proposes anything and keeps no window.
  EntryRule(const EntryConfig& cfg, std::vector<SymbolRules> rules);

  // Call on every book top of the symbol (valid or not, flat or not), in event order.
  RuleDecision on_book_top(SymbolId id, Fixed bid, Fixed ask, bool flat_and_idle) noexcept;

  bool active() const noexcept { return kind_ != EntryKind::None; }
  // Mids in the symbol's window (0 .. lookback), and the book tops still blocked by the cooldown.
  std::size_t window_size(SymbolId id) const noexcept { return count_.empty() ? 0 : count_[id]; }
  int64_t cooldown_left(SymbolId id) const noexcept { return cooldown_[id]; }

  // notional / px rounded down to a multiple of lot_step (0 when px <= 0).
  static Fixed entry_qty(Fixed notional, Fixed px, Fixed lot_step) noexcept;
  // The exact breakout tests of step 3, on doubled mids (bid + ask), or on any consistent scale.
  static bool breaks_above(i128 mid, i128 max, Fixed breakout_bps) noexcept;
  static bool breaks_below(i128 mid, i128 min, Fixed breakout_bps) noexcept;

 private:
  EntryKind kind_;
  std::size_t lookback_;
  Fixed breakout_bps_;
  Fixed notional_;
  bool allow_short_;
  int64_t cooldown_events_;
  std::vector<SymbolRules> rules_;
  std::vector<int64_t> mids_;      // [id * lookback_, (id + 1) * lookback_): ring of bid + ask
  std::vector<uint32_t> head_;     // next slot to write
  std::vector<uint32_t> count_;    // mids held, <= lookback_
  std::vector<int64_t> cooldown_;  // book tops still blocked
};

}  // namespace tp
