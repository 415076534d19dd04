// EngineOps: the engine as the operations side sees it (ops/engine_view.hpp), over the parts of a
// running pipeline - what the stages publish (Counters, the strategy's Seqlock snapshots,
// heartbeats, latency histograms), the control queue for admin commands, and the event log. Built
// by the engine runner for a live session or a paced replay; everything it reads may be read while
// the stages run.
#pragma once

#include <atomic>
#include <string>
#include <string_view>

#include "core/config/config.hpp"
#include "core/journal/journal.hpp"
#include "core/telemetry/event_log.hpp"
#include "core/telemetry/stage_heartbeat.hpp"
#include "core/telemetry/strategy_telemetry.hpp"
#include "core/threads/control_queue.hpp"
#include "core/threads/rings.hpp"
#include "exec/fix/fix_venue.hpp"
#include "core/timing/pipeline_latency.hpp"
#include "core/types/symbol_table.hpp"
#include "exec/order_gateway.hpp"
#include "feed/book/book_feed.hpp"
#include "feed/decode_stats.hpp"
#include "feed/live/live_feed_group.hpp"
#include "feed/live/overlap_filter.hpp"
#include "feed/normalizer_stats.hpp"
#include "ops/cluster/cluster_link.hpp"
#include "ops/cluster/cluster_status.hpp"
#include "ops/engine_view.hpp"
#include "ops/ops_monitor.hpp"

namespace tp {

struct EngineParts {
  const Config& cfg;
  const SymbolTable& symbols;
  const StrategyTelemetry& strategy;
  const feed::NormalizerStats& normalizer;
  const GatewayStats& gateway;
  const feed::OverlapFilter* overlap = nullptr;
  const PipelineLatency* latency = nullptr;        // null: not measured
  const EventRing& ring_a;
  const GatewayRing& ring_b;
  const ExecRing& ring_c;
  const JournalRing& ring_d;
  const JournalWriter& journal;
  const StageHeartbeats& heartbeats;
  ControlQueue& control;
  EventLog& log;
  const fix::FixVenue* fix = nullptr;  // [exec] venue = "fix": its session and counters
  const feed::BookFeedBase* books = nullptr;  // [book]: the feed's order books and their counters
  bool journal_resumed = false;  // --resume: the journal goes on (its stream too, [cluster])
};

class EngineOps final : public ops::EngineView {
 public:
  explicit EngineOps(const EngineParts& parts);

  void set_stopping() noexcept { stopping_.store(true, std::memory_order_release); }
  // The byte source, once it exists (the endpoint may already be answering): its framing counters
  // and, live, its connections (null: a replay).
  void attach_source(const feed::DecodeStats* decode, const feed::LiveFeedGroup* live) noexcept {
    decode_.store(decode, std::memory_order_release);
    live_.store(live, std::memory_order_release);
    live_session_.store(live != nullptr, std::memory_order_release);
  }

  const StageHeartbeats& heartbeats() const override { return p_.heartbeats; }
  ops::HealthFacts health_facts() const override;
  void metrics(ops::PrometheusText& out) const override;
  std::string state_json() const override;
  ops::AdminResult admin(ops::AdminAction action, std::string_view remote_addr) override;
  bool cluster_command(ops::AdminAction action) override;
  // The cluster link's status, once it exists ([cluster]); read by /health, /metrics.
  void attach_cluster(const ops::ClusterStatus* status) noexcept { cluster_.store(status, std::memory_order_release); }
  EventLog& log() override { return p_.log; }

 private:
  const feed::LiveFeedGroup* live() const noexcept { return live_.load(std::memory_order_acquire); }
  const feed::DecodeStats* decode() const noexcept { return decode_.load(std::memory_order_acquire); }
  // Receive-clock "now" for the watchdog: the wall clock in a live session; in a paced replay the
  // last event's receive time plus the wall time since it was published.
  int64_t receive_now_ns(const StrategyTotals& t) const noexcept;

  EngineParts p_;
  std::atomic<const feed::DecodeStats*> decode_{nullptr};
  std::atomic<const feed::LiveFeedGroup*> live_{nullptr};
  std::atomic<bool> live_session_{false};
  std::atomic<const ops::ClusterStatus*> cluster_{nullptr};
  std::atomic<bool> stopping_{false};
  const int64_t start_wall_ns_;
};

// The operations side of one run: the monitor thread always, and the HTTP endpoint when the
// configuration has [ops]. Started once the stages' outputs exist; stopped (joined) by stop() or
// the destructor, after the stages.
class OpsRuntime {
 public:
  // `endpoint`: makes the HTTP endpoint, started when the configuration has [ops] (null: a
  // configuration with [ops] is an error). Throws std::runtime_error when it cannot listen.
  OpsRuntime(const EngineParts& parts, ops::EndpointFactory endpoint);
  ~OpsRuntime();
  // The stages run: systemd hears READY=1.
  void running();
  // The run is ending (a stop signal, --duration, the end of the captures): /ready turns 503 and
  // systemd hears STOPPING=1.
  void stopping();
  void stop();
  uint16_t port() const noexcept { return endpoint_ ? endpoint_->port() : 0; }
  void attach_source(const feed::DecodeStats* decode, const feed::LiveFeedGroup* live) noexcept {
    view_.attach_source(decode, live);
  }

 private:
  EngineOps view_;
  ops::OpsMonitor monitor_;
  std::unique_ptr<ops::ClusterLink> cluster_;  // [cluster]
  std::unique_ptr<ops::Endpoint> endpoint_;
  bool stopped_ = false;
};

// One log line for the journal records an operator cares about (state changes, rejects, commands,
// day rollovers; orders and fills at debug). `post`: queue it (the calling thread is the feed
// thread, deterministic mode) instead of writing it now.
void log_journal_record(EventLog& log, const JournalRecord& r, const SymbolTable& symbols, bool post) noexcept;

}  // namespace tp
