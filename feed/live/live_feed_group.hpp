// LiveFeedGroup: the live byte source when the subscription is spread over several connections
// (SPEC §10.7: Binance takes at most 1024 streams on one connection). Each member is a LiveFeed
// with its own share of the symbols, its own reconnects, backoff and make-before-break; a symbol
// lives on exactly one connection, so its messages keep their order and the overlap filter's
// per-symbol rule still holds. One connection - the common case - is read directly, exactly as
// before; with several, each step reads every member once and, when none had anything and the
// feed thread does not busy-spin, sleeps in one poll() over all their sockets.
//
// A member that reconnects blocks the step for its connect (at most connect_timeout_ms): the
// other connections' data waits in their kernel buffers meanwhile and is read afterwards, so
// nothing is lost, only late.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "feed/live/live_feed.hpp"

namespace tp::feed {

class LiveFeedGroup {
 public:
  // One member per entry of `subscribe_per_connection` (the subscribe messages of that
  // connection); `options.subscribe` is ignored.
  LiveFeedGroup(const LiveFeedOptions& options, const std::vector<std::vector<std::string>>& subscribe_per_connection,
                TlsClientContext* tls, DecodeStats* stats);

  template <class Sink>
  bool step(Sink& sink) noexcept {
    return step_with(MessageFn{&sink, [](void* ctx, const Message& m) noexcept { static_cast<Sink*>(ctx)->on_message(m); }});
  }
  bool step_with(MessageFn out) noexcept;

  uint64_t packet_tsc() const noexcept { return current_->packet_tsc(); }
  std::size_t size() const noexcept { return feeds_.size(); }
  const LiveFeed& member(std::size_t i) const noexcept { return *feeds_[i]; }
  // Every member's counters added up.
  LiveFeedStats stats() const noexcept;
  // The first member's fatal error ("" while none).
  const std::string& fatal_error() const noexcept;
  // The most recent connection problem of any member ("" when none).
  const std::string& last_error() const noexcept;
  void close() noexcept;
  // Sends `text` on member `i`'s active connection (LiveFeed::send_text).
  bool send_text(std::size_t i, std::string_view text) noexcept { return i < feeds_.size() && feeds_[i]->send_text(text); }

 private:
  static void on_message(void* self, const Message& m) noexcept;

  std::vector<std::unique_ptr<LiveFeed>> feeds_;
  LiveFeed* current_ = nullptr;  // the member being read (packet_tsc of the bytes being decoded)
  bool busy_poll_;
  MessageFn out_;
  bool delivered_ = false;       // a member delivered a message during this step
  std::string none_;
};

}  // namespace tp::feed
