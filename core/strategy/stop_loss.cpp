#include "core/strategy/stop_loss.hpp"

#include <stdexcept>

namespace tp {

std::vector<uint8_t> rule_symbol_mask(bool enabled, const std::vector<SymbolId>& ids, std::size_t symbols) {
  std::vector<uint8_t> mask(symbols, 0);
  if (!enabled) return mask;
  if (ids.empty()) {
    mask.assign(symbols, 1);
    return mask;
  }
  for (SymbolId id : ids)
    if (id < symbols) mask[id] = 1;
  return mask;
}

StopLoss::StopLoss(const StopLossConfig& cfg, std::vector<SymbolRules> rules)
    : loss_pct_(cfg.loss_pct),
      close_fraction_(cfg.close_fraction),
      rules_(std::move(rules)),
      enabled_(rule_symbol_mask(cfg.enabled, cfg.symbols, rules_.size())),
      fired_(rules_.size(), 0) {
  if (cfg.enabled && cfg.loss_pct <= 0) throw std::invalid_argument("stop_loss.loss_pct must be > 0");
  if (cfg.enabled && (cfg.close_fraction <= 0 || cfg.close_fraction > kScale))
    throw std::invalid_argument("stop_loss.close_fraction must be in (0, 1]");
}

bool StopLoss::loss_reached(Fixed qty, Fixed entry, Fixed touch, Fixed loss_pct) noexcept {
  if (qty == 0 || entry <= 0 || touch <= 0) return false;
  // loss = entry - touch for a long, mirrored for a short.
  const i128 loss = qty > 0 ? static_cast<i128>(entry) - touch : static_cast<i128>(touch) - entry;
  return at_least_percent(loss, loss_pct, entry);
}

RuleDecision StopLoss::evaluate(SymbolId id, Fixed qty, Fixed entry, Fixed touch) noexcept {
  RuleDecision d;
  if (enabled_[id] == 0 || fired_[id] != 0 || qty == 0) return d;
  if (!loss_reached(qty, entry, touch, loss_pct_)) return d;
  fired_[id] = 1;
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
