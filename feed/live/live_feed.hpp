// LiveFeed: the byte source of `tickpipe live` (SPEC §10). Keeps one WebSocket connection to the
// venue alive: connects, subscribes, reads, and on a close, a reset, a TLS error, silence longer
// than `stale_after_ms` or a refused upgrade reconnects with exponential backoff and jitter, then
// subscribes again. A certificate that does not verify is not retried: it is an error that names
// the host (retrying cannot help, and a retry storm against a venue is how accounts get banned).
//
// Planned closes are handled make-before-break (SPEC §10.7): when the venue announces one (Binance's
// `serverShutdown` event) or the connection nears the venue's lifetime limit (`rotate_after_ms`,
// Binance closes after 24 hours), a second connection is opened and subscribed while the first still
// delivers; once the new one delivers data the old one is closed. The overlap - messages seen on
// both - is dropped after normalization (feed/live/overlap_filter.hpp), so nothing is lost or doubled.
//
// The same interface as CaptureDecoder (step(sink), packet_tsc()), so FeedStage runs either source
// through the same normalizer and sink: live adds a source, not a second pipeline.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/timing/reconnect_backoff.hpp"
#include "core/timing/tsc_clock.hpp"
#include "core/types/counters.hpp"
#include "core/telemetry/event_log.hpp"
#include "core/telemetry/stage_heartbeat.hpp"
#include "feed/live/ws_connection.hpp"

namespace tp::feed {

struct LiveFeedOptions {
  WsConnectOptions connection;
  std::vector<std::string> subscribe;  // text messages sent after each connect, in order
  int64_t stale_after_ms = 5000;       // no byte for this long: the connection is dead, reconnect
  int64_t reconnect_min_ms = 100;
  int64_t reconnect_max_ms = 30000;
  int connect_timeout_ms = 10000;
  // How step() waits when the socket has nothing: false polls the socket up to 1 ms (the thread
  // sleeps in the kernel), true returns at once (a busy-spinning feed thread on its own core).
  bool busy_poll = false;
  bool stamp_packets = false;          // read the TSC at every read (latency stamp t0)
  SessionRecorder* recorder = nullptr; // --record: every byte of every connection; null: none
  // One line per connect, failure, loss and switch, posted from the feed thread (EventLog::post:
  // no system call here); null: none.
  EventLog* log = nullptr;
  int connection_index = 1;            // which of the session's connections this is (LiveFeedGroup)
  // Marked waiting while a connect runs, so the monitor reports the feed down, not stalled.
  StageHeartbeat* heartbeat = nullptr;
  // A connection older than this is replaced make-before-break (Binance: 24 h; we switch early).
  int64_t rotate_after_ms = 23LL * 3600 * 1000 + 30 * 60 * 1000;
};

struct LiveFeedStats {
  Counter connects = 0;              // connections that completed the upgrade
  Counter connect_failures = 0;      // attempts that did not (refused, reset, timed out, TLS)
  Counter refused_upgrades = 0;      // of those: the server answered the upgrade with an HTTP error
  Counter disconnects = 0;           // open connections that ended
  Counter silence_timeouts = 0;      // of those: no byte for stale_after_ms
  Counter subscribe_messages = 0;    // subscribe requests sent
  Counter pings_sent = 0;            // our pings after a third of stale_after_ms without a byte
  Counter server_shutdowns = 0;      // planned closes the venue announced (serverShutdown)
  Counter rotations = 0;             // make-before-break switches to a new connection
  Counter connections_open = 0;    // 0 or 1 per connection: its data connection is up now
  Counter last_http_status = 0;     // read by /metrics and /health while the feed runs
};

class LiveFeed {
 public:
  LiveFeed(const LiveFeedOptions& options, TlsClientContext* tls, DecodeStats* stats);

  // One step: (re)connects when it is time, or reads what the socket has and hands every message
  // to sink.on_message(const Message&). False only after a fatal error (fatal_error() says what).
  template <class Sink>
  bool step(Sink& sink) noexcept {
    return step_with(MessageFn{&sink, [](void* ctx, const Message& m) noexcept { static_cast<Sink*>(ctx)->on_message(m); }});
  }
  bool step_with(MessageFn out) noexcept;

  uint64_t packet_tsc() const noexcept { return packet_tsc_; }
  bool connected() const noexcept { return active_->open(); }
  const LiveFeedStats& stats() const noexcept { return stats_; }
  const std::string& fatal_error() const noexcept { return fatal_; }
  // The last connection problem, for the log ("" when none yet).
  const std::string& last_error() const noexcept { return last_error_; }
  int64_t last_error_ms() const noexcept { return last_error_ms_; }  // monotonic ms of it; 0: none
  // The sockets to wait on when step() found nothing (-1: none open).
  int active_fd() const noexcept { return active_->open() ? active_->fd() : -1; }
  int next_fd() const noexcept { return next_->open() ? next_->fd() : -1; }
  // Sends one text message on the connection the engine trades on (a resubscription). False when
  // it is not open or the send failed (the connection is then lost and reconnects as usual).
  bool send_text(std::string_view text) noexcept { return active_->open() && active_->send_text(text); }
  // Closes the connection with a close frame (a clean stop).
  void close() noexcept {
    next_->close(1000);
    active_->close(1000);
  }

 private:
  // Connects and subscribes `c`; false when it failed (counted, logged, and the retry scheduled).
  bool attempt(WsConnection& c) noexcept;
  bool step_once(MessageFn out) noexcept;
  void start_rotation() noexcept;
  static void on_message(void* self, const Message& m) noexcept;
  void schedule_retry() noexcept;
  void log_lost(const char* why) noexcept;
  LogFields fields() const noexcept;  // conn, host, port: the start of every line
  void log(LogLevel level, const char* event, const LogFields& fields) noexcept;

  LiveFeedOptions options_;
  WsConnection a_;
  WsConnection b_;
  WsConnection* active_ = &a_;  // the connection whose data the engine trades on
  WsConnection* next_ = &b_;    // during a switch: the new connection, subscribed and overlapping
  int64_t active_since_ms_ = 0;
  bool rotate_ = false;         // a switch is wanted (serverShutdown, age)
  int64_t next_try_ms_ = 0;     // when the new connection may be tried (again)
  MessageFn out_;               // the sink of the current step
  bool delivered_ = false;      // the connection being read delivered a data message this step
  LiveFeedStats stats_;
  std::string fatal_;
  std::string last_error_;
  int64_t last_error_ms_ = 0;
  ReconnectBackoff backoff_;
  int64_t next_attempt_ms_ = 0;
  int64_t last_ping_ms_ = 0;
  uint64_t packet_tsc_ = 0;
};

}  // namespace tp::feed
