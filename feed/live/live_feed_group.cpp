#include "feed/live/live_feed_group.hpp"

#include <poll.h>

namespace tp::feed {

LiveFeedGroup::LiveFeedGroup(const LiveFeedOptions& options,
                             const std::vector<std::vector<std::string>>& subscribe_per_connection,
                             TlsClientContext* tls, DecodeStats* stats)
    : busy_poll_(options.busy_poll) {
  const std::size_t n = subscribe_per_connection.size();
  feeds_.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    LiveFeedOptions o = options;
    o.subscribe = subscribe_per_connection[i];
    o.connection_index = static_cast<int>(i + 1);
    // The group waits for all members at once; a member must not sleep on its own socket.
    if (n > 1) o.busy_poll = true;
    feeds_.push_back(std::make_unique<LiveFeed>(o, tls, stats));
  }
  current_ = feeds_.front().get();
}

void LiveFeedGroup::on_message(void* self, const Message& m) noexcept {
  auto* g = static_cast<LiveFeedGroup*>(self);
  g->delivered_ = true;
  g->out_(m);
}

bool LiveFeedGroup::step_with(MessageFn out) noexcept {
  if (feeds_.size() == 1) return feeds_.front()->step_with(out);
  out_ = out;
  delivered_ = false;
  const MessageFn mine{this, &LiveFeedGroup::on_message};
  for (const auto& f : feeds_) {
    current_ = f.get();
    if (!f->step_with(mine)) return false;
  }
  if (!delivered_ && !busy_poll_) {
    // Nothing anywhere: sleep until any socket has bytes, at most 1 ms (backoffs and the silence
    // watchdog are checked by the next step). Two sockets per member; the config's largest
    // subscription (4096 symbols x 5 streams) needs 21 members, 42 sockets.
    pollfd fds[64];
    nfds_t k = 0;
    for (const auto& f : feeds_) {
      for (const int fd : {f->active_fd(), f->next_fd()})
        if (fd >= 0 && k < sizeof fds / sizeof fds[0]) fds[k++] = pollfd{fd, POLLIN, 0};
    }
    ::poll(fds, k, 1);
  }
  return true;
}

LiveFeedStats LiveFeedGroup::stats() const noexcept {
  LiveFeedStats t;
  for (const auto& f : feeds_) {
    const LiveFeedStats& s = f->stats();
    t.connects += s.connects;
    t.connect_failures += s.connect_failures;
    t.refused_upgrades += s.refused_upgrades;
    t.disconnects += s.disconnects;
    t.silence_timeouts += s.silence_timeouts;
    t.subscribe_messages += s.subscribe_messages;
    t.pings_sent += s.pings_sent;
    t.server_shutdowns += s.server_shutdowns;
    t.rotations += s.rotations;
    t.connections_open += s.connections_open;
    if (s.last_http_status.load() != 0) t.last_http_status = s.last_http_status.load();
  }
  return t;
}

const std::string& LiveFeedGroup::fatal_error() const noexcept {
  for (const auto& f : feeds_)
    if (!f->fatal_error().empty()) return f->fatal_error();
  return none_;
}

const std::string& LiveFeedGroup::last_error() const noexcept {
  const LiveFeed* latest = nullptr;
  for (const auto& f : feeds_)
    if (f->last_error_ms() != 0 && (latest == nullptr || f->last_error_ms() > latest->last_error_ms())) latest = f.get();
  return latest != nullptr ? latest->last_error() : none_;
}

void LiveFeedGroup::close() noexcept {
  for (const auto& f : feeds_) f->close();
}

}  // namespace tp::feed
