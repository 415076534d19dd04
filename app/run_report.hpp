// What a run produced, gathered off the hot path after the stages have stopped; printed as text
// on stdout and written as JSON with --report (SPEC §7).
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "app/latency_report.hpp"
#include "core/types/orders.hpp"
#include "core/strategy/position_book.hpp"
#include "core/strategy/strategy.hpp"
#include "exec/fix/fix_venue.hpp"
#include "exec/order_gateway.hpp"
#include "exec/sim_venue.hpp"
#include "feed/book/book_feed.hpp"
#include "feed/decode_stats.hpp"
#include "feed/live/live_feed.hpp"
#include "feed/normalizer_stats.hpp"

namespace tp {

struct SymbolReport {
  std::string name;
  bool stale_at_end = false;  // the watchdog: no book top for stale_after_ms at the last event
  Position position;
  Fixed mark = 0;
  Fixed unrealized = 0;
  SymbolStrategyStats stats;
  std::optional<feed::BookCounters> book;          // [book]: the feed's order book of this symbol
  std::optional<SimVenue::Slippage> slippage;      // [sim] fill_model = "book": taker fills vs the touch
};

// What a live session's connection did (tickpipe live).
struct LiveReport {
  std::string url;
  feed::LiveFeedStats stats;
  std::string last_error;      // the last connection problem ("" when none)
  bool duration_reached = false;
  std::size_t connections = 1;  // the subscription spread over this many connections (SPEC 10.7)
  // [book] (docs/order-book.md): Binance REST depth snapshots fetched and failed tries, and the
  // Coinbase level2 resubscriptions of lost books.
  uint64_t snapshot_fetches = 0;
  uint64_t snapshot_fetch_failures = 0;
  std::string snapshot_last_error;
  uint64_t book_resubscribes = 0;
};

// What the FIX 4.4 session did ([exec] venue = "fix").
struct FixReport {
  fix::FixSessionStats session;
  fix::FramerStats framer;
  fix::FixVenueStats venue;
  std::string state;          // the session's state at the end ("stopped" after a clean logout)
  std::string last_error;     // why the last connection ended ("" when none did)
  uint64_t next_sender_seq = 0;
  uint64_t next_target_seq = 0;
  std::size_t open_orders = 0;  // held at the end: their final reports never came
  std::string store_path;
};

struct RunReport {
  std::string mode;
  int64_t book_levels = 0;  // [book]: capacity per side (0: no book)
  std::vector<std::string> captures;
  std::string config_path;
  std::string journal_path;
  uint64_t journal_records = 0;
  uint64_t resumed_records = 0;  // --resume: records reproduced from the existing journal
  uint64_t events = 0;
  uint64_t fills = 0;
  uint64_t fills_overtaken = 0;  // fills that reached the strategy after a later market event (threaded)
  uint64_t open_orders_at_end = 0;
  int64_t engine_clock_ns = 0;
  TradingState final_state = TradingState::Active;
  std::vector<StateChange> state_history;
  uint64_t state_changes = 0;  // may exceed state_history.size() (the history is bounded)
  Fixed day_pnl = 0;
  Fixed max_drawdown = 0;      // of the whole book's equity
  double wall_seconds = 0;
  // Empty: the run read every capture to its end. Otherwise the signal that stopped it ("SIGTERM").
  std::string interrupted_by;
  feed::DecodeStats decode;
  feed::NormalizerStats normalize;
  GatewayStats gateway;
  std::vector<SymbolReport> symbols;
  std::vector<std::string> warnings;
  std::optional<LatencyReport> latency;
  std::optional<LiveReport> live;  // tickpipe live
  std::optional<FixReport> fix;    // tickpipe live with [exec] venue = "fix"
  uint64_t overlap_dropped = 0;    // events dropped as repeats of a connection switch's overlap  // when the run was measured (replay --latency, bench)
};

void print_report(const RunReport& r, std::ostream& out);
// Throws std::runtime_error when the file cannot be written.
void write_report_json(const RunReport& r, const std::string& path);

}  // namespace tp
