// TrailingStop: closes (part of) a position when its mark retraces `trail_pct` percent from the
// best mark seen since the position episode started. docs/decisions.md, "Stop-loss, trailing stop
// and the entry rule".
//
// Per symbol it applies to ([trailing_stop] symbols; absent = every symbol). `touch` is the price a
// closing order fills at and the mark (bid for a long, ask for a short; the mark before the
// symbol's first book top, SPEC §3). Per episode the rule keeps `best`:
//   - at the first observation of the episode best = entry (the entry price is the starting best);
//   - then on every observation, FIRST best = max(best, bid) for a long, min(best, ask) for a short;
//   - active once  long:  (best - entry) * 100 >= activation_pct * entry
//                  short: (entry - best) * 100 >= activation_pct * entry
//     (activation_pct = 0: always active);
//   - fires when active and long:  (best - bid) * 100 >= trail_pct * best
//                          short: (ask - best) * 100 >= trail_pct * best
// All exact in 128-bit integers (SPEC §1); `entry` is the position's current average entry.
// Firing closes |q| * close_fraction rounded DOWN to the lot step on the closing side; too small
// (SPEC §4: below lot step, min_qty or min_notional at the touch) = fired, no order, skipped = 1.
// At most once per episode; rearm() (the order ended with nothing filled) lets it fire again and
// keeps `best`; reset_episode() forgets `best`. If the position's sign differs from the one `best`
// was tracked for (a flip the strategy did not report), the episode restarts by itself.
//
// observe() only tracks `best`; evaluate() tracks and decides. The strategy should call observe()
// on every event that moves the symbol's mark while the position is open, including while an order
// of the symbol is in flight (when it does not evaluate), so the best is not missed.
// Single writer (the strategy thread); no allocation after construction.
#pragma once

#include <cstdint>
#include <vector>

#include "core/config/config.hpp"
#include "core/types/decimal.hpp"
#include "core/types/events.hpp"
#include "core/strategy/profit_taker.hpp"
#include "core/strategy/stop_loss.hpp"  // RuleDecision, order_too_small, rule_symbol_mask

namespace tp {

class TrailingStop {
 public:
  // One SymbolRules per configured symbol, in id order.
  TrailingStop(const TrailingStopConfig& cfg, std::vector<SymbolRules> rules);

  // Updates the best mark; no decision. Does nothing for a disabled symbol, q == 0, or a price <= 0.
  void observe(SymbolId id, Fixed qty, Fixed entry, Fixed touch) noexcept;

  // observe(), then one decision for one symbol on one market event that moved its mark.
  RuleDecision evaluate(SymbolId id, Fixed qty, Fixed entry, Fixed touch) noexcept;

  // A new position episode (left flat, flipped, or ended): forgets the best and re-arms.
  void reset_episode(SymbolId id) noexcept { state_[id] = State{}; }
  // The order it proposed ended (reject or cancel) with nothing filled: it may fire again.
  void rearm(SymbolId id) noexcept { state_[id].fired = 0; }

  bool enabled(SymbolId id) const noexcept { return enabled_[id] != 0; }
  bool fired(SymbolId id) const noexcept { return state_[id].fired != 0; }
  // The best mark of the current episode; 0 before the first observation of the episode.
  Fixed best(SymbolId id) const noexcept { return state_[id].best; }

  // The exact tests above, for a position of sign q.
  static bool activated(Fixed qty, Fixed entry, Fixed best, Fixed activation_pct) noexcept;
  static bool retraced(Fixed qty, Fixed best, Fixed touch, Fixed trail_pct) noexcept;

 private:
  struct State {
    Fixed best = 0;     // 0: not tracking (new episode)
    int8_t sign = 0;    // +1 long, -1 short: the position `best` was tracked for
    uint8_t fired = 0;
  };

  Fixed trail_pct_;
  Fixed activation_pct_;
  Fixed close_fraction_;
  std::vector<SymbolRules> rules_;
  std::vector<uint8_t> enabled_;
  std::vector<State> state_;
};

}  // namespace tp
