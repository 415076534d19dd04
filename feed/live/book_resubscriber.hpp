// BookResubscriber: the live byte source when Coinbase order books are kept (docs/order-book.md).
// Coinbase's level2 channel sends a product's snapshot only when it is subscribed, and numbers
// nothing, so a book that crossed (an update was missed) can only come back through a new
// subscription. Before each step of the live feed it wraps, on the feed thread, it looks for
// products whose book needs a snapshot and resubscribes each one's level2 channel (unsubscribe,
// then subscribe, on the connection that carries it); the venue's new snapshot then reloads the
// book through the ordinary path (CoinbaseBookSync: a snapshot always reloads).
//
// A product is resubscribed at most once per `min_interval_ms`, counted from the session's own
// subscription too: a book waiting for the snapshot a (re)connection's subscription asked for is
// left alone for that long. The messages are made at construction: a resubscription writes to the
// socket (and the --record file) and allocates nothing. Resubscriptions are counted and logged.
//
// Same interface as the sources it wraps (step(sink), packet_tsc()).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/telemetry/event_log.hpp"
#include "core/timing/wall_clock.hpp"
#include "feed/book/book_feed.hpp"
#include "feed/live/subscribe_request.hpp"

namespace tp::feed {

template <typename Inner>
class BookResubscriber {
 public:
  // `products[id]`: SymbolId id's product name; `channel`: the level2 channel subscribed ("level2" or
  // "level2_batch"). `log`: null for none.
  BookResubscriber(Inner& inner, const BookFeedBase& books, const std::vector<std::string>& products,
                   const std::string& channel, int64_t min_interval_ms, EventLog* log)
      : inner_(inner), books_(books), min_interval_ms_(min_interval_ms), log_(log) {
    const int64_t now = monotonic_ms();
    for (const std::string& p : products) {
      messages_.push_back({coinbase_subscribe({p}, {channel}, /*unsubscribe=*/true), coinbase_subscribe({p}, {channel}),
                           p});
      last_ms_.push_back(now);
    }
  }

  template <class Sink>
  bool step(Sink& sink) noexcept {
    for (SymbolId id = 0; id < books_.symbols() && id < messages_.size(); ++id) {
      if (!books_.needs_snapshot(id)) continue;
      const int64_t now = monotonic_ms();
      if (now - last_ms_[id] < min_interval_ms_) continue;
      last_ms_[id] = now;
      const Messages& m = messages_[id];
      // Coinbase takes every product on one connection (member 0).
      const bool sent = inner_.send_text(0, m.unsubscribe) && inner_.send_text(0, m.subscribe);
      if (sent) ++resubscribes_;
      if (log_ != nullptr) {
        LogFields f;
        log_->post(sent ? LogLevel::Info : LogLevel::Warn, "book_resubscribe",
                   f.add("symbol", m.product).add("sent", sent).add("resubscribes", resubscribes_));
      }
    }
    return inner_.step(sink);
  }

  uint64_t packet_tsc() const noexcept { return inner_.packet_tsc(); }
  uint64_t resubscribes() const noexcept { return resubscribes_; }

 private:
  struct Messages {
    std::string unsubscribe, subscribe, product;
  };
  Inner& inner_;
  const BookFeedBase& books_;
  int64_t min_interval_ms_;
  EventLog* log_;
  std::vector<Messages> messages_;
  std::vector<int64_t> last_ms_;
  uint64_t resubscribes_ = 0;
};

}  // namespace tp::feed
