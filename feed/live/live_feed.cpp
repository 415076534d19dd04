#include "feed/live/live_feed.hpp"

#include "core/timing/wall_clock.hpp"

#include <poll.h>
#include <time.h>

#include <cstdio>

namespace tp::feed {

LiveFeed::LiveFeed(const LiveFeedOptions& options, TlsClientContext* tls, DecodeStats* stats)
    : options_(options),
      conn_(options.connection, tls, stats),
      backoff_ms_(options.reconnect_min_ms),
      rng_(std::random_device{}()) {
  conn_.set_recorder(options.recorder);
}

void LiveFeed::schedule_retry() noexcept {
  // Full jitter over the upper half: many engines that lost the venue at the same moment do not
  // come back at the same moment.
  std::uniform_int_distribution<int64_t> jitter(backoff_ms_ / 2, backoff_ms_);
  const int64_t wait = jitter(rng_);
  next_attempt_ms_ = monotonic_ms() + wait;
  backoff_ms_ = std::min(backoff_ms_ * 2, options_.reconnect_max_ms);
  if (options_.log) std::fprintf(stderr, "tickpipe: live: reconnecting in %lld ms\n", static_cast<long long>(wait));
}

void LiveFeed::log_lost(const char* why) noexcept {
  if (options_.log) std::fprintf(stderr, "tickpipe: live: connection lost: %s\n", why);
}

void LiveFeed::attempt() noexcept {
  try {
    const WsConnectResult r = conn_.connect(options_.connect_timeout_ms);
    stats_.last_http_status = r.http_status;
    if (!r.ok) {
      ++stats_.connect_failures;
      if (r.http_status != 0 && r.http_status != 101) ++stats_.refused_upgrades;
      last_error_ = r.error;
      if (options_.log) std::fprintf(stderr, "tickpipe: live: %s\n", r.error.c_str());
      if (r.certificate_error) {
        fatal_ = r.error;
        return;
      }
      schedule_retry();
      return;
    }
    ++stats_.connects;
    if (options_.log)
      std::fprintf(stderr, "tickpipe: live: connected to %s:%u (connection %llu)\n", options_.connection.url.host.c_str(),
                   static_cast<unsigned>(options_.connection.url.port), static_cast<unsigned long long>(stats_.connects));
    last_ping_ms_ = monotonic_ms();
    for (const std::string& m : options_.subscribe) {
      if (!conn_.send_text(m)) {
        last_error_ = "the connection failed while subscribing";
        schedule_retry();
        return;
      }
      ++stats_.subscribe_messages;
    }
    backoff_ms_ = options_.reconnect_min_ms;  // a connection that subscribed resets the backoff
  } catch (const std::exception& e) {  // allocation failure while connecting: retry later
    ++stats_.connect_failures;
    last_error_ = e.what();
    schedule_retry();
  }
}

bool LiveFeed::step_with(MessageFn out) noexcept {
  if (!fatal_.empty()) return false;
  if (!conn_.open()) {
    if (monotonic_ms() >= next_attempt_ms_) {
      attempt();
      return fatal_.empty();
    }
    ::poll(nullptr, 0, 1);  // waiting out the backoff
    return true;
  }
  if (options_.stamp_packets) packet_tsc_ = tsc_now();
  const WsConnection::ReadStatus st = conn_.read(out);
  if (st == WsConnection::ReadStatus::Closed) {
    ++stats_.disconnects;
    log_lost(conn_.close_reason());
    schedule_retry();
    return true;
  }
  if (st == WsConnection::ReadStatus::WouldBlock) {
    const int64_t quiet_ms = (realtime_ns() - conn_.last_activity_ns()) / 1'000'000;
    if (quiet_ms > options_.stale_after_ms) {
      ++stats_.disconnects;
      ++stats_.silence_timeouts;
      conn_.close(1001);
      log_lost("no byte for stale_after_ms");
      schedule_retry();
      return true;
    }
    // Our own ping when the venue has been quiet for a third of the limit: keeps proxies and NAT
    // tables from dropping a quiet connection, and a venue that expects client traffic content.
    const int64_t now = monotonic_ms();
    if (quiet_ms > options_.stale_after_ms / 3 && now - last_ping_ms_ > options_.stale_after_ms / 3) {
      last_ping_ms_ = now;
      ++stats_.pings_sent;
      conn_.send_ping("tickpipe");
    }
    if (!options_.busy_poll) {
      pollfd p{conn_.fd(), POLLIN, 0};
      ::poll(&p, 1, 1);
    }
  }
  return true;
}

}  // namespace tp::feed
