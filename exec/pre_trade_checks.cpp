#include "exec/pre_trade_checks.hpp"

#include <algorithm>

namespace tp {
namespace {

constexpr i128 kI64Max = std::numeric_limits<int64_t>::max();

std::size_t duplicate_memory(const RiskConfig& risk) {
  if (risk.duplicate_window_ms <= 0) return 0;
  // The rate limit lets through at most size + size * window / 1 s orders in any window.
  const i128 rate = risk.max_orders_per_sec;
  const i128 in_window = rate + (rate * risk.duplicate_window_ms + 999) / 1000 + 1;
  return static_cast<std::size_t>(std::min<i128>(in_window, PreTradeChecks::kMaxDuplicateMemory));
}

}  // namespace

PreTradeChecks::PreTradeChecks(const RiskConfig& risk)
    : max_qty_(risk.max_order_qty),
      max_notional_(risk.max_order_notional),
      band_pct_(risk.price_band_pct),
      max_open_(risk.max_open_orders > 0 ? static_cast<uint64_t>(risk.max_open_orders) : 0),
      rate_(std::max<int64_t>(risk.max_orders_per_sec, 0)),
      bucket_size_nt_(static_cast<i128>(rate_) * kNanotokensPerToken),
      tokens_nt_(bucket_size_nt_),
      window_ns_(static_cast<int64_t>(
          std::min<i128>(static_cast<i128>(std::max<int64_t>(risk.duplicate_window_ms, 0)) * 1'000'000, kI64Max))),
      recent_(duplicate_memory(risk)) {}

i128 PreTradeChecks::nanotokens_at(int64_t now_ns) const noexcept {
  if (now_ns <= last_refill_ns_) return tokens_nt_;
  const i128 dt = static_cast<i128>(now_ns) - last_refill_ns_;
  // One second refills an empty bucket; beyond that the product could only overflow.
  if (dt >= kNanotokensPerToken) return bucket_size_nt_;
  return std::min(bucket_size_nt_, tokens_nt_ + dt * rate_);
}

bool PreTradeChecks::is_duplicate(const OrderRequest& o) const noexcept {
  const std::size_t cap = recent_.size();
  std::size_t idx = recent_head_;
  for (std::size_t n = 0; n < recent_count_; ++n) {
    idx = idx == 0 ? cap - 1 : idx - 1;  // newest first
    const Recent& r = recent_[idx];
    // Accepted orders are in engine-clock order: once one is out of the window, all older are.
    if (static_cast<i128>(o.decision_ts_ns) - r.ts_ns >= window_ns_) break;
    if (r.symbol_id == o.symbol_id && r.side == o.side && r.type == o.type && r.qty == o.qty && r.price == o.price)
      return true;
  }
  return false;
}

RejectReason PreTradeChecks::evaluate(const OrderRequest& o) const noexcept {
  if (state_ != TradingState::Active && !o.reduces) return RejectReason::State;
  if (o.qty > max_qty_) return RejectReason::MaxQty;
  // Notional at the price the order is expected to trade: the limit price, else the touch.
  const Fixed px = o.type == OrderType::Limit ? o.price : o.ref_px;
  if (mul_exact(o.qty, px) > static_cast<i128>(max_notional_) * kScale) return RejectReason::MaxNotional;
  if (o.type == OrderType::Limit) {
    if (o.price <= 0 || o.ref_px <= 0) return RejectReason::PriceBand;
    const i128 diff = static_cast<i128>(o.price) - o.ref_px;
    const i128 dev = diff < 0 ? -diff : diff;
    // |price - ref| / ref <= band / 100, band in 1e-8 units: |price - ref| * 100 * 1e8 <= band * ref.
    if (dev * 100 * kScale > static_cast<i128>(band_pct_) * o.ref_px) return RejectReason::PriceBand;
  }
  if (open_ >= max_open_) return RejectReason::MaxOpenOrders;
  if (nanotokens_at(o.decision_ts_ns) < kNanotokensPerToken) return RejectReason::RateLimit;
  if (window_ns_ > 0 && is_duplicate(o)) return RejectReason::Duplicate;
  return RejectReason::None;
}

void PreTradeChecks::record_accepted(const OrderRequest& o) noexcept {
  tokens_nt_ = nanotokens_at(o.decision_ts_ns) - kNanotokensPerToken;
  if (tokens_nt_ < 0) tokens_nt_ = 0;  // only when called without evaluate(); never goes negative
  last_refill_ns_ = std::max(last_refill_ns_, o.decision_ts_ns);
  ++open_;
  if (!recent_.empty()) {
    recent_[recent_head_] = Recent{o.decision_ts_ns, o.qty, o.price, o.symbol_id, o.side, o.type};
    recent_head_ = recent_head_ + 1 == recent_.size() ? 0 : recent_head_ + 1;
    if (recent_count_ < recent_.size()) ++recent_count_;
  }
}

}  // namespace tp
