// OrderGateway: the gateway thread's stage. Takes GatewayMsgs from ring B, checks each order
// (PreTradeChecks), hands accepted orders to the venue, and returns execution reports on ring C.
//
// The venue is a template parameter so the per-order path has no virtual call; the simulated
// venue is the only one in this build (FIX 4.4 and the JSON WebSocket API come later).
#pragma once

#include <cstdint>

#include "core/config.hpp"
#include "core/rings.hpp"
#include "exec/pre_trade_checks.hpp"
#include "exec/sim_venue.hpp"

namespace tp {

struct GatewayStats {
  uint64_t orders = 0;
  uint64_t accepted = 0;
  uint64_t rejected = 0;
  uint64_t fills = 0;
};

template <typename Venue>
class OrderGateway {
 public:
  OrderGateway(const RiskConfig& risk, Venue& venue, GatewayRing& in, ExecRing& out, WaitKind wait) noexcept
      : checks_(risk), venue_(venue), in_(in), out_(out), wait_(wait) {}

  // Processes every message now in ring B; returns how many.
  std::size_t drain() noexcept {
    std::size_t n = 0;
    GatewayMsg m;
    while (in_.try_pop(m)) {
      process(m);
      ++n;
    }
    return n;
  }

  void process(const GatewayMsg& m) noexcept {
    auto emit = [this](const ExecReport& r) {
      if (r.kind == ExecKind::Fill) ++stats_.fills;
      push_wait(out_, r, wait_);
    };
    switch (m.kind) {
      case GatewayMsgKind::Order: {
        ++stats_.orders;
        const RejectReason why = checks_.check(m.order);
        if (why != RejectReason::None) {
          ++stats_.rejected;
          ExecReport r{};
          r.client_order_id = m.order.client_order_id;
          r.ts_ns = m.order.decision_ts_ns;
          r.symbol_id = m.order.symbol_id;
          r.side = m.order.side;
          r.kind = ExecKind::Reject;
          r.reason = why;
          r.last = true;
          push_wait(out_, r, wait_);
          return;
        }
        ++stats_.accepted;
        venue_.submit(m.order, emit);
        return;
      }
      case GatewayMsgKind::BookTop:
        venue_.on_book_top(m.book, emit);
        return;
      case GatewayMsgKind::State:
        checks_.set_state(m.state.state);
        return;
      case GatewayMsgKind::EndOfData: {
        ExecReport r{};
        r.kind = ExecKind::EndOfData;
        r.last = true;
        push_wait(out_, r, wait_);
        end_of_data_ = true;
        return;
      }
    }
  }

  bool end_of_data() const noexcept { return end_of_data_; }
  const GatewayStats& stats() const noexcept { return stats_; }

 private:
  PreTradeChecks checks_;
  Venue& venue_;
  GatewayRing& in_;
  ExecRing& out_;
  WaitKind wait_;
  GatewayStats stats_;
  bool end_of_data_ = false;
};

}  // namespace tp
