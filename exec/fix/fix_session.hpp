// FixSession: the FIX 4.4 session layer of the initiator (SPEC §11.1), run by the gateway thread.
// It owns one non-blocking TCP connection to the acceptor and keeps the session rules:
//
// - Logon (EncryptMethod 0, HeartBtInt, ResetSeqNumFlag only with reset_on_logon, optional
//   Username/Password); no Logon answer within logon_timeout: disconnect and retry.
// - Inbound MsgSeqNum: equal to the expected one: processed; higher: one ResendRequest
//   (expected..0) and nothing above the expected number is processed until the acceptor has
//   resent it (Logout, SequenceReset and ResendRequest excepted); lower without PossDupFlag:
//   Logout "MsgSeqNum too low" and disconnect; lower with PossDupFlag: a duplicate, ignored.
// - SequenceReset: GapFill moves the expected number up; Reset sets it.
// - A ResendRequest is answered with one SequenceReset-GapFill to our next number: an application
//   message is never sent twice (SPEC §11.3; the venue asks for the state of its orders instead).
// - Heartbeat after heartbeat_s without sending; TestRequest answered; after 1.2 x heartbeat_s of
//   silence a TestRequest, and the connection is dropped when another heartbeat_s passes unanswered.
// - Logout both ways; reconnect with backoff (ReconnectBackoff) after anything but our own logout.
// - Every message sent is written to the FixStore before its bytes go out; every inbound number
//   processed is recorded there too, so a restarted engine continues the session.
//
// Messages that fail the framer (BodyLength, CheckSum) or FixMessage::parse are counted and ignored
// (their numbers are not consumed, so the gap they leave is found at the next message). A message
// whose CompIDs are not the session's ends the session (Logout, disconnect).
//
// The application (FixVenue) sees: on_logged_on() after each logon, on_app_message(msg) for each
// application message in sequence, on_resend_requested(begin_seq) when the acceptor asked for
// messages again (what it gap-filled may have been orders or cancels), on_session_reject(msg) for a
// session-level Reject, on_disconnected(). It sends with send_app().
//
// Single-threaded; never blocks (non-blocking socket, connect in progress polled); no allocation
// after construction.
#pragma once

#include <netinet/in.h>

#include <atomic>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/telemetry/event_log.hpp"
#include "core/timing/reconnect_backoff.hpp"
#include "core/timing/wall_clock.hpp"
#include "core/types/counters.hpp"
#include "exec/fix/fix_encoder.hpp"
#include "exec/fix/fix_framer.hpp"
#include "exec/fix/fix_message.hpp"
#include "exec/fix/fix_store.hpp"

namespace tp::fix {

struct FixSessionOptions {
  std::string host = "127.0.0.1";  // resolved once, when the session is made
  uint16_t port = 0;
  std::string sender_comp_id;
  std::string target_comp_id;
  int heartbeat_s = 30;
  bool reset_on_logon = false;
  std::string username;  // "" = not sent
  std::string password;  // "" = not sent
  int64_t reconnect_min_ms = 100;
  int64_t reconnect_max_ms = 30'000;
  int64_t logon_timeout_ms = 10'000;   // connect plus the Logon answer
  int64_t logout_timeout_ms = 2'000;   // our Logout's answer
  std::size_t max_outbound_bytes = 1 << 20;  // unsent bytes held for a slow socket; more: disconnect
};

struct FixSessionStats {
  Counter connects = 0;           // TCP connections established
  Counter connect_failures = 0;   // refused, unreachable, or timed out before the Logon answer
  Counter logons = 0;             // Logon answered by the acceptor
  Counter disconnects = 0;        // connections lost or dropped after they were established
  Counter logon_timeouts = 0;
  Counter messages_in = 0;        // valid messages read (any sequence number)
  Counter messages_out = 0;       // messages written (gap fills included)
  Counter heartbeats_out = 0;
  Counter test_requests_out = 0;
  Counter test_request_timeouts = 0;  // silence: dropped after an unanswered TestRequest
  Counter resend_requests_out = 0;
  Counter resend_requests_in = 0;
  Counter gap_fills_out = 0;
  Counter seq_too_low = 0;        // lower than expected without PossDupFlag: logged out
  Counter duplicates_ignored = 0; // lower than expected with PossDupFlag
  Counter above_expected_ignored = 0;  // not processed while a resend was outstanding
  Counter garbled = 0;            // framer (checksum, length) and parse failures
  Counter comp_id_mismatch = 0;
  Counter session_rejects_in = 0; // Reject (35=3) received
  Counter logouts_in = 0;         // Logout started by the acceptor
  Counter store_failures = 0;     // the store could not be written: the session stopped
};

enum class FixSessionState : uint8_t {
  Disconnected,   // waiting out the backoff before the next connect
  Connecting,     // TCP connect in progress
  AwaitingLogon,  // our Logon sent
  LoggedOn,
  LoggingOut,     // our Logout sent, waiting for the answer
  Stopped,        // logged out at our request (or the store failed): no reconnect
};
const char* fix_session_state_name(FixSessionState s) noexcept;

class FixSession {
 public:
  // Throws std::runtime_error when `host` does not resolve to an IPv4 address. Connects on the
  // first poll().
  FixSession(const FixSessionOptions& options, FixStore& store, EventLog* log = nullptr);
  ~FixSession();
  FixSession(const FixSession&) = delete;
  FixSession& operator=(const FixSession&) = delete;

  // Does what is due: connects, reads and handles what arrived, writes what waits, sends
  // heartbeats and TestRequests, times out. Returns true when something happened (bytes moved).
  template <typename App>
  bool poll(App& app) noexcept {
    const int64_t now = monotonic_ns();
    bool progress = step_timers(now);
    if (state_ == FixSessionState::AwaitingLogon || state_ == FixSessionState::LoggedOn ||
        state_ == FixSessionState::LoggingOut) {
      progress |= flush();
      for (int reads = 0; reads < 4 && fd_ >= 0; ++reads) {
        const long n = read_some();
        if (n <= 0) break;
        progress = true;
        framer_.feed(rx_.get(), static_cast<std::size_t>(n), [&](std::string_view bytes) noexcept {
          if (fd_ < 0) return;  // the connection ended on an earlier message of this read
          deliver(bytes, app);
        });
      }
    }
    if (events_ != 0) dispatch_events(app);
    return progress;
  }

  // Sends one application message: `build(FixEncoder&, uint64_t seq, int64_t now_ns)` returns the
  // message written with that MsgSeqNum. False (nothing sent, no number used) unless logged on, or
  // when the store or the socket failed (the session then disconnects).
  template <typename Build>
  bool send_app(Build&& build) noexcept {
    if (state_ != FixSessionState::LoggedOn) return false;
    const uint64_t seq = store_.next_sender_seq();
    return send_numbered(seq, build(encoder_, seq, realtime_ns()));
  }
  // The MsgSeqNum the next application message gets.
  uint64_t next_sender_seq() const noexcept { return store_.next_sender_seq(); }
  uint64_t next_target_seq() const noexcept { return store_.next_target_seq(); }

  // Ends the session cleanly: a Logout (when logged on), its answer awaited up to
  // logout_timeout_ms, then Stopped; no reconnect afterwards. `text` goes in the Logout's Text.
  void logout(std::string_view text) noexcept;

  FixSessionState state() const noexcept { return state_; }
  bool logged_on() const noexcept { return state_ == FixSessionState::LoggedOn; }
  bool stopped() const noexcept { return state_ == FixSessionState::Stopped; }
  const FixSessionStats& stats() const noexcept { return stats_; }
  const FramerStats& framer_stats() const noexcept { return framer_.stats(); }
  const FixSessionOptions& options() const noexcept { return options_; }
  // Why the last connection ended (for the report and /health); "" before any.
  const char* last_error() const noexcept { return last_error_; }

 private:
  // What deliver() found for the application, dispatched once the read is done.
  enum Event : uint8_t { kLoggedOn = 1, kDisconnected = 2 };
  enum class Verdict : uint8_t { Ignore, Application, SessionReject };

  bool step_timers(int64_t now) noexcept;
  long read_some() noexcept;
  bool flush() noexcept;
  // Session handling of one framed message; what the application should see.
  Verdict handle(std::string_view bytes, uint64_t& resend_begin) noexcept;
  template <typename App>
  void deliver(std::string_view bytes, App& app) noexcept {
    uint64_t resend_begin = 0;
    const Verdict v = handle(bytes, resend_begin);
    if (resend_begin != 0) app.on_resend_requested(resend_begin);
    if (v == Verdict::Application) app.on_app_message(msg_);
    else if (v == Verdict::SessionReject) app.on_session_reject(msg_);
  }
  template <typename App>
  void dispatch_events(App& app) noexcept {
    const uint8_t e = events_;
    events_ = 0;
    if (e & kDisconnected) app.on_disconnected();
    if ((e & kLoggedOn) && state_ == FixSessionState::LoggedOn) app.on_logged_on();
  }

  void start_connect(int64_t now) noexcept;
  void on_connected(int64_t now) noexcept;
  void disconnect(const char* why, bool reconnect) noexcept;
  bool send_numbered(uint64_t seq, std::string_view bytes) noexcept;  // stored, then written
  bool send_unnumbered(std::string_view bytes) noexcept;  // a gap fill: reuses an old number
  bool write_bytes(std::string_view bytes) noexcept;
  bool consume_inbound(uint64_t seq) noexcept;
  void send_resend_request(uint64_t from, uint64_t seen) noexcept;
  void send_logout_and_drop(const char* text) noexcept;  // `text`: a literal (kept as last_error)
  void send_logout_too_low(uint64_t expected, uint64_t received) noexcept;
  void log(LogLevel level, std::string_view event, LogFields fields) noexcept;

  FixSessionOptions options_;
  FixStore& store_;
  EventLog* log_;
  sockaddr_in addr_{};
  FixEncoder encoder_;
  FixFramer framer_;
  FixMessage msg_;
  std::unique_ptr<char[]> rx_;
  std::unique_ptr<char[]> tx_;  // bytes the socket has not taken yet
  std::size_t tx_len_ = 0;
  int fd_ = -1;
  std::atomic<FixSessionState> state_{FixSessionState::Disconnected};  // read by the ops thread too
  ReconnectBackoff backoff_;
  int64_t next_connect_ns_ = 0;
  int64_t deadline_ns_ = 0;       // connect/logon or logout timeout
  int64_t last_sent_ns_ = 0;
  int64_t last_received_ns_ = 0;
  int64_t test_request_sent_ns_ = 0;  // 0: none outstanding
  uint64_t test_request_id_ = 0;
  uint64_t resend_until_ = 0;     // 0: no resend outstanding; else the highest number seen above
  uint8_t events_ = 0;
  bool stop_after_logout_ = false;
  const char* last_error_ = "";
  FixSessionStats stats_;
};

}  // namespace tp::fix
