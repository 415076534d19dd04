#include "exec/sim_venue.hpp"

namespace tp {

SimVenue::SimVenue(const SimConfig& sim, std::size_t symbols, std::size_t max_pending)
    : latency_ns_(sim.latency_ns), taker_fee_bps_(sim.taker_fee_bps), tops_(symbols), pending_(max_pending) {}

ExecReport SimVenue::fill(const OrderRequest& o, const Top& t, int64_t ts) const noexcept {
  ExecReport r{};
  r.client_order_id = o.client_order_id;
  r.ts_ns = ts;
  r.qty = o.qty;
  r.price = o.side == Side::Buy ? t.ask : t.bid;
  // qty*px carries 1e-16, bps 1e-8: divide by 1e16 to return to 1e-8, and by 1e4 for basis points.
  const i128 scaled = mul_exact(r.qty, r.price) * taker_fee_bps_;
  r.fee = static_cast<Fixed>(div_round_half_away(scaled, static_cast<i128>(kScale) * kScale * 10000));
  r.symbol_id = o.symbol_id;
  r.side = o.side;
  r.kind = ExecKind::Fill;
  r.last = true;
  return r;
}

ExecReport SimVenue::reject(const OrderRequest& o, RejectReason why, int64_t ts) noexcept {
  ExecReport r{};
  r.client_order_id = o.client_order_id;
  r.ts_ns = ts;
  r.symbol_id = o.symbol_id;
  r.side = o.side;
  r.kind = ExecKind::Reject;
  r.reason = why;
  r.last = true;
  return r;
}

}  // namespace tp
