// OrderGateway: the gateway thread's stage. Takes GatewayMsgs from ring B, checks each order
// (PreTradeChecks), hands accepted orders and cancels to the venue, and returns execution reports
// on ring C. Every order message gets reports ending with exactly one `last = true`: a pre-trade
// reject, or the venue's fill(s) / cancel / reject. A cancel adds no report of its own when the
// order is already finished.
//
// The venue is a template parameter so the per-order path has no virtual call: the simulated venue
// (SimVenue: reports at once or on book tops) or FIX 4.4 (fix::FixVenue: reports arrive from the
// acceptor). A venue with a `poll(emit)` talks to the outside: the gateway thread polls it between
// messages (poll()), and the end of data waits for its `shutdown_complete()` (open orders finished,
// session logged out) before it is acknowledged.
#pragma once

#include <concepts>
#include <cstdint>
#include <string_view>

#include "core/config/config.hpp"
#include "core/types/counters.hpp"
#include "core/threads/event_count.hpp"
#include "core/timing/pipeline_latency.hpp"
#include "core/threads/rings.hpp"
#include "exec/pre_trade_checks.hpp"
#include "exec/sim_venue.hpp"

namespace tp {

// Reject reports by reason (index = RejectReason; names: kRejectReasonNames / reject_counter_name).
using RejectCounters = CounterSet<RejectReason, kRejectReasonCount>;
constexpr std::string_view reject_counter_name(RejectReason r) noexcept {
  return kRejectReasonNames[static_cast<std::size_t>(r)];
}

struct GatewayStats {
  Counter orders = 0;          // order messages received
  Counter accepted = 0;        // passed the pre-trade checks and went to the venue
  Counter rejected = 0;        // failed a pre-trade check (by reason: rejects)
  Counter venue_rejected = 0;  // accepted, then rejected by the venue (rejects[Venue])
  Counter fills = 0;           // Fill reports (each partial fill counts)
  Counter cancel_requests = 0; // Cancel messages received
  Counter cancelled = 0;       // Cancel reports (orders cancelled at the venue)
  Counter cancel_unknown = 0;  // cancels that found no open order at the venue on arrival
  RejectCounters rejects;       // every Reject report by reason, pre-trade and venue
};

// Deterministic mode drains ring C only after the gateway has processed a market event's
// messages: what one message makes the simulated venue report is bounded (core/config/config.hpp).
static_assert(ExecRing::capacity() >= kMaxSimReportsPerMessage);

template <typename Venue>
class OrderGateway {
 public:
  // Start-up: allocates the pre-trade checks' fixed memory.
  OrderGateway(const RiskConfig& risk, Venue& venue, GatewayRing& in, ExecRing& out, WaitKind wait)
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

  // A venue that talks to the outside (FIX) reads and writes here; the gateway thread calls this
  // every time round its loop. True when something happened.
  bool poll() noexcept {
    if constexpr (kPolledVenue) {
      const bool progress = venue_.poll(emit_);
      if (end_pending_ && venue_.shutdown_complete()) {
        end_pending_ = false;
        acknowledge_end_of_data();
      }
      return progress;
    } else {
      return false;
    }
  }

  void process(const GatewayMsg& m) noexcept {
    auto& emit = emit_;
    switch (m.kind) {
      case GatewayMsgKind::Order: {
        ++stats_.orders;
        // t4: the order is taken (measured orders only: those a stamped market event caused).
        const bool measured = latency_ != nullptr && m.order.tsc_origin != 0;
        const uint32_t taken = measured ? ride_stamp(tsc_now()) : 0;
        if (measured) latency_->to_gateway.record(elapsed_ns32(m.order.tsc_decision, taken));
        const RejectReason why = checks_.check(m.order);
        if (why != RejectReason::None) {
          ++stats_.rejected;
          stats_.rejects.inc(why);
          ExecReport r{};
          r.client_order_id = m.order.client_order_id;
          r.ts_ns = m.order.decision_ts_ns;
          r.symbol_id = m.order.symbol_id;
          r.side = m.order.side;
          r.kind = ExecKind::Reject;
          r.reason = why;
          r.last = true;
          report(r);
          return;
        }
        ++stats_.accepted;
        if (measured) {
          // t5: handed to the venue adapter.
          const uint32_t handed = ride_stamp(tsc_now());
          latency_->gateway.record(elapsed_ns32(taken, handed));
          latency_->tick_to_trade.record(elapsed_ns32(m.order.tsc_origin, handed));
        }
        venue_.submit(m.order, emit);
        return;
      }
      case GatewayMsgKind::Cancel:
        ++stats_.cancel_requests;
        if (venue_.cancel(m.cancel, emit) == Venue::CancelResult::Unknown) ++stats_.cancel_unknown;
        return;
      case GatewayMsgKind::BookTop:
        venue_.on_book_top(m.book, emit);
        return;
      case GatewayMsgKind::BookLevel:
        if constexpr (requires { venue_.on_book_level(m.level, emit); }) venue_.on_book_level(m.level, emit);
        return;
      case GatewayMsgKind::Trade:
        if constexpr (requires { venue_.on_trade(m.trade, emit); }) venue_.on_trade(m.trade, emit);
        return;
      case GatewayMsgKind::State:
        checks_.set_state(m.state.state);
        return;
      case GatewayMsgKind::EndOfData:
        if constexpr (kPolledVenue) {
          // Acknowledged by poll() once the venue's open orders are done and its session closed.
          venue_.begin_shutdown();
          end_pending_ = true;
        } else {
          acknowledge_end_of_data();
        }
        return;
    }
  }

  // Records the gateway thread's latency stages (to_gateway, gateway, tick_to_trade) of stamped
  // orders; null (the default): off. Set before the first message.
  void set_latency(PipelineLatency* latency) noexcept { latency_ = latency; }
  // The strategy sleeps on `wake` when its rings are empty (WaitKind::Blocking): notified after
  // every report. Null (the default): the strategy polls.
  void set_strategy_wake(EventCount* wake) noexcept { strategy_wake_ = wake; }

  bool end_of_data() const noexcept { return end_of_data_; }
  Venue& venue() noexcept { return venue_; }
  const Venue& venue() const noexcept { return venue_; }
  const GatewayStats& stats() const noexcept { return stats_; }
  const PreTradeChecks& checks() const noexcept { return checks_; }

 private:
  static constexpr bool kPolledVenue = requires(Venue& v) {
    v.poll([](const ExecReport&) noexcept {});
    v.begin_shutdown();
    { v.shutdown_complete() } -> std::same_as<bool>;
  };

  // Every report the venue emits is about an order this gateway accepted; its last report frees
  // that order's place under max_open_orders.
  struct Emit {
    OrderGateway& g;
    void operator()(const ExecReport& r) const noexcept {
      switch (r.kind) {
        case ExecKind::Fill: ++g.stats_.fills; break;
        case ExecKind::Cancel: ++g.stats_.cancelled; break;
        case ExecKind::Reject:
          ++g.stats_.venue_rejected;
          g.stats_.rejects.inc(r.reason);
          break;
        case ExecKind::EndOfData: break;
      }
      if (r.last) g.checks_.on_order_finished();
      g.report(r);
    }
  };

  void acknowledge_end_of_data() noexcept {
    ExecReport r{};
    r.kind = ExecKind::EndOfData;
    r.last = true;
    report(r);
    end_of_data_ = true;
  }
  void report(const ExecReport& r) noexcept { push_wait(out_, r, wait_, strategy_wake_); }

  PreTradeChecks checks_;
  Venue& venue_;
  GatewayRing& in_;
  ExecRing& out_;
  WaitKind wait_;
  GatewayStats stats_;
  bool end_of_data_ = false;
  bool end_pending_ = false;  // polled venue: end of data received, not yet acknowledged
  Emit emit_{*this};
  PipelineLatency* latency_ = nullptr;
  EventCount* strategy_wake_ = nullptr;
};

}  // namespace tp
