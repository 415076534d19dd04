#include "app/engine_ops.hpp"

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/timing/wall_clock.hpp"
#include "core/types/decimal.hpp"

namespace tp {

using nlohmann::json;

EngineOps::EngineOps(const EngineParts& parts) : p_(parts), start_wall_ns_(realtime_ns()) {}

int64_t EngineOps::receive_now_ns(const StrategyTotals& t) const noexcept {
  const int64_t wall = realtime_ns();
  if (live_session_.load(std::memory_order_acquire) || t.published_wall_ns == 0) return wall;
  return t.last_receive_ns + (wall - t.published_wall_ns);
}

namespace {
// SPEC 10.5: no book top for stale_after_ms (after a first one), or an order book lost to a gap or
// a crossed book until the resynchronised book's first top.
bool symbol_stale(const StrategyTotals& t, const SymbolFigures& s, int64_t now) noexcept {
  if (s.book_lost) return true;
  return t.stale_after_ns > 0 && s.last_top_recv_ns != 0 && now - s.last_top_recv_ns > t.stale_after_ns;
}
}  // namespace

ops::HealthFacts EngineOps::health_facts() const {
  ops::HealthFacts f;
  const StrategyTotals t = p_.strategy.totals().read();
  f.started = t.market_events > 0;
  f.stopping = stopping_.load(std::memory_order_acquire);
  f.state = trading_state_name(t.state);
  if (t.state_ever_changed) f.state_reason = state_reason_name(t.state_reason);
  {
    const int64_t now = receive_now_ns(t);
    for (SymbolId id = 0; id < p_.symbols.size(); ++id) {
      const SymbolFigures s = p_.strategy.symbol(id).read();
      if (!symbol_stale(t, s, now)) continue;
      f.stale.push_back({std::string(p_.symbols.name(id)),
                         s.last_top_recv_ns == 0 ? 0 : (now - s.last_top_recv_ns) / 1'000'000});
    }
  }
  if (const feed::LiveFeedGroup* live = this->live(); live != nullptr) {
    const feed::LiveFeedStats ls = live->stats();
    f.has_feed_connections = true;
    f.feed_connections = live->size();
    f.feed_connections_open = ls.connections_open;
  }
  if (p_.fix != nullptr) {
    f.has_fix_session = true;
    f.fix_state = fix::fix_session_state_name(p_.fix->session().state());
  }
  if (const ops::ClusterStatus* c = cluster_.load(std::memory_order_acquire); c != nullptr) {
    f.has_cluster = true;
    f.cluster = ops::cluster_link_state_name(c->link.load(std::memory_order_acquire));
    f.cluster_fail_closed = c->fail_closed.load(std::memory_order_acquire);
  }
  return f;
}

namespace {

// Decode counters that mean bytes or messages were lost (the rest describe traffic).
bool is_loss(feed::DecodeCounter c) {
  using C = feed::DecodeCounter;
  switch (c) {
    case C::truncated_packet: case C::truncated_file: case C::corrupt_file: case C::unsupported_link_type:
    case C::malformed_packet: case C::ipv6_extension_unsupported: case C::ip_fragment_dropped:
    case C::tcp_connection_limit: case C::tcp_gap: case C::ws_bad_handshake: case C::ws_protocol_error:
    case C::ws_message_too_big: case C::ws_inflate_error: case C::ws_resync_impossible: case C::ws_truncated_at_end:
      return true;
    default:
      return false;
  }
}

double fixed_to_double(Fixed v) { return static_cast<double>(v) / 1e8; }

}  // namespace

void EngineOps::metrics(ops::PrometheusText& out) const {
  using feed::DecodeCounter;
  const StrategyTotals t = p_.strategy.totals().read();
  const feed::DecodeStats* decode = this->decode();

  out.gauge("tickpipe_start_time_seconds", "When this engine started, in seconds since the Unix epoch.");
  out.sample(static_cast<double>(start_wall_ns_) / 1e9);

  out.counter("tickpipe_feed_messages_total", "Venue messages normalized, by message type.");
  const auto names = p_.normalizer.by_type.names();
  for (std::size_t i = 0; i < names.size(); ++i) out.sample({{"type", names[i]}}, p_.normalizer.by_type[i]);

  out.counter("tickpipe_feed_dropped_total", "Messages or bytes the feed lost or refused, by reason.");
  for (std::size_t i = 0; i < feed::kDropReasonCount; ++i)
    out.sample({{"reason", feed::kDropReasonNames[i]}}, p_.normalizer.drops[static_cast<feed::DropReason>(i)]);
  if (decode != nullptr) {
    for (std::size_t i = 0; i < feed::kDecodeCounterCount; ++i) {
      const auto c = static_cast<DecodeCounter>(i);
      if (is_loss(c)) out.sample({{"reason", feed::decode_counter_name(c)}}, (*decode)[c]);
    }
  }
  if (p_.overlap != nullptr) out.sample({{"reason", "overlap_duplicate"}}, p_.overlap->dropped());

  if (decode != nullptr) {
    out.counter("tickpipe_feed_decoder_total", "Framing and transport events of the feed's decoder, by counter.");
    for (std::size_t i = 0; i < feed::kDecodeCounterCount; ++i) {
      const auto c = static_cast<DecodeCounter>(i);
      if (!is_loss(c) && c != DecodeCounter::bytes && c != DecodeCounter::packets)
        out.sample({{"counter", feed::decode_counter_name(c)}}, (*decode)[c]);
    }
    out.counter("tickpipe_feed_packets_total", "Packets (capture) or socket reads (live) the feed decoded.");
    out.sample((*decode)[DecodeCounter::packets]);
    out.counter("tickpipe_feed_bytes_total", "Bytes the feed decoded.");
    out.sample((*decode)[DecodeCounter::bytes]);
  }

  if (const feed::LiveFeedGroup* live = this->live(); live != nullptr) {
    const feed::LiveFeedStats ls = live->stats();
    const uint64_t conns = live->size();
    out.gauge("tickpipe_feed_connections", "WebSocket connections the subscription is spread over.");
    out.sample(conns);
    out.gauge("tickpipe_feed_connections_open", "Of those, connected now.");
    out.sample(ls.connections_open.load());
    out.counter("tickpipe_feed_connects_total", "Connections that completed the WebSocket upgrade.");
    out.sample(ls.connects.load());
    out.counter("tickpipe_feed_reconnects_total", "Connects beyond the first of each connection.");
    out.sample(ls.connects > conns ? ls.connects - conns : uint64_t{0});
    out.counter("tickpipe_feed_disconnects_total", "Open connections that ended.");
    out.sample(ls.disconnects.load());
    out.counter("tickpipe_feed_connect_failures_total", "Connection attempts that failed.");
    out.sample(ls.connect_failures.load());
    out.counter("tickpipe_feed_silence_timeouts_total", "Connections dropped for silence (live.stale_after_ms).");
    out.sample(ls.silence_timeouts.load());
  }

  if (p_.fix != nullptr) {
    const fix::FixSessionStats& fs = p_.fix->session().stats();
    const fix::FixVenueStats& fv = p_.fix->stats();
    const fix::FixSessionState st = p_.fix->session().state();
    out.gauge("tickpipe_fix_logged_on", "1 while the FIX session is logged on.");
    out.sample(uint64_t{st == fix::FixSessionState::LoggedOn ? 1u : 0u});
    out.counter("tickpipe_fix_logons_total", "Logons the acceptor answered.");
    out.sample(fs.logons.load());
    out.counter("tickpipe_fix_disconnects_total", "FIX connections that ended after they were established.");
    out.sample(fs.disconnects.load());
    out.counter("tickpipe_fix_connect_failures_total", "FIX connection attempts that failed.");
    out.sample(fs.connect_failures.load());
    out.counter("tickpipe_fix_messages_total", "FIX messages by direction.");
    out.sample({{"direction", "in"}}, fs.messages_in.load());
    out.sample({{"direction", "out"}}, fs.messages_out.load());
    out.counter("tickpipe_fix_resend_requests_total", "ResendRequests by direction (in: answered with a gap fill).");
    out.sample({{"direction", "in"}}, fs.resend_requests_in.load());
    out.sample({{"direction", "out"}}, fs.resend_requests_out.load());
    out.counter("tickpipe_fix_test_request_timeouts_total", "Connections dropped after an unanswered TestRequest.");
    out.sample(fs.test_request_timeouts.load());
    out.counter("tickpipe_fix_garbled_total", "FIX messages ignored: bad checksum, bad length or unparsable.");
    out.sample(fs.garbled.load() + p_.fix->session().framer_stats().bad_checksum.load() +
               p_.fix->session().framer_stats().bad_length.load());
    out.counter("tickpipe_fix_seq_too_low_total", "Messages below the expected MsgSeqNum without PossDup (logged out).");
    out.sample(fs.seq_too_low.load());
    out.counter("tickpipe_fix_orders_total", "Orders by what happened to them at the FIX venue.");
    out.sample({{"what", "sent"}}, fv.orders_sent.load());
    out.sample({{"what", "refused_not_logged_on"}}, fv.rejected_not_logged_on.load());
    out.counter("tickpipe_fix_cancels_sent_total", "OrderCancelRequests sent.");
    out.sample(fv.cancels_sent.load());
    out.counter("tickpipe_fix_status_requests_total", "OrderStatusRequests sent after a reconnect or a gap fill.");
    out.sample(fv.status_requests_sent.load());
    out.counter("tickpipe_fix_fills_total", "Trade reports applied.");
    out.sample(fv.fills.load());
    out.counter("tickpipe_fix_duplicate_reports_total", "Trade reports recognised as already applied.");
    out.sample(fv.duplicate_reports.load());
  }

  out.counter("tickpipe_market_events_total", "Market events the strategy processed.");
  out.sample(t.market_events);
  out.gauge("tickpipe_trading_state", "1 for the current trading state (SPEC 5), 0 for the others.");
  for (const TradingState s : {TradingState::Active, TradingState::Reducing, TradingState::Halted})
    out.sample({{"state", trading_state_name(s)}}, uint64_t{t.state == s ? 1u : 0u});
  out.gauge("tickpipe_day_pnl", "Day P&L in the quote currency (SPEC 5).");
  out.sample(fixed_to_double(t.day_pnl));
  out.gauge("tickpipe_open_orders", "Orders sent and not yet finished.");
  out.sample(t.open_orders);

  out.counter("tickpipe_orders_total", "Orders the gateway received from the strategy.");
  out.sample(p_.gateway.orders.load());
  out.counter("tickpipe_fills_total", "Fill reports (each partial fill counts).");
  out.sample(p_.gateway.fills.load());
  out.counter("tickpipe_rejects_total", "Rejected orders, by reason (pre-trade checks and the venue).");
  for (std::size_t i = 1; i < kRejectReasonCount; ++i)  // 0 is "none", never counted
    out.sample({{"reason", kRejectReasonNames[i]}}, p_.gateway.rejects.values[i].load());

  // Per symbol, from the strategy's snapshots.
  std::vector<SymbolFigures> figs(p_.symbols.size());
  for (SymbolId id = 0; id < p_.symbols.size(); ++id) figs[id] = p_.strategy.symbol(id).read();
  const int64_t now = receive_now_ns(t);
  auto per_symbol = [&](auto&& value) {
    for (SymbolId id = 0; id < p_.symbols.size(); ++id) value(std::string_view(p_.symbols.name(id)), figs[id]);
  };
  out.gauge("tickpipe_position_quantity", "Signed position in the base asset (long > 0).");
  per_symbol([&](std::string_view n, const SymbolFigures& f) { out.sample({{"symbol", n}}, fixed_to_double(f.position.qty)); });
  out.gauge("tickpipe_realized_pnl", "Realized P&L less fees, in the quote currency.");
  per_symbol([&](std::string_view n, const SymbolFigures& f) {
    out.sample({{"symbol", n}}, fixed_to_double(f.position.realized - f.position.fees));
  });
  out.gauge("tickpipe_unrealized_pnl", "Unrealized P&L at the mark, in the quote currency.");
  per_symbol([&](std::string_view n, const SymbolFigures& f) { out.sample({{"symbol", n}}, fixed_to_double(f.unrealized)); });
  out.gauge("tickpipe_mark_price", "The price positions are marked at (0 before the first).");
  per_symbol([&](std::string_view n, const SymbolFigures& f) { out.sample({{"symbol", n}}, fixed_to_double(f.mark)); });
  out.gauge("tickpipe_symbol_stale",
            "1 while the symbol has had no book top for live.stale_after_ms, or its order book is lost (SPEC 10.5).");
  per_symbol([&](std::string_view n, const SymbolFigures& f) {
    out.sample({{"symbol", n}}, uint64_t{symbol_stale(t, f, now) ? 1u : 0u});
  });
  out.counter("tickpipe_stale_episodes_total", "Times a book top ended a stale spell of the symbol.");
  per_symbol([&](std::string_view n, const SymbolFigures& f) { out.sample({{"symbol", n}}, f.stale_episodes); });
  out.counter("tickpipe_symbol_orders_total", "Orders the strategy sent for the symbol.");
  per_symbol([&](std::string_view n, const SymbolFigures& f) { out.sample({{"symbol", n}}, f.orders); });
  out.counter("tickpipe_symbol_fills_total", "Fills applied to the symbol's position.");
  per_symbol([&](std::string_view n, const SymbolFigures& f) { out.sample({{"symbol", n}}, f.position.fills); });

  if (const feed::BookFeedBase* books = p_.books) {
    // The feed thread's counters of each symbol's order book (relaxed reads: each is exact, a set of
    // them may straddle one depth message).
    auto per_book = [&](auto&& value) {
      for (SymbolId id = 0; id < p_.symbols.size(); ++id)
        value(std::string_view(p_.symbols.name(id)), books->counters(id));
    };
    using feed::BookCounters;
    out.gauge("tickpipe_book_valid", "1 while the symbol's order book is in step with the venue (docs/order-book.md).");
    per_book([&](std::string_view n, const BookCounters& b) { out.sample({{"symbol", n}}, b.valid.load()); });
    out.gauge("tickpipe_book_levels", "Price levels on each side of the symbol's order book.");
    per_book([&](std::string_view n, const BookCounters& b) {
      out.sample({{"symbol", n}, {"side", "bid"}}, b.bid_levels.load());
      out.sample({{"symbol", n}, {"side", "ask"}}, b.ask_levels.load());
    });
    out.counter("tickpipe_book_gaps_total", "Depth updates that did not continue the symbol's update-id chain: the book was lost.");
    per_book([&](std::string_view n, const BookCounters& b) { out.sample({{"symbol", n}}, b.gaps.load()); });
    out.counter("tickpipe_book_crossed_total", "Times the symbol's book crossed (best bid >= best ask): the book was lost.");
    per_book([&](std::string_view n, const BookCounters& b) { out.sample({{"symbol", n}}, b.crossed.load()); });
    out.counter("tickpipe_book_resyncs_total", "Times a lost book was loaded again from a snapshot.");
    per_book([&](std::string_view n, const BookCounters& b) { out.sample({{"symbol", n}}, b.resyncs.load()); });
    out.counter("tickpipe_book_top_mismatches_total",
                "Ticker tops at the book's own update id that showed another top: the book was lost.");
    per_book([&](std::string_view n, const BookCounters& b) { out.sample({{"symbol", n}}, b.top_mismatches.load()); });
    out.counter("tickpipe_book_snapshots_total", "Depth snapshots loaded into the symbol's book.");
    per_book([&](std::string_view n, const BookCounters& b) { out.sample({{"symbol", n}}, b.snapshots_loaded.load()); });
    out.counter("tickpipe_book_diffs_total", "Depth updates by what the book did with them.");
    per_book([&](std::string_view n, const BookCounters& b) {
      out.sample({{"symbol", n}, {"outcome", "applied"}}, b.diffs_applied.load());
      out.sample({{"symbol", n}, {"outcome", "duplicate"}}, b.diffs_duplicate.load());
      out.sample({{"symbol", n}, {"outcome", "discarded"}}, b.diffs_discarded.load());
    });
    out.counter("tickpipe_book_levels_dropped_total", "Levels the book's fixed capacity (book.levels) could not hold.");
    per_book([&](std::string_view n, const BookCounters& b) { out.sample({{"symbol", n}}, b.levels_dropped.load()); });
  }

  out.gauge("tickpipe_ring_occupancy", "Messages waiting in each ring between the stages.");
  out.sample({{"ring", "market_events"}}, uint64_t{p_.ring_a.size()});
  out.sample({{"ring", "orders"}}, uint64_t{p_.ring_b.size()});
  out.sample({{"ring", "exec_reports"}}, uint64_t{p_.ring_c.size()});
  out.sample({{"ring", "journal"}}, uint64_t{p_.ring_d.size()});
  out.gauge("tickpipe_ring_capacity", "Each ring's capacity.");
  out.sample({{"ring", "market_events"}}, uint64_t{EventRing::capacity()});
  out.sample({{"ring", "orders"}}, uint64_t{GatewayRing::capacity()});
  out.sample({{"ring", "exec_reports"}}, uint64_t{ExecRing::capacity()});
  out.sample({{"ring", "journal"}}, uint64_t{JournalRing::capacity()});

  out.counter("tickpipe_journal_records_total", "Records written to the journal.");
  out.sample(p_.journal.records());

  if (p_.latency != nullptr) {
    out.histogram("tickpipe_stage_latency_seconds",
                  "Per-stage latency: decode (bytes to event), to_strategy, strategy, to_gateway, gateway, and"
                  " tick_to_trade (bytes to order handed to the venue).");
    const std::pair<const char*, const LatencyHistogram*> stages[] = {
        {"decode", &p_.latency->decode},         {"to_strategy", &p_.latency->to_strategy},
        {"strategy", &p_.latency->strategy},     {"to_gateway", &p_.latency->to_gateway},
        {"gateway", &p_.latency->gateway},       {"tick_to_trade", &p_.latency->tick_to_trade}};
    for (const auto& [name, h] : stages) out.histogram_sample({{"stage", name}}, h->snapshot());
  }

  if (const ops::ClusterStatus* c = cluster_.load(std::memory_order_acquire); c != nullptr) {
    const auto link = c->link.load(std::memory_order_acquire);
    out.gauge("tickpipe_cluster_up", "1 while the link to the cluster's Redis is up (SPEC 13).");
    out.sample(static_cast<uint64_t>(link == ops::ClusterLinkState::Up ? 1 : 0));
    out.gauge("tickpipe_cluster_fail_closed", "1 while REDUCING because Redis was unreachable for fail_closed_after_ms.");
    out.sample(static_cast<uint64_t>(c->fail_closed.load(std::memory_order_acquire) ? 1 : 0));
    out.counter("tickpipe_cluster_connects_total", "Connections to Redis made, and attempts that failed.");
    out.sample({{"result", "ok"}}, c->connects.load(std::memory_order_relaxed));
    out.sample({{"result", "failed"}}, c->connect_failures.load(std::memory_order_relaxed));
    out.counter("tickpipe_cluster_stream_records_total",
                "Journal records this run added to the instance's Redis Stream, and ones already there.");
    out.sample({{"result", "added"}}, c->records_streamed.load(std::memory_order_relaxed));
    out.sample({{"result", "already_there"}}, c->records_skipped.load(std::memory_order_relaxed));
    const uint64_t lines = c->journal_lines.load(std::memory_order_relaxed);
    const uint64_t acked = c->stream_acked.load(std::memory_order_relaxed);
    out.gauge("tickpipe_cluster_stream_lag_records", "Journal records read from the file and not yet in the stream.");
    out.sample(lines > acked ? lines - acked : uint64_t{0});
    out.gauge("tickpipe_cluster_firm_day_pnl", "The firm-wide day P&L (sum over live instances) at the last heartbeat.");
    out.sample_fixed({}, c->firm_day_pnl_raw.load(std::memory_order_relaxed));
    out.gauge("tickpipe_cluster_live_instances", "Instances whose heartbeat the firm sum counted.");
    out.sample(c->firm_live_instances.load(std::memory_order_relaxed));
    out.counter("tickpipe_cluster_firm_commands_total", "Firm states acted on, and operator commands refused (bad signature).");
    out.sample({{"result", "applied"}}, c->firm_commands_applied.load(std::memory_order_relaxed));
    out.sample({{"result", "refused"}}, c->firm_commands_refused.load(std::memory_order_relaxed));
  }
}

std::string EngineOps::state_json() const {
  const StrategyTotals t = p_.strategy.totals().read();
  const int64_t now = receive_now_ns(t);
  json j;
  j["state"] = trading_state_name(t.state);
  j["state_reason"] = t.state_ever_changed ? json(state_reason_name(t.state_reason)) : json(nullptr);
  j["day_pnl"] = to_string_fixed(t.day_pnl);
  j["max_drawdown"] = to_string_fixed(t.max_drawdown);
  j["engine_clock_ns"] = t.clock_ns;
  j["last_receive_ns"] = t.last_receive_ns;
  j["published_ns"] = t.published_wall_ns;
  j["market_events"] = t.market_events;
  j["fills"] = t.fills;
  json positions = json::array();
  for (SymbolId id = 0; id < p_.symbols.size(); ++id) {
    const SymbolFigures f = p_.strategy.symbol(id).read();
    const bool stale = symbol_stale(t, f, now);
    positions.push_back({{"symbol", p_.symbols.name(id)},
                         {"qty", to_string_fixed(f.position.qty)},
                         {"entry_price", to_string_fixed(f.position.entry)},
                         {"mark", to_string_fixed(f.mark)},
                         {"realized_pnl", to_string_fixed(f.position.realized)},
                         {"fees", to_string_fixed(f.position.fees)},
                         {"unrealized_pnl", to_string_fixed(f.unrealized)},
                         {"fills", f.position.fills},
                         {"orders", f.orders},
                         {"rejects", f.rejects},
                         {"stale", stale},
                         {"last_book_top_ns", f.last_top_recv_ns}});
  }
  j["positions"] = std::move(positions);
  const OpenOrdersFigures o = p_.strategy.open_orders().read();
  json orders = json::array();
  for (uint64_t i = 0; i < o.shown; ++i) {
    const OpenOrderFigures& f = o.orders[i];
    orders.push_back({{"client_order_id", f.client_order_id},
                      {"symbol", p_.symbols.name(f.symbol_id)},
                      {"side", side_name(f.side)},
                      {"qty", to_string_fixed(f.qty)},
                      {"filled", to_string_fixed(f.filled)},
                      {"reason", order_reason_name(f.reason)},
                      {"level", f.level},
                      {"cancel_sent", f.cancel_sent}});
  }
  j["open_orders"] = std::move(orders);
  j["open_orders_total"] = o.total;
  if (const feed::LiveFeedGroup* live = this->live(); live != nullptr) {
    const feed::LiveFeedStats ls = live->stats();
    const uint64_t conns = live->size();
    j["feed"] = {{"connections", conns},
                 {"connections_open", ls.connections_open.load()},
                 {"connects", ls.connects.load()},
                 {"reconnects", ls.connects > conns ? ls.connects - conns : uint64_t{0}},
                 {"disconnects", ls.disconnects.load()}};
  }
  return j.dump();
}

namespace {
// An operator action as the command the strategy takes (SPEC 5): a halt flattens when `flatten_halt`.
ControlCommand command_for(ops::AdminAction action, CommandSource source, bool flatten_halt) {
  ControlCommand c;
  c.source = source;
  switch (action) {
    case ops::AdminAction::Reduce: c.state = TradingState::Reducing; break;
    case ops::AdminAction::Halt:
      c.state = TradingState::Halted;
      c.flatten = flatten_halt;
      break;
    case ops::AdminAction::Resume: c.state = TradingState::Active; break;
  }
  return c;
}

// SPEC 5: a halt by the daily loss limit holds for the rest of the day, whoever asks to resume.
bool resume_refused(ops::AdminAction action, const StrategyTotals& t) {
  return action == ops::AdminAction::Resume && t.state == TradingState::Halted &&
         t.state_reason == StateReason::LossLimit;
}
}  // namespace

bool EngineOps::cluster_command(ops::AdminAction action) {
  // SPEC 13: every instance halts and flattens, whatever risk.flatten_on_halt says.
  if (resume_refused(action, p_.strategy.totals().read())) return false;
  return p_.control.push(command_for(action, CommandSource::Cluster, /*flatten_halt=*/true));
}

ops::AdminResult EngineOps::admin(ops::AdminAction action, std::string_view remote_addr) {
  (void)remote_addr;
  const ControlCommand c = command_for(action, CommandSource::Admin, p_.cfg.risk.flatten_on_halt);
  const StrategyTotals before = p_.strategy.totals().read();
  if (resume_refused(action, before)) {
    return {409, R"j({"error":"the daily loss limit halted trading for the rest of the day (SPEC 5): resume is refused"})j"};
  }
  if (!p_.control.push(c)) return {503, R"({"error":"the control queue refused the command"})"};
  // The command is applied between market events; wait a little to answer with its effect.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (std::chrono::steady_clock::now() < until) {
    const StrategyTotals t = p_.strategy.totals().read();
    if (t.state == c.state && t.state_changes != before.state_changes) {
      return {200, json{{"state", trading_state_name(t.state)}, {"applied", true}}.dump()};
    }
    if (t.state == c.state && before.state == c.state) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const StrategyTotals t = p_.strategy.totals().read();
  if (t.state == c.state) return {200, json{{"state", trading_state_name(t.state)}, {"applied", true}}.dump()};
  return {202, json{{"state", trading_state_name(t.state)}, {"applied", false}, {"queued", admin_action_name(action)}}.dump()};
}

namespace {
std::string env_or_empty(const std::string& name) {
  if (name.empty()) return {};
  const char* v = std::getenv(name.c_str());
  return v == nullptr ? std::string() : std::string(v);
}
}  // namespace

OpsRuntime::OpsRuntime(const EngineParts& parts, ops::EndpointFactory endpoint)
    : view_(parts), monitor_(view_, parts.cfg.ops.stall_after_ms) {
  if (parts.cfg.cluster.present) {
    ops::ClusterLinkOptions o;
    o.cfg = parts.cfg.cluster;
    o.password = env_or_empty(parts.cfg.cluster.password_env);
    o.admin_token = env_or_empty(parts.cfg.ops.admin_token_env);
    o.journal_path = parts.journal.path();
    o.journal_fresh = !parts.journal_resumed;
    cluster_ = std::make_unique<ops::ClusterLink>(std::move(o), view_);
    view_.attach_cluster(&cluster_->status());
  }
  if (parts.cfg.ops.present && endpoint == nullptr)
    throw std::runtime_error("[ops]: this program was built without the HTTP endpoint");
  monitor_.start();
  if (parts.cfg.ops.present) {
    try {
      endpoint_ = endpoint(view_, monitor_.stalls(), parts.cfg.ops.admin_token_env);
      const uint16_t port = endpoint_->start(parts.cfg.ops.listen_host, parts.cfg.ops.listen_port);
      const char* token = std::getenv(parts.cfg.ops.admin_token_env.c_str());
      LogFields f;
      f.add("host", parts.cfg.ops.listen_host).add("port", static_cast<unsigned>(port));
      f.add("admin", parts.cfg.ops.admin_token_env.empty() || token == nullptr || *token == '\0' ? "off" : "on");
      parts.log.write(LogLevel::Info, "ops_listening", f);
    } catch (...) {
      monitor_.stop();
      throw;
    }
  }
}

OpsRuntime::~OpsRuntime() { stop(); }

void OpsRuntime::running() {
  // The journal has taken its place: the link streams it from its first line.
  if (cluster_) cluster_->start();
  monitor_.set_running("trading");
  LogFields f;
  view_.log().write(LogLevel::Info, "engine_running", f);
}

void OpsRuntime::stopping() {
  view_.set_stopping();
  monitor_.set_stopping();
  monitor_.systemd().stopping("stopping: cancelling open orders, flushing the journal");
}

void OpsRuntime::stop() {
  if (stopped_) return;
  stopped_ = true;
  view_.set_stopping();
  // The journal is complete: the link streams what is left of it, then a last heartbeat.
  if (cluster_) cluster_->stop();
  if (endpoint_) endpoint_->stop();
  monitor_.stop();
}

namespace {
// A fixed-point value as log text without allocating (the journal may be drained on the feed thread).
struct FixedText {
  char buf[kMaxFixedChars];
  std::size_t len;
  explicit FixedText(Fixed v) noexcept : len(format_fixed(v, buf)) {}
  std::string_view view() const noexcept { return {buf, len}; }
};

LogLevel level_of(const JournalRecord& r) noexcept {
  switch (r.kind) {
    case JournalKind::State:
      return r.to_state == TradingState::Halted ? LogLevel::Error
                                                : (r.to_state == TradingState::Reducing ? LogLevel::Warn : LogLevel::Info);
    case JournalKind::Reject: return LogLevel::Warn;
    case JournalKind::Command: case JournalKind::Day: return LogLevel::Info;
    default: return LogLevel::Debug;  // orders and fills (checkpoints and cancels are not logged)
  }
}
}  // namespace

void log_journal_record(EventLog& log, const JournalRecord& r, const SymbolTable& symbols, bool post) noexcept {
  const LogLevel level = level_of(r);
  if (!log.enabled(level)) return;
  LogFields f;
  const char* event = nullptr;
  switch (r.kind) {
    case JournalKind::State:
      event = "state_change";
      f.add("from", trading_state_name(r.from_state)).add("to", trading_state_name(r.to_state));
      f.add("reason", state_reason_name(r.state_reason));
      break;
    case JournalKind::Reject:
      event = "order_rejected";
      f.add("client_order_id", r.client_order_id).add("reason", reject_reason_name(r.reject_reason));
      break;
    case JournalKind::Command:
      event = "operator_command";
      f.add("to", trading_state_name(r.to_state)).add("flatten", r.flatten).add("source", command_source_name(r.command_source));
      break;
    case JournalKind::Day:
      event = "trading_day";  // a new trading day began (SPEC 5); day_pnl: the previous day's close
      f.add("day_pnl", FixedText(r.pnl).view());
      break;
    case JournalKind::Order:
      event = "order";
      f.add("client_order_id", r.client_order_id).add("symbol", symbols.name(r.symbol_id)).add("side", side_name(r.side));
      f.add("qty", FixedText(r.qty).view()).add("reason", order_reason_name(r.order_reason));
      break;
    case JournalKind::Fill:
      event = "fill";
      f.add("client_order_id", r.client_order_id).add("symbol", symbols.name(r.symbol_id));
      f.add("qty", FixedText(r.qty).view()).add("price", FixedText(r.price).view());
      break;
    default:
      return;
  }
  if (post) log.post(level, event, f);
  else log.write(level, event, f);
}

}  // namespace tp
