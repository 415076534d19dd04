#include "core/strategy/trailing_stop.hpp"

#include <stdexcept>

namespace tp {

TrailingStop::TrailingStop(const TrailingStopConfig& cfg, std::vector<SymbolRules> rules)
    : trail_pct_(cfg.trail_pct),
      activation_pct_(cfg.activation_pct),
      close_fraction_(cfg.close_fraction),
      rules_(std::move(rules)),
      enabled_(rule_symbol_mask(cfg.enabled, cfg.symbols, rules_.size())),
      state_(rules_.size()) {
  if (cfg.enabled && cfg.trail_pct <= 0) throw std::invalid_argument("trailing_stop.trail_pct must be > 0");
  if (cfg.enabled && cfg.activation_pct < 0) throw std::invalid_argument("trailing_stop.activation_pct must be >= 0");
  if (cfg.enabled && (cfg.close_fraction <= 0 || cfg.close_fraction > kScale))
    throw std::invalid_argument("trailing_stop.close_fraction must be in (0, 1]");
}

bool TrailingStop::activated(Fixed qty, Fixed entry, Fixed best, Fixed activation_pct) noexcept {
  if (qty == 0 || entry <= 0 || best <= 0) return false;
  const i128 gain = qty > 0 ? static_cast<i128>(best) - entry : static_cast<i128>(entry) - best;
  return at_least_percent(gain, activation_pct, entry);
}

bool TrailingStop::retraced(Fixed qty, Fixed best, Fixed touch, Fixed trail_pct) noexcept {
  if (qty == 0 || best <= 0 || touch <= 0) return false;
  const i128 back = qty > 0 ? static_cast<i128>(best) - touch : static_cast<i128>(touch) - best;
  return at_least_percent(back, trail_pct, best);
}

void TrailingStop::observe(SymbolId id, Fixed qty, Fixed entry, Fixed touch) noexcept {
  if (enabled_[id] == 0 || qty == 0 || entry <= 0 || touch <= 0) return;
  State& s = state_[id];
  const int8_t sign = qty > 0 ? 1 : -1;
  if (s.best == 0 || s.sign != sign) s = State{entry, sign, 0};
  if (sign > 0 ? touch > s.best : touch < s.best) s.best = touch;
}

RuleDecision TrailingStop::evaluate(SymbolId id, Fixed qty, Fixed entry, Fixed touch) noexcept {
  RuleDecision d;
  observe(id, qty, entry, touch);
  if (enabled_[id] == 0 || qty == 0 || entry <= 0 || touch <= 0) return d;
  State& s = state_[id];
  if (s.fired != 0) return d;
  if (!activated(qty, entry, s.best, activation_pct_) || !retraced(qty, s.best, touch, trail_pct_)) return d;
  s.fired = 1;
  const SymbolRules& r = rules_[id];
  const Fixed q = ProfitTaker::reduction_qty(qty < 0 ? -qty : qty, close_fraction_, r.lot_step);
  if (order_too_small(q, touch, r)) {
    d.skipped = 1;
    return d;
  }
  d.send = true;
  d.side = qty > 0 ? Side::Sell : Side::Buy;
  d.qty = q;
  return d;
}

}  // namespace tp
