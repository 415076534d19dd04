#include "core/strategy/entry_rule.hpp"

#include <limits>
#include <stdexcept>

namespace tp {

EntryRule::EntryRule(const EntryConfig& cfg, std::vector<SymbolRules> rules)
    : kind_(cfg.kind),
      lookback_(cfg.kind == EntryKind::None ? 0 : static_cast<std::size_t>(cfg.lookback)),
      breakout_bps_(cfg.breakout_bps),
      notional_(cfg.notional),
      allow_short_(cfg.allow_short),
      cooldown_events_(cfg.cooldown_events),
      rules_(std::move(rules)),
      cooldown_(rules_.size(), 0) {
  if (kind_ == EntryKind::None) return;
  if (cfg.lookback < 1 || cfg.lookback > kMaxEntryLookback)
    throw std::invalid_argument("strategy.momentum_breakout.lookback must be between 1 and " +
                                std::to_string(kMaxEntryLookback));
  if (cfg.breakout_bps < 0) throw std::invalid_argument("strategy.momentum_breakout.breakout_bps must be >= 0");
  if (cfg.notional <= 0) throw std::invalid_argument("strategy.momentum_breakout.notional must be > 0");
  if (cfg.cooldown_events < 0) throw std::invalid_argument("strategy.momentum_breakout.cooldown_events must be >= 0");
  mids_.assign(rules_.size() * lookback_, 0);
  head_.assign(rules_.size(), 0);
  count_.assign(rules_.size(), 0);
}

Fixed EntryRule::entry_qty(Fixed notional, Fixed px, Fixed lot_step) noexcept {
  if (notional <= 0 || px <= 0 || lot_step <= 0) return 0;
  // qty = lots * lot_step (raw) and qty * px <= notional  <=>  lots * lot_step * px <= notional * 1e8.
  const i128 lots = static_cast<i128>(notional) * kScale / (static_cast<i128>(lot_step) * px);
  const i128 max_lots = std::numeric_limits<Fixed>::max() / lot_step;
  return static_cast<Fixed>((lots < max_lots ? lots : max_lots) * lot_step);
}

bool EntryRule::breaks_above(i128 mid, i128 max, Fixed breakout_bps) noexcept {
  // (mid - max) / max >= bps / 10000, bps carrying 8 fractional digits.
  return max > 0 && mid > max && (mid - max) * 10000 * kScale >= static_cast<i128>(breakout_bps) * max;
}

bool EntryRule::breaks_below(i128 mid, i128 min, Fixed breakout_bps) noexcept {
  return min > 0 && mid > 0 && mid < min && (min - mid) * 10000 * kScale >= static_cast<i128>(breakout_bps) * min;
}

RuleDecision EntryRule::on_book_top(SymbolId id, Fixed bid, Fixed ask, bool flat_and_idle) noexcept {
  RuleDecision d;
  if (kind_ == EntryKind::None) return d;
  // 1. Cooldown.
  const bool cooling = cooldown_[id] > 0;
  if (cooling) --cooldown_[id];
  // 2. Validity.
  int64_t mid2 = 0;
  if (bid <= 0 || ask <= 0 || ask < bid || __builtin_add_overflow(bid, ask, &mid2)) return d;
  int64_t* ring = mids_.data() + static_cast<std::size_t>(id) * lookback_;
  uint32_t& head = head_[id];
  uint32_t& count = count_[id];
  // 3. Decision against the previous `lookback` mids.
  bool buy = false;
  bool sell = false;
  if (!cooling && flat_and_idle && count == lookback_) {
    int64_t hi = ring[0];
    int64_t lo = ring[0];
    for (std::size_t i = 1; i < lookback_; ++i) {
      hi = ring[i] > hi ? ring[i] : hi;
      lo = ring[i] < lo ? ring[i] : lo;
    }
    buy = breaks_above(mid2, hi, breakout_bps_);
    sell = !buy && allow_short_ && breaks_below(mid2, lo, breakout_bps_);
  }
  // 4. Record.
  ring[head] = mid2;
  head = head + 1 == lookback_ ? 0 : head + 1;
  if (count < lookback_) ++count;
  if (!buy && !sell) return d;
  // 5. Quantity.
  const SymbolRules& r = rules_[id];
  const Fixed touch = buy ? ask : bid;
  const Fixed q = entry_qty(notional_, touch, r.lot_step);
  if (order_too_small(q, touch, r)) {
    d.skipped = 1;
    return d;
  }
  d.send = true;
  d.side = buy ? Side::Buy : Side::Sell;
  d.qty = q;
  cooldown_[id] = cooldown_events_;
  return d;
}

}  // namespace tp
