#include "exec/fix/fix_session.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace tp::fix {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

std::string_view field_or(const FixMessage& m, int tag, std::string_view fallback = {}) noexcept {
  const auto v = m.get(tag);
  return v ? *v : fallback;
}

}  // namespace

const char* fix_session_state_name(FixSessionState s) noexcept {
  switch (s) {
    case FixSessionState::Disconnected: return "disconnected";
    case FixSessionState::Connecting: return "connecting";
    case FixSessionState::AwaitingLogon: return "awaiting_logon";
    case FixSessionState::LoggedOn: return "logged_on";
    case FixSessionState::LoggingOut: return "logging_out";
    case FixSessionState::Stopped: return "stopped";
  }
  return "unknown";
}

FixSession::FixSession(const FixSessionOptions& options, FixStore& store, EventLog* log)
    : options_(options),
      store_(store),
      log_(log),
      encoder_(options.sender_comp_id, options.target_comp_id),
      rx_(std::make_unique<char[]>(kReadChunk)),
      tx_(std::make_unique<char[]>(options.max_outbound_bytes)),
      backoff_(options.reconnect_min_ms, options.reconnect_max_ms) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = ::getaddrinfo(options.host.c_str(), nullptr, &hints, &res);
  if (rc != 0 || res == nullptr)
    throw std::runtime_error("fix.host '" + options.host + "' does not resolve to an IPv4 address: " + ::gai_strerror(rc));
  addr_ = *reinterpret_cast<const sockaddr_in*>(res->ai_addr);
  addr_.sin_port = htons(options.port);
  ::freeaddrinfo(res);
}

FixSession::~FixSession() {
  if (fd_ >= 0) ::close(fd_);
}

void FixSession::log(LogLevel level, std::string_view event, LogFields fields) noexcept {
  if (log_ == nullptr || !log_->enabled(level)) return;
  fields.add("session", std::string_view(options_.sender_comp_id)).add("state", fix_session_state_name(state_));
  log_->post(level, event, fields, LogProducer::Gateway);
}

void FixSession::start_connect(int64_t now) noexcept {
  framer_.reset();
  tx_len_ = 0;
  resend_until_ = 0;
  test_request_sent_ns_ = 0;
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    last_error_ = "socket() failed";
    ++stats_.connect_failures;
    next_connect_ns_ = now + backoff_.next_wait_ms() * 1'000'000;
    return;
  }
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const int rc = ::connect(fd_, reinterpret_cast<const sockaddr*>(&addr_), sizeof addr_);
  if (rc != 0 && errno != EINPROGRESS) {
    last_error_ = "connection refused";
    ::close(fd_);
    fd_ = -1;
    ++stats_.connect_failures;
    const int64_t wait = backoff_.next_wait_ms();
    next_connect_ns_ = now + wait * 1'000'000;
    LogFields f;
    log(LogLevel::Warn, "fix_connect_failed", f.add("error", std::strerror(errno)).add("retry_in_ms", wait));
    return;
  }
  state_ = FixSessionState::Connecting;
  deadline_ns_ = now + options_.logon_timeout_ms * 1'000'000;
  if (rc == 0) on_connected(now);
}

void FixSession::on_connected(int64_t now) noexcept {
  ++stats_.connects;
  state_ = FixSessionState::AwaitingLogon;
  last_received_ns_ = now;
  if (options_.reset_on_logon && !store_.reset(1, 1)) {
    ++stats_.store_failures;
    disconnect("the FIX store cannot be written", false);
    return;
  }
  const uint64_t seq = store_.next_sender_seq();
  send_numbered(seq, encoder_.logon(seq, realtime_ns(), options_.heartbeat_s, options_.reset_on_logon,
                                    options_.username, options_.password));
  LogFields f;
  log(LogLevel::Info, "fix_logon_sent",
      f.add("seq", seq).add("expect_seq", store_.next_target_seq()).add("reset", options_.reset_on_logon));
}

void FixSession::disconnect(const char* why, bool reconnect) noexcept {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  const bool was_up = state_ == FixSessionState::AwaitingLogon || state_ == FixSessionState::LoggedOn ||
                      state_ == FixSessionState::LoggingOut;
  // The end of our own Logout is not a problem: not counted, not the last error.
  const bool clean = state_ == FixSessionState::LoggingOut && !reconnect;
  if (was_up && !clean) ++stats_.disconnects;
  if (!clean) last_error_ = why;
  tx_len_ = 0;
  test_request_sent_ns_ = 0;
  resend_until_ = 0;
  events_ |= kDisconnected;
  if (!reconnect || stop_after_logout_) {
    state_ = FixSessionState::Stopped;
    store_.sync();
    LogFields f;
    log(LogLevel::Info, "fix_session_stopped", f.add("reason", why));
    return;
  }
  state_ = FixSessionState::Disconnected;
  const int64_t wait = backoff_.next_wait_ms();
  next_connect_ns_ = monotonic_ns() + wait * 1'000'000;
  LogFields f;
  log(LogLevel::Warn, "fix_disconnected", f.add("reason", why).add("retry_in_ms", wait));
}

bool FixSession::step_timers(int64_t now) noexcept {
  switch (state_) {
    case FixSessionState::Stopped:
      return false;
    case FixSessionState::Disconnected:
      if (now < next_connect_ns_) return false;
      start_connect(now);
      return true;
    case FixSessionState::Connecting: {
      if (now >= deadline_ns_) {
        ++stats_.connect_failures;
        disconnect("connect timed out", true);
        return true;
      }
      int err = 0;
      socklen_t len = sizeof err;
      // A non-blocking connect has finished when the socket is writable; SO_ERROR says how.
      pollfd p{fd_, POLLOUT, 0};
      if (::poll(&p, 1, 0) <= 0) return false;
      ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        ++stats_.connect_failures;
        // Not an established connection: no disconnect is counted.
        ::close(fd_);
        fd_ = -1;
        last_error_ = "connection refused";
        state_ = FixSessionState::Disconnected;
        const int64_t wait = backoff_.next_wait_ms();
        next_connect_ns_ = now + wait * 1'000'000;
        LogFields f;
        log(LogLevel::Warn, "fix_connect_failed", f.add("error", std::strerror(err)).add("retry_in_ms", wait));
        return true;
      }
      on_connected(now);
      return true;
    }
    case FixSessionState::AwaitingLogon:
      if (now >= deadline_ns_) {
        ++stats_.logon_timeouts;
        disconnect("no Logon answer", true);
        return true;
      }
      return false;
    case FixSessionState::LoggingOut:
      if (now >= deadline_ns_) {
        disconnect("no answer to our Logout", false);
        return true;
      }
      return false;
    case FixSessionState::LoggedOn: {
      const int64_t hb = static_cast<int64_t>(options_.heartbeat_s) * 1'000'000'000;
      if (test_request_sent_ns_ != 0 && now - test_request_sent_ns_ >= hb) {
        ++stats_.test_request_timeouts;
        disconnect("no answer to a TestRequest", true);
        return true;
      }
      if (test_request_sent_ns_ == 0 && now - last_received_ns_ >= hb + hb / 5) {
        char id[24];
        const int n = std::snprintf(id, sizeof id, "TP%llu", static_cast<unsigned long long>(++test_request_id_));
        const uint64_t seq = store_.next_sender_seq();
        if (send_numbered(seq, encoder_.test_request(seq, realtime_ns(), std::string_view(id, static_cast<std::size_t>(n))))) {
          ++stats_.test_requests_out;
          test_request_sent_ns_ = now;
          LogFields f;
          log(LogLevel::Warn, "fix_test_request_sent", f.add("silent_ms", (now - last_received_ns_) / 1'000'000));
        }
        return true;
      }
      if (now - last_sent_ns_ >= hb) {
        const uint64_t seq = store_.next_sender_seq();
        if (send_numbered(seq, encoder_.heartbeat(seq, realtime_ns()))) ++stats_.heartbeats_out;
        return true;
      }
      return false;
    }
  }
  return false;
}

long FixSession::read_some() noexcept {
  const ssize_t n = ::recv(fd_, rx_.get(), kReadChunk, MSG_DONTWAIT);
  if (n > 0) {
    last_received_ns_ = monotonic_ns();
    return static_cast<long>(n);
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return 0;
  // End of file or an error: the acceptor is gone.
  if (state_ == FixSessionState::LoggingOut) disconnect("the acceptor closed after our Logout", false);
  else disconnect(n == 0 ? "the acceptor closed the connection" : "the connection failed", true);
  return -1;
}

bool FixSession::flush() noexcept {
  if (tx_len_ == 0 || fd_ < 0) return false;
  const ssize_t n = ::send(fd_, tx_.get(), tx_len_, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return false;
    disconnect("the connection failed while writing", state_ != FixSessionState::LoggingOut);
    return true;
  }
  std::memmove(tx_.get(), tx_.get() + n, tx_len_ - static_cast<std::size_t>(n));
  tx_len_ -= static_cast<std::size_t>(n);
  return n > 0;
}

bool FixSession::write_bytes(std::string_view bytes) noexcept {
  if (fd_ < 0) return false;
  std::size_t done = 0;
  if (tx_len_ == 0) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      disconnect("the connection failed while writing", state_ != FixSessionState::LoggingOut);
      return false;
    }
    if (n > 0) done = static_cast<std::size_t>(n);
  }
  const std::size_t rest = bytes.size() - done;
  if (rest != 0) {
    if (tx_len_ + rest > options_.max_outbound_bytes) {
      disconnect("the acceptor does not read what is sent", true);
      return false;
    }
    std::memcpy(tx_.get() + tx_len_, bytes.data() + done, rest);
    tx_len_ += rest;
  }
  ++stats_.messages_out;
  last_sent_ns_ = monotonic_ns();
  return true;
}

bool FixSession::send_numbered(uint64_t seq, std::string_view bytes) noexcept {
  if (bytes.empty()) return false;  // the encoder ran out of room: nothing to send
  if (!store_.record_sent(seq, bytes)) {
    ++stats_.store_failures;
    LogFields f;
    log(LogLevel::Error, "fix_store_failed", f.add("path", std::string_view(store_.path())).add("error", std::strerror(store_.last_errno())));
    disconnect("the FIX store cannot be written", false);
    return false;
  }
  return write_bytes(bytes);
}

bool FixSession::send_unnumbered(std::string_view bytes) noexcept {
  if (bytes.empty()) return false;
  return write_bytes(bytes);
}

bool FixSession::consume_inbound(uint64_t seq) noexcept {
  if (!store_.record_received(seq)) {
    ++stats_.store_failures;
    disconnect("the FIX store cannot be written", false);
    return false;
  }
  if (resend_until_ != 0 && store_.next_target_seq() > resend_until_) resend_until_ = 0;
  return true;
}

void FixSession::send_resend_request(uint64_t from, uint64_t seen) noexcept {
  if (resend_until_ != 0) {
    if (seen > resend_until_) resend_until_ = seen;
    return;  // one outstanding at a time: it asked for everything from `from` on (EndSeqNo 0)
  }
  const uint64_t seq = store_.next_sender_seq();
  if (send_numbered(seq, encoder_.resend_request(seq, realtime_ns(), from, 0))) {
    ++stats_.resend_requests_out;
    resend_until_ = seen;
    LogFields f;
    log(LogLevel::Warn, "fix_resend_requested", f.add("from", from).add("seen", seen));
  }
}

void FixSession::send_logout_and_drop(const char* text) noexcept {
  const uint64_t seq = store_.next_sender_seq();
  send_numbered(seq, encoder_.logout(seq, realtime_ns(), text));
  flush();
  disconnect(text, true);
}

void FixSession::send_logout_too_low(uint64_t expected, uint64_t received) noexcept {
  char text[96];
  const int n = std::snprintf(text, sizeof text, "MsgSeqNum too low, expecting %llu but received %llu",
                              static_cast<unsigned long long>(expected), static_cast<unsigned long long>(received));
  const uint64_t seq = store_.next_sender_seq();
  send_numbered(seq, encoder_.logout(seq, realtime_ns(), std::string_view(text, static_cast<std::size_t>(n))));
  flush();
  disconnect("MsgSeqNum too low", true);
}

void FixSession::logout(std::string_view text) noexcept {
  stop_after_logout_ = true;
  switch (state_) {
    case FixSessionState::LoggedOn: {
      const uint64_t seq = store_.next_sender_seq();
      if (send_numbered(seq, encoder_.logout(seq, realtime_ns(), text))) {
        state_ = FixSessionState::LoggingOut;
        deadline_ns_ = monotonic_ns() + options_.logout_timeout_ms * 1'000'000;
        LogFields f;
        log(LogLevel::Info, "fix_logout_sent", f.add("seq", seq));
      }
      return;
    }
    case FixSessionState::LoggingOut:
    case FixSessionState::Stopped:
      return;
    default:
      disconnect("stopped before logon", false);
      return;
  }
}

FixSession::Verdict FixSession::handle(std::string_view bytes, uint64_t& resend_begin) noexcept {
  if (!msg_.parse(bytes)) {
    ++stats_.garbled;
    LogFields f;
    log(LogLevel::Warn, "fix_message_ignored", f.add("error", msg_.error()));
    return Verdict::Ignore;
  }
  ++stats_.messages_in;
  const std::string_view type = msg_.msg_type();
  if (field_or(msg_, tag::SenderCompID) != options_.target_comp_id ||
      field_or(msg_, tag::TargetCompID) != options_.sender_comp_id) {
    ++stats_.comp_id_mismatch;
    send_logout_and_drop("CompID problem");
    return Verdict::Ignore;
  }
  const uint64_t seq = msg_.seq();
  const uint64_t expected = store_.next_target_seq();

  if (state_ == FixSessionState::AwaitingLogon) {
    if (type != "A") {
      send_logout_and_drop("the first message was not a Logon");
      return Verdict::Ignore;
    }
    if (msg_.get_char(tag::ResetSeqNumFlag) == 'Y' && !options_.reset_on_logon) {
      // The acceptor reset the session: its numbers and ours start again at 1 (its Logon is 1).
      if (!store_.reset(store_.next_sender_seq(), 1)) {
        disconnect("the FIX store cannot be written", false);
        return Verdict::Ignore;
      }
    }
    const uint64_t want = store_.next_target_seq();
    if (seq < want) {
      ++stats_.seq_too_low;
      LogFields f;
      log(LogLevel::Error, "fix_seq_too_low", f.add("expected", want).add("received", seq));
      send_logout_too_low(want, seq);
      return Verdict::Ignore;
    }
    state_ = FixSessionState::LoggedOn;
    ++stats_.logons;
    backoff_.reset();
    events_ |= kLoggedOn;
    LogFields f;
    log(LogLevel::Info, "fix_logged_on", f.add("in_seq", seq).add("out_seq", store_.next_sender_seq()));
    if (seq == want) consume_inbound(seq);
    else send_resend_request(want, seq);
    return Verdict::Ignore;
  }

  // SequenceReset-Reset: the number is set, whatever this message's own number is.
  if (type == "4" && msg_.get_char(tag::GapFillFlag) != 'Y') {
    const auto to = msg_.get_uint(tag::NewSeqNo);
    if (!to || *to < expected) {
      // Going back would process numbers twice (the rules: reject, keep the number).
      ++stats_.garbled;
      LogFields f;
      log(LogLevel::Warn, "fix_sequence_reset_refused", f.add("expected", expected).add("new_seq", to.value_or(0)));
      return Verdict::Ignore;
    }
    {
      if (store_.reset(store_.next_sender_seq(), *to)) {
        if (resend_until_ != 0 && *to > resend_until_) resend_until_ = 0;
        LogFields f;
        log(LogLevel::Warn, "fix_sequence_reset", f.add("from", expected).add("to", *to));
      }
    }
    return Verdict::Ignore;
  }
  // A ResendRequest is answered even when its own number is above the expected one: both sides
  // waiting for the other's resend would be a deadlock.
  if (type == "2") {
    ++stats_.resend_requests_in;
    const auto begin = msg_.get_uint(tag::BeginSeqNo);
    const uint64_t next = store_.next_sender_seq();
    if (begin && *begin > 0 && *begin < next) {
      if (send_unnumbered(encoder_.gap_fill(*begin, realtime_ns(), next))) ++stats_.gap_fills_out;
      resend_begin = *begin;
      LogFields f;
      log(LogLevel::Warn, "fix_gap_filled", f.add("from", *begin).add("to", next));
    }
  }
  if (seq > expected) {
    if (type == "5") {
      ++stats_.logouts_in;
      disconnect("Logout from the acceptor", true);
      return Verdict::Ignore;
    }
    ++stats_.above_expected_ignored;
    send_resend_request(expected, seq);
    return Verdict::Ignore;
  }
  if (seq < expected) {
    if (msg_.poss_dup()) {
      ++stats_.duplicates_ignored;
      return Verdict::Ignore;
    }
    ++stats_.seq_too_low;
    LogFields f;
    log(LogLevel::Error, "fix_seq_too_low", f.add("expected", expected).add("received", seq).add("type", type));
    send_logout_too_low(expected, seq);
    return Verdict::Ignore;
  }

  // In sequence.
  if (type == "4") {  // GapFill
    const auto to = msg_.get_uint(tag::NewSeqNo);
    if (!to || *to <= seq) {
      // A gap fill that does not move forward: nothing to skip (counted; the number is consumed).
      ++stats_.garbled;
      consume_inbound(seq);
      return Verdict::Ignore;
    }
    consume_inbound(*to - 1);
    return Verdict::Ignore;
  }
  if (!consume_inbound(seq)) return Verdict::Ignore;
  if (type == "0") {
    if (test_request_sent_ns_ != 0 && msg_.has(tag::TestReqID)) test_request_sent_ns_ = 0;
    return Verdict::Ignore;
  }
  if (type == "1") {
    const uint64_t out = store_.next_sender_seq();
    if (send_numbered(out, encoder_.heartbeat(out, realtime_ns(), field_or(msg_, tag::TestReqID)))) ++stats_.heartbeats_out;
    return Verdict::Ignore;
  }
  if (type == "2") return Verdict::Ignore;  // answered above
  if (type == "5") {
    if (state_ == FixSessionState::LoggingOut) {
      disconnect("logged out", false);
      return Verdict::Ignore;
    }
    ++stats_.logouts_in;
    LogFields f;
    log(LogLevel::Warn, "fix_logout_received", f.add("text", field_or(msg_, tag::Text)));
    const uint64_t out = store_.next_sender_seq();
    send_numbered(out, encoder_.logout(out, realtime_ns()));
    flush();
    disconnect("Logout from the acceptor", true);
    return Verdict::Ignore;
  }
  if (type == "3") {
    ++stats_.session_rejects_in;
    LogFields f;
    log(LogLevel::Warn, "fix_reject_received",
        f.add("ref_seq", field_or(msg_, tag::RefSeqNum)).add("reason", field_or(msg_, tag::SessionRejectReason)).add("text", field_or(msg_, tag::Text)));
    return Verdict::SessionReject;
  }
  if (type == "A") return Verdict::Ignore;  // a second Logon on a logged-on session
  return Verdict::Application;
}

}  // namespace tp::fix
