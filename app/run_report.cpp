#include "app/run_report.hpp"

#include <cstdio>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "app/version.hpp"
#include "core/types/printable.hpp"

namespace tp {

// A Counter in a JSON report is its number (found by ADL).
void to_json(nlohmann::json& j, const Counter& c) { j = c.load(); }

namespace {

std::string utc_time(int64_t ns) {
  if (ns <= 0) return "-";
  const std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%09lldZ", static_cast<long long>(ns % 1'000'000'000));
  return buf;
}

Fixed net_of(const SymbolReport& s) { return s.position.realized + s.unrealized - s.position.fees; }

struct Totals {
  Fixed realized = 0, unrealized = 0, fees = 0, net = 0;
  uint64_t fills = 0, profit_takes = 0, skips = 0, rejects = 0;
};

Totals totals_of(const RunReport& r) {
  Totals t;
  for (const auto& s : r.symbols) {
    t.realized += s.position.realized;
    t.unrealized += s.unrealized;
    t.fees += s.position.fees;
    t.net += net_of(s);
    t.fills += s.position.fills;
    t.profit_takes += s.stats.profit_takes;
    t.skips += s.stats.profit_take_skipped;
    t.rejects += s.stats.rejects;
  }
  return t;
}

template <typename Counters, typename Names>
void print_counters(std::ostream& out, const Counters& c, const Names& names, bool skip_zero) {
  bool any = false;
  for (std::size_t i = 0; i < std::size(names); ++i) {
    if (skip_zero && c.values[i] == 0) continue;
    out << "  " << std::left << std::setw(28) << names[i] << std::right << std::setw(12) << c.values[i] << "\n";
    any = true;
  }
  if (!any) out << "  (none)\n";
}

template <typename Counters, typename Names>
nlohmann::json counters_json(const Counters& c, const Names& names) {
  nlohmann::json j = nlohmann::json::object();
  for (std::size_t i = 0; i < std::size(names); ++i) j[std::string(names[i])] = c.values[i];
  return j;
}

}  // namespace

// Every piece of outside text (paths, symbol names from the configuration, samples of capture
// bytes, warnings that quote the OS) goes through printable(): no raw control byte reaches the
// terminal.
// Basis points of `part` in `whole` (display only: the report's money figures stay exact).
static double bps_of(Fixed part, Fixed whole) {
  return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole) * 10000.0;
}

// [book]: per symbol, what the feed's order book went through; and with the book fill model, what
// the taker fills paid beyond the touch (docs/order-book.md).
static void print_books(const RunReport& r, std::ostream& out) {
  if (r.book_levels == 0) return;
  out << "Order books (" << r.book_levels << " levels a side; a gap or a crossed book loses the book until a new snapshot)\n";
  out << std::left << std::setw(12) << "symbol" << std::right << std::setw(7) << "valid" << std::setw(7) << "bids"
      << std::setw(7) << "asks" << std::setw(11) << "snapshots" << std::setw(10) << "diffs" << std::setw(12)
      << "duplicates" << std::setw(11) << "discarded" << std::setw(6) << "gaps" << std::setw(9) << "crossed"
      << std::setw(9) << "resyncs" << std::setw(12) << "mismatches" << std::setw(9) << "dropped" << "\n";
  for (const auto& s : r.symbols) {
    if (!s.book) continue;
    const feed::BookCounters& b = *s.book;
    out << std::left << std::setw(12) << printable(s.name) << std::right << std::setw(7) << (b.valid.load() != 0 ? "yes" : "no")
        << std::setw(7) << b.bid_levels.load() << std::setw(7) << b.ask_levels.load() << std::setw(11)
        << b.snapshots_loaded.load() << std::setw(10) << b.diffs_applied.load() << std::setw(12) << b.diffs_duplicate.load()
        << std::setw(11) << b.diffs_discarded.load() << std::setw(6) << b.gaps.load() << std::setw(9) << b.crossed.load()
        << std::setw(9) << b.resyncs.load() << std::setw(12) << b.top_mismatches.load() << std::setw(9)
        << b.levels_dropped.load() << "\n";
  }
  for (const auto& s : r.symbols) {
    if (s.book && s.book->gaps.load() != 0)
      out << "  " << printable(s.name) << ": last gap: the chain expected update id " << s.book->last_gap_expected.load()
          << ", the venue sent " << s.book->last_gap_got.load() << "\n";
    if (s.book && s.book->snapshots_too_old.load() != 0)
      out << "  " << printable(s.name) << ": " << s.book->snapshots_too_old.load()
          << " snapshots older than the diffs buffered (a newer one is needed)\n";
  }
  bool any_slippage = false;
  for (const auto& s : r.symbols) any_slippage = any_slippage || s.slippage.has_value();
  if (any_slippage) {
    out << "Slippage versus the touch (book fill model: taker orders walk the book; the touch is the last book top when they took)\n";
    out << std::left << std::setw(12) << "symbol" << std::right << std::setw(16) << "taker qty" << std::setw(18)
        << "notional" << std::setw(8) << "fills" << std::setw(14) << "beyond touch" << std::setw(16) << "slippage"
        << std::setw(9) << "bps" << std::setw(15) << "IOC cancelled" << "\n";
    for (const auto& s : r.symbols) {
      if (!s.slippage) continue;
      const SimVenue::Slippage& sl = *s.slippage;
      out << std::left << std::setw(12) << printable(s.name) << std::right << std::setw(16) << to_string_fixed(sl.qty)
          << std::setw(18) << to_string_fixed(sl.notional) << std::setw(8) << sl.fills << std::setw(14)
          << sl.levels_beyond_touch << std::setw(16) << to_string_fixed(sl.cost) << std::setw(9) << std::fixed
          << std::setprecision(2) << bps_of(sl.cost, sl.notional) << std::defaultfloat << std::setw(15)
          << sl.ioc_cancelled << "\n";
    }
  }
  out << "\n";
}

void print_report(const RunReport& r, std::ostream& out) {
  const Totals t = totals_of(r);
  out << version_string() << (r.live ? " live (" : " replay (") << printable(r.mode) << " mode)\n";
  for (const auto& c : r.captures) out << "capture:  " << printable(c) << "\n";
  if (r.live) {
    const feed::LiveFeedStats& ls = r.live->stats;
    const uint64_t reconnects = ls.connects > r.live->connections ? ls.connects - r.live->connections : 0;
    out << "venue:    " << printable(r.live->url) << "\n";
    if (r.live->connections > 1)
      out << "          streams spread over " << r.live->connections << " connections (at most 1024 on one)\n";
    out << "          " << ls.connects << " connections (" << reconnects << " reconnects), " << ls.connect_failures << " failed attempts (" << ls.refused_upgrades
        << " upgrades refused), " << ls.disconnects << " disconnects (" << ls.silence_timeouts
        << " for silence), " << ls.subscribe_messages << " subscribe requests\n";
    if (ls.rotations != 0 || ls.server_shutdowns != 0)
      out << "          " << ls.server_shutdowns << " planned closes announced, " << ls.rotations
          << " switched make-before-break, " << r.overlap_dropped << " repeated events dropped\n";
    if (r.fills_overtaken != 0)
      out << "          " << r.fills_overtaken
          << " fills reached the strategy after a later market event: a deterministic replay of --record may"
             " decide differently from there\n";
    if (!r.live->last_error.empty()) out << "          last connection problem: " << printable(r.live->last_error) << "\n";
    if (r.live->snapshot_fetches != 0 || r.live->snapshot_fetch_failures != 0)
      out << "          " << r.live->snapshot_fetches << " depth snapshots fetched, " << r.live->snapshot_fetch_failures
          << " failed tries (retried)\n";
    if (!r.live->snapshot_last_error.empty())
      out << "          last snapshot problem: " << printable(r.live->snapshot_last_error) << "\n";
    if (r.live->book_resubscribes != 0)
      out << "          " << r.live->book_resubscribes << " order books resubscribed after they were lost\n";
    if (r.live->duration_reached) out << "          stopped after --duration\n";
  }
  if (r.fix) {
    const fix::FixSessionStats& fs = r.fix->session;
    const fix::FixVenueStats& fv = r.fix->venue;
    out << "fix:      session " << printable(r.fix->state) << ", " << fs.logons << " logons, " << fs.disconnects
        << " disconnects, " << fs.connect_failures << " failed connects; next seq out " << r.fix->next_sender_seq
        << ", in " << r.fix->next_target_seq << "\n";
    out << "          " << fv.orders_sent << " orders, " << fv.cancels_sent << " cancels, " << fv.status_requests_sent
        << " status requests sent; " << fv.fills << " fills, " << fv.duplicate_reports << " duplicate reports ignored, "
        << fv.rejected_not_logged_on << " orders refused while not logged on\n";
    out << "          " << fs.resend_requests_out << " resend requests sent, " << fs.resend_requests_in << " answered with "
        << fs.gap_fills_out << " gap fills; " << fs.test_requests_out << " test requests, " << fs.test_request_timeouts
        << " silences; " << fs.garbled + r.fix->framer.bad_checksum + r.fix->framer.bad_length << " garbled messages ignored\n";
    if (r.fix->open_orders != 0)
      out << "          " << r.fix->open_orders << " orders still open at the venue at the end: check them there\n";
    if (!r.fix->last_error.empty()) out << "          last session problem: " << printable(r.fix->last_error) << "\n";
  }
  if (!r.config_path.empty()) out << "config:   " << printable(r.config_path) << "\n";
  out << "journal:  " << printable(r.journal_path) << " (" << r.journal_records << " records";
  if (r.resumed_records != 0) out << ", " << r.resumed_records << " of them verified against the resumed journal";
  out << ")\n";
  if (!r.interrupted_by.empty() && r.live)
    out << "Stopped by " << r.interrupted_by << " after " << r.events << " market events; the journal is complete\n";
  else if (!r.interrupted_by.empty())
    out << "Interrupted by " << r.interrupted_by << " after " << r.events
        << " market events: the captures were not read to their end; the journal is complete up to there\n"
        << "  (its last checkpoint covers every event; --resume continues it)\n";
  out << "\n";

  out << "Positions (quote currency; net = realized + unrealized - fees)\n";
  out << std::left << std::setw(12) << "symbol" << std::right << std::setw(16) << "position" << std::setw(18)
      << "entry" << std::setw(18) << "mark" << std::setw(16) << "realized" << std::setw(16) << "unrealized"
      << std::setw(14) << "fees" << std::setw(16) << "net" << std::setw(7) << "fills" << std::setw(14)
      << "profit-takes" << std::setw(7) << "skips" << std::setw(9) << "rejects" << "\n";
  for (const auto& s : r.symbols) {
    out << std::left << std::setw(12) << printable(s.name) << std::right << std::setw(16) << to_string_fixed(s.position.qty)
        << std::setw(18) << to_string_fixed(s.position.entry) << std::setw(18) << to_string_fixed(s.mark)
        << std::setw(16) << to_string_fixed(s.position.realized) << std::setw(16) << to_string_fixed(s.unrealized)
        << std::setw(14) << to_string_fixed(s.position.fees) << std::setw(16) << to_string_fixed(net_of(s))
        << std::setw(7) << s.position.fills << std::setw(14) << s.stats.profit_takes << std::setw(7)
        << s.stats.profit_take_skipped << std::setw(9) << s.stats.rejects << "\n";
  }
  out << std::left << std::setw(12) << "TOTAL" << std::right << std::setw(16 + 18 + 18) << "" << std::setw(16)
      << to_string_fixed(t.realized) << std::setw(16) << to_string_fixed(t.unrealized) << std::setw(14)
      << to_string_fixed(t.fees) << std::setw(16) << to_string_fixed(t.net) << std::setw(7) << t.fills
      << std::setw(14) << t.profit_takes << std::setw(7) << t.skips << std::setw(9) << t.rejects << "\n\n";

  out << "Statistics (drawdown: largest fall of equity = realized - fees + unrealized from a previous high)\n";
  out << std::left << std::setw(12) << "symbol" << std::right << std::setw(16) << "max |position|" << std::setw(10)
      << "winning" << std::setw(10) << "losing" << std::setw(16) << "max drawdown" << std::setw(8) << "stops"
      << std::setw(10) << "trailing" << std::setw(9) << "entries" << std::setw(13) << "rule skips" << "\n";
  for (const auto& s : r.symbols) {
    out << std::left << std::setw(12) << printable(s.name) << std::right << std::setw(16) << to_string_fixed(s.position.max_abs_qty)
        << std::setw(10) << s.position.winning_reductions << std::setw(10) << s.position.losing_reductions
        << std::setw(16) << to_string_fixed(s.stats.max_drawdown) << std::setw(8) << s.stats.stop_losses
        << std::setw(10) << s.stats.trailing_stops << std::setw(9) << s.stats.entries << std::setw(13)
        << s.stats.rule_skipped << "\n";
  }
  out << std::left << std::setw(12) << "TOTAL" << std::right << std::setw(16 + 10 + 10) << "" << std::setw(16)
      << to_string_fixed(r.max_drawdown) << "\n\n";
  for (const auto& s : r.symbols)
    if (s.stats.stale_episodes != 0 || s.stale_at_end)
      out << "Watchdog: " << printable(s.name) << " went " << s.stats.stale_episodes
          << " times without a book top for stale_after_ms" << (s.stale_at_end ? "; stale at the end" : "") << "\n";

  print_books(r, out);

  out << "Trading state: " << trading_state_name(r.final_state) << "    day P&L: " << to_string_fixed(r.day_pnl)
      << "    engine clock: " << utc_time(r.engine_clock_ns) << "\n";
  if (r.state_history.empty()) {
    out << "State history: ACTIVE throughout\n";
  } else {
    out << "State history:\n";
    for (const auto& c : r.state_history)
      out << "  " << utc_time(c.ts_ns) << "  " << trading_state_name(c.from) << " -> " << trading_state_name(c.to)
          << "  (" << state_reason_name(c.reason) << ")\n";
    if (r.state_changes > r.state_history.size())
      out << "  ... and " << (r.state_changes - r.state_history.size()) << " more\n";
  }
  out << "Orders: " << r.gateway.orders << " sent to the gateway, " << r.gateway.accepted << " accepted, "
      << r.gateway.rejected << " rejected by pre-trade checks, " << r.fills << " fills, " << r.gateway.cancelled
      << " cancelled, " << r.open_orders_at_end << " still open at the end\n";
  if (r.gateway.rejects.total() != 0) {
    out << "Rejects by reason\n";
    for (std::size_t i = 1; i < kRejectReasonCount; ++i)
      if (r.gateway.rejects.values[i] != 0)
        out << "  " << std::left << std::setw(28) << kRejectReasonNames[i] << std::right << std::setw(12)
            << r.gateway.rejects.values[i] << "\n";
  }
  out << "\n";

  out << "Messages by type (" << r.normalize.messages() << ")\n";
  print_counters(out, r.normalize.by_type, r.normalize.by_type.names(), true);
  out << "Dropped messages by reason (" << r.normalize.dropped() << ")\n";
  print_counters(out, r.normalize.drops, feed::kDropReasonNames, true);
  for (std::size_t i = 0; i < r.normalize.sample_count; ++i) {
    const auto& s = r.normalize.samples[i];
    out << "  e.g. " << feed::name_of(s.reason) << ": " << printable(s.view()) << (s.truncated() ? "..." : "") << "\n";
  }
  out << "Capture decoding\n";
  print_counters(out, r.decode, feed::kDecodeCounterNames, true);
  for (const auto& w : r.warnings) out << "warning: " << printable(w) << "\n";
  if (r.latency) {
    out << "\n";
    print_latency_report(*r.latency, out);
  }
  out << "\nRun: " << r.events << " market events" << (r.interrupted_by.empty() ? "" : " (interrupted)") << " in " << std::fixed << std::setprecision(3) << r.wall_seconds
      << " s";
  if (r.wall_seconds > 0)
    out << " (" << std::setprecision(0) << static_cast<double>(r.events) / r.wall_seconds << " events/s)";
  out << std::defaultfloat << "\n";
}

void write_report_json(const RunReport& r, const std::string& path) {
  using nlohmann::json;
  const Totals t = totals_of(r);
  json j;
  j["version"] = version_string();
  j["mode"] = r.mode;
  j["captures"] = r.captures;
  j["config"] = r.config_path;
  j["journal"] = {{"path", r.journal_path}, {"records", r.journal_records}, {"resumed_records", r.resumed_records}};
  // null: the captures were read to their end; else the signal that stopped the run.
  j["interrupted_by"] = r.interrupted_by.empty() ? json(nullptr) : json(r.interrupted_by);
  j["overlap_dropped"] = r.overlap_dropped;
  j["fills_overtaken"] = r.fills_overtaken;
  if (r.live) {
    const feed::LiveFeedStats& ls = r.live->stats;
    j["live"] = {{"url", r.live->url},
                 {"connects", ls.connects},
                 {"connections", r.live->connections},
                 {"reconnects", ls.connects > r.live->connections ? ls.connects - r.live->connections : 0},
                 {"connect_failures", ls.connect_failures},
                 {"refused_upgrades", ls.refused_upgrades},
                 {"disconnects", ls.disconnects},
                 {"silence_timeouts", ls.silence_timeouts},
                 {"subscribe_messages", ls.subscribe_messages},
                 {"pings_sent", ls.pings_sent},
                 {"server_shutdowns", ls.server_shutdowns},
                 {"rotations", ls.rotations},
                 {"last_error", r.live->last_error},
                 {"duration_reached", r.live->duration_reached},
                 {"snapshot_fetches", r.live->snapshot_fetches},
                 {"snapshot_fetch_failures", r.live->snapshot_fetch_failures},
                 {"snapshot_last_error", r.live->snapshot_last_error},
                 {"book_resubscribes", r.live->book_resubscribes}};
  }
  if (r.fix) {
    const fix::FixSessionStats& fs = r.fix->session;
    const fix::FixVenueStats& fv = r.fix->venue;
    j["fix"] = {{"state", r.fix->state},
                {"last_error", r.fix->last_error},
                {"store", r.fix->store_path},
                {"next_sender_seq", r.fix->next_sender_seq},
                {"next_target_seq", r.fix->next_target_seq},
                {"open_orders", r.fix->open_orders},
                {"connects", fs.connects},
                {"connect_failures", fs.connect_failures},
                {"logons", fs.logons},
                {"disconnects", fs.disconnects},
                {"logon_timeouts", fs.logon_timeouts},
                {"messages_in", fs.messages_in},
                {"messages_out", fs.messages_out},
                {"heartbeats_out", fs.heartbeats_out},
                {"test_requests_out", fs.test_requests_out},
                {"test_request_timeouts", fs.test_request_timeouts},
                {"resend_requests_out", fs.resend_requests_out},
                {"resend_requests_in", fs.resend_requests_in},
                {"gap_fills_out", fs.gap_fills_out},
                {"seq_too_low", fs.seq_too_low},
                {"duplicates_ignored", fs.duplicates_ignored},
                {"above_expected_ignored", fs.above_expected_ignored},
                {"garbled", fs.garbled + r.fix->framer.bad_checksum + r.fix->framer.bad_length},
                {"bad_checksum", r.fix->framer.bad_checksum},
                {"bad_length", r.fix->framer.bad_length},
                {"comp_id_mismatch", fs.comp_id_mismatch},
                {"session_rejects_in", fs.session_rejects_in},
                {"logouts_in", fs.logouts_in},
                {"store_failures", fs.store_failures},
                {"orders_sent", fv.orders_sent},
                {"cancels_sent", fv.cancels_sent},
                {"status_requests_sent", fv.status_requests_sent},
                {"rejected_not_logged_on", fv.rejected_not_logged_on},
                {"exec_reports", fv.exec_reports},
                {"fills", fv.fills},
                {"duplicate_reports", fv.duplicate_reports},
                {"unknown_order_reports", fv.unknown_order_reports},
                {"other_incarnation_reports", fv.other_incarnation_reports},
                {"cancel_rejects", fv.cancel_rejects},
                {"business_rejects", fv.business_rejects},
                {"bad_reports", fv.bad_reports},
                {"commission_fallbacks", fv.commission_fallbacks},
                {"fills_from_status", fv.fills_from_status}};
  }
  json syms = json::array();
  for (const auto& s : r.symbols) {
    syms.push_back({{"symbol", s.name},
                    {"position", to_string_fixed(s.position.qty)},
                    {"entry", to_string_fixed(s.position.entry)},
                    {"mark", to_string_fixed(s.mark)},
                    {"realized", to_string_fixed(s.position.realized)},
                    {"unrealized", to_string_fixed(s.unrealized)},
                    {"fees", to_string_fixed(s.position.fees)},
                    {"net", to_string_fixed(net_of(s))},
                    {"fills", s.position.fills},
                    {"winning_reductions", s.position.winning_reductions},
                    {"losing_reductions", s.position.losing_reductions},
                    {"max_abs_position", to_string_fixed(s.position.max_abs_qty)},
                    {"max_drawdown", to_string_fixed(s.stats.max_drawdown)},
                    {"stop_losses", s.stats.stop_losses},
                    {"trailing_stops", s.stats.trailing_stops},
                    {"entries", s.stats.entries},
                    {"rule_skipped", s.stats.rule_skipped},
                    {"stale_episodes", s.stats.stale_episodes},
                    {"stale_at_end", s.stale_at_end},
                    {"orders", s.stats.orders},
                    {"profit_takes", s.stats.profit_takes},
                    {"profit_take_skipped", s.stats.profit_take_skipped},
                    {"rejects", s.stats.rejects}});
    if (s.book) {
      const feed::BookCounters& b = *s.book;
      syms.back()["book"] = {{"valid", b.valid.load() != 0},
                             {"bid_levels", b.bid_levels},
                             {"ask_levels", b.ask_levels},
                             {"snapshots_loaded", b.snapshots_loaded},
                             {"snapshots_too_old", b.snapshots_too_old},
                             {"diffs_applied", b.diffs_applied},
                             {"diffs_duplicate", b.diffs_duplicate},
                             {"diffs_discarded", b.diffs_discarded},
                             {"gaps", b.gaps},
                             {"crossed", b.crossed},
                             {"resyncs", b.resyncs},
                             {"top_mismatches", b.top_mismatches},
                             {"tops_superseded", b.tops_superseded},
                             {"levels_dropped", b.levels_dropped},
                             {"last_gap_expected", b.last_gap_expected},
                             {"last_gap_got", b.last_gap_got}};
    }
    if (s.slippage) {
      const SimVenue::Slippage& sl = *s.slippage;
      syms.back()["slippage"] = {{"taker_qty", to_string_fixed(sl.qty)},
                                 {"notional", to_string_fixed(sl.notional)},
                                 {"cost", to_string_fixed(sl.cost)},
                                 {"bps", bps_of(sl.cost, sl.notional)},
                                 {"fills", sl.fills},
                                 {"fills_beyond_touch", sl.levels_beyond_touch},
                                 {"ioc_cancelled", sl.ioc_cancelled}};
    }
  }
  j["symbols"] = syms;
  j["totals"] = {{"realized", to_string_fixed(t.realized)}, {"unrealized", to_string_fixed(t.unrealized)},
                 {"fees", to_string_fixed(t.fees)},         {"net", to_string_fixed(t.net)},
                 {"fills", t.fills},                        {"profit_takes", t.profit_takes},
                 {"profit_take_skipped", t.skips},          {"rejects", t.rejects}};
  j["totals"]["max_drawdown"] = to_string_fixed(r.max_drawdown);
  j["trading_state"] = trading_state_name(r.final_state);
  j["day_pnl"] = to_string_fixed(r.day_pnl);
  json hist = json::array();
  for (const auto& c : r.state_history)
    hist.push_back({{"ts", c.ts_ns}, {"from", trading_state_name(c.from)}, {"to", trading_state_name(c.to)},
                    {"reason", state_reason_name(c.reason)}});
  j["state_history"] = hist;
  j["state_changes"] = r.state_changes;
  j["engine_clock_ns"] = r.engine_clock_ns;
  json rejects = json::object();
  for (std::size_t i = 1; i < kRejectReasonCount; ++i) rejects[std::string(kRejectReasonNames[i])] = r.gateway.rejects.values[i];
  j["orders"] = {{"sent", r.gateway.orders},
                 {"accepted", r.gateway.accepted},
                 {"rejected", r.gateway.rejected},
                 {"rejects_by_reason", rejects},
                 {"cancelled", r.gateway.cancelled},
                 {"fills", r.fills},
                 {"open_at_end", r.open_orders_at_end}};
  j["messages"] = {{"by_type", counters_json(r.normalize.by_type, r.normalize.by_type.names())},
                   {"dropped", counters_json(r.normalize.drops, feed::kDropReasonNames)}};
  json samples = json::array();
  for (std::size_t i = 0; i < r.normalize.sample_count; ++i) {
    const auto& s = r.normalize.samples[i];
    // Offending bytes may not be UTF-8; keep them readable and valid JSON.
    std::string bytes;
    for (const char c : s.view()) bytes += (static_cast<unsigned char>(c) < 0x80 && c >= 0x20) ? c : '?';
    samples.push_back({{"reason", std::string(feed::name_of(s.reason))}, {"bytes", bytes}, {"size", s.size}});
  }
  j["messages"]["drop_samples"] = samples;
  j["decode"] = counters_json(r.decode, feed::kDecodeCounterNames);
  j["events"] = r.events;
  j["wall_seconds"] = r.wall_seconds;
  j["warnings"] = r.warnings;
  if (r.latency) j["latency"] = latency_report_json(*r.latency);

  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw std::runtime_error("cannot open report file '" + path + "'");
  // nlohmann escapes control characters; bytes that are not UTF-8 (a path, say) would make dump()
  // throw after the run has finished: they become U+FFFD, as in the latency JSON.
  f << j.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  if (!f) throw std::runtime_error("cannot write report file '" + path + "'");
}

}  // namespace tp
