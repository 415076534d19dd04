#include "feed/live/live_feed.hpp"

#include "core/timing/wall_clock.hpp"

#include <poll.h>
#include <time.h>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <utility>

namespace tp::feed {

LiveFeed::LiveFeed(const LiveFeedOptions& options, TlsClientContext* tls, DecodeStats* stats)
    : options_(options),
      a_(options.connection, tls, stats),
      b_(options.connection, tls, stats),
      backoff_(options.reconnect_min_ms, options.reconnect_max_ms) {
  a_.set_recorder(options.recorder);
  b_.set_recorder(options.recorder);
}

void LiveFeed::schedule_retry() noexcept {
  const int64_t wait = backoff_.next_wait_ms();
  next_attempt_ms_ = monotonic_ms() + wait;
  LogFields f = fields();
  log(LogLevel::Info, "feed_reconnect_scheduled", f.add("in_ms", wait));
}

LogFields LiveFeed::fields() const noexcept {
  LogFields f;
  f.add("conn", options_.connection_index);
  f.add("host", options_.connection.url.host);
  f.add("port", static_cast<unsigned>(options_.connection.url.port));
  return f;
}

void LiveFeed::log(LogLevel level, const char* event, const LogFields& fields) noexcept {
  if (options_.log != nullptr) options_.log->post(level, event, fields);
}

void LiveFeed::log_lost(const char* why) noexcept {
  LogFields f = fields();
  log(LogLevel::Warn, "feed_disconnected", f.add("reason", why));
}

bool LiveFeed::attempt(WsConnection& c) noexcept {
  try {
    if (options_.heartbeat != nullptr) options_.heartbeat->set_waiting(true);
    const WsConnectResult r = c.connect(options_.connect_timeout_ms);
    if (options_.heartbeat != nullptr) options_.heartbeat->set_waiting(false);
    stats_.last_http_status = static_cast<uint64_t>(r.http_status < 0 ? 0 : r.http_status);
    if (!r.ok) {
      ++stats_.connect_failures;
      if (r.http_status != 0 && r.http_status != 101) ++stats_.refused_upgrades;
      last_error_ = r.error;
      last_error_ms_ = monotonic_ms();
      LogFields f = fields();
      f.add("http_status", r.http_status).add("error", r.error);
      log(r.certificate_error ? LogLevel::Error : LogLevel::Warn, "feed_connect_failed", f);
      if (r.certificate_error) fatal_ = r.error;
      return false;
    }
    ++stats_.connects;
    LogFields f = fields();
    log(LogLevel::Info, "feed_connected", f.add("connects", stats_.connects.load()).add("deflate", c.extensions().deflate));
    last_ping_ms_ = monotonic_ms();
    for (const std::string& m : options_.subscribe) {
      if (!c.send_text(m)) {
        last_error_ = "the connection failed while subscribing";
        last_error_ms_ = monotonic_ms();
        return false;
      }
      ++stats_.subscribe_messages;
    }
    backoff_.reset();  // a connection that subscribed resets the backoff
    return true;
  } catch (const std::exception& e) {  // allocation failure while connecting: retry later
    ++stats_.connect_failures;
    last_error_ = e.what();
    last_error_ms_ = monotonic_ms();
    return false;
  }
}

// The venue's own announcement of a planned close: {"e":"serverShutdown",...} (Binance).
void LiveFeed::on_message(void* self, const Message& m) noexcept {
  auto* f = static_cast<LiveFeed*>(self);
  static constexpr char kShutdown[] = "{\"e\":\"serverShutdown\"";
  if (m.size >= sizeof kShutdown - 1 && m.data[1] == '"' && m.data[2] == 'e' &&
      std::memcmp(m.data, kShutdown, sizeof kShutdown - 1) == 0) {
    ++f->stats_.server_shutdowns;
    f->log(LogLevel::Info, "feed_server_shutdown", f->fields());
    f->rotate_ = true;
  }
  // A subscription's acknowledgement is not data: a new connection has flowed once data arrives.
  static constexpr std::string_view kAck = "{\"result\":";
  static constexpr std::string_view kCoinbaseAck = "{\"type\":\"subscriptions\"";
  const std::string_view v = m.view();
  if (v.substr(0, kAck.size()) != kAck && v.substr(0, kCoinbaseAck.size()) != kCoinbaseAck) f->delivered_ = true;
  f->out_(m);
}

void LiveFeed::start_rotation() noexcept {
  if (monotonic_ms() < next_try_ms_) return;
  log(LogLevel::Info, "feed_rotation_started", fields());
  if (!attempt(*next_)) {
    // The old connection still delivers: try again after the backoff, no data is lost meanwhile.
    next_try_ms_ = monotonic_ms() + backoff_.next_wait_ms();
  }
}

bool LiveFeed::step_with(MessageFn out) noexcept {
  const bool ok = step_once(out);
  // For /health and /metrics: whether the connection we trade on is up (one relaxed store).
  const uint64_t up = active_->open() ? 1 : 0;
  if (stats_.connections_open.load() != up) stats_.connections_open = up;
  return ok;
}

bool LiveFeed::step_once(MessageFn out) noexcept {
  if (!fatal_.empty()) return false;
  out_ = out;
  const MessageFn mine{this, &LiveFeed::on_message};
  if (!active_->open()) {
    if (next_->open()) {  // the old one ended during a switch: the new one takes over at once
      std::swap(active_, next_);
      active_since_ms_ = monotonic_ms();
      rotate_ = false;
      ++stats_.rotations;
      return true;
    }
    if (monotonic_ms() >= next_attempt_ms_) {
      if (attempt(*active_)) {
        active_since_ms_ = monotonic_ms();
        rotate_ = false;
      } else if (fatal_.empty()) {
        active_->close(1000);
        schedule_retry();
      }
      return fatal_.empty();
    }
    if (!options_.busy_poll) ::poll(nullptr, 0, 1);  // waiting out the backoff
    return true;
  }
  if (!rotate_ && monotonic_ms() - active_since_ms_ > options_.rotate_after_ms) rotate_ = true;
  if (rotate_ && !next_->open()) start_rotation();
  if (!fatal_.empty()) return false;

  if (options_.stamp_packets) packet_tsc_ = tsc_now();
  const WsConnection::ReadStatus st = active_->read(mine);
  if (next_->open()) {
    delivered_ = false;
    next_->read(mine);
    if (delivered_) {
      // The new connection flows: it becomes the one we trade on. What the old one still holds is
      // read first (the overlap filter drops what both delivered), then it says goodbye.
      while (active_->read(mine) == WsConnection::ReadStatus::Data) {
      }
      active_->close(1000);
      std::swap(active_, next_);
      active_since_ms_ = monotonic_ms();
      rotate_ = false;
      ++stats_.rotations;
      log(LogLevel::Info, "feed_rotated", fields());
      return true;
    }
  }
  if (st == WsConnection::ReadStatus::Closed) {
    ++stats_.disconnects;
    log_lost(active_->close_reason());
    if (!next_->open()) schedule_retry();
    return true;
  }
  if (st == WsConnection::ReadStatus::WouldBlock) {
    const int64_t quiet_ms = (realtime_ns() - active_->last_activity_ns()) / 1'000'000;
    if (quiet_ms > options_.stale_after_ms) {
      ++stats_.disconnects;
      ++stats_.silence_timeouts;
      active_->close(1001);
      log_lost("no data for stale_after_ms");
      if (!next_->open()) schedule_retry();
      return true;
    }
    // Our own ping when the venue has been quiet for a third of the limit: keeps proxies and NAT
    // tables from dropping a quiet connection, and satisfies a venue that expects client traffic.
    const int64_t now = monotonic_ms();
    // At most one a second: Binance allows a client 5 messages a second (SPEC 10.7), pongs included.
    if (quiet_ms > options_.stale_after_ms / 3 && now - last_ping_ms_ > std::max<int64_t>(options_.stale_after_ms / 3, 1000)) {
      last_ping_ms_ = now;
      ++stats_.pings_sent;
      active_->send_ping("tickpipe");
    }
    if (!options_.busy_poll && !next_->open()) {
      pollfd p{active_->fd(), POLLIN, 0};
      ::poll(&p, 1, 1);
    }
  }
  return true;
}

}  // namespace tp::feed
