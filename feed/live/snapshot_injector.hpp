// SnapshotInjector: the live byte source when the order books need REST depth snapshots (Binance,
// docs/order-book.md). It wraps the live feed (LiveFeedGroup) and, on the feed thread, before each
// step of it:
//
// - hands a snapshot the fetcher has ready to the stage as one more message, exactly as if it had
//   come on the WebSocket (the normalizer reads it, the symbol's BookFeed joins it to the buffered
//   diffs), and writes it to the --record file as a message connection of its own at this very
//   point (SessionRecorder::message_connection), so a replay meets it between the same two
//   messages and makes the same decisions;
// - asks the fetcher for the snapshot of every symbol whose book needs one (lost, or diffs waiting
//   for one). The fetcher ignores a request for a symbol it is already working on, so asking on
//   every step is cheap (one byte and one atomic read per symbol).
//
// The fetch itself runs on the fetcher's thread (HTTP over the same TLS code as the feed): the feed
// thread never waits for the venue's REST API.
//
// Same interface as the sources it wraps (step(sink), packet_tsc()). Hot path: no allocation, no
// lock; the message's bytes are the fetcher's buffer until release().
#pragma once

#include <cstdint>

#include "core/timing/tsc_clock.hpp"
#include "core/timing/wall_clock.hpp"
#include "feed/book/book_feed.hpp"
#include "feed/live/depth_snapshot_fetcher.hpp"
#include "feed/live/session_recorder.hpp"
#include "feed/message.hpp"

namespace tp::feed {

template <typename Inner>
class SnapshotInjector {
 public:
  // `recorder`: null when the session is not recorded.
  SnapshotInjector(Inner& inner, DepthSnapshotFetcher& fetcher, const BookFeedBase& books,
                   SessionRecorder* recorder) noexcept
      : inner_(inner), fetcher_(fetcher), books_(books), recorder_(recorder) {}

  template <class Sink>
  bool step(Sink& sink) noexcept {
    if (const DepthSnapshotBody* b = fetcher_.poll()) {
      // The receive time is now: the moment the engine uses the snapshot, which is also when the
      // recording places it (a file whose packets keep their time order).
      const int64_t now = realtime_ns();
      injected_tsc_ = tsc_now();
      injecting_ = true;
      if (recorder_ != nullptr) {
        recorder_->message_connection(b->local, b->remote, b->host, b->target, b->data, b->len, now);
      }
      sink.on_message(Message{reinterpret_cast<const char*>(b->data), b->len, now});
      injecting_ = false;
      fetcher_.release();
      ++injected_;
    }
    for (SymbolId id = 0; id < books_.symbols(); ++id) {
      if (books_.needs_snapshot(id)) fetcher_.request(id);
    }
    return inner_.step(sink);
  }

  // The TSC when the bytes of the message being decoded became available (latency stamp t0).
  uint64_t packet_tsc() const noexcept { return injecting_ ? injected_tsc_ : inner_.packet_tsc(); }
  uint64_t injected() const noexcept { return injected_; }

 private:
  Inner& inner_;
  DepthSnapshotFetcher& fetcher_;
  const BookFeedBase& books_;
  SessionRecorder* recorder_;
  uint64_t injected_tsc_ = 0;
  bool injecting_ = false;
  uint64_t injected_ = 0;
};

}  // namespace tp::feed
