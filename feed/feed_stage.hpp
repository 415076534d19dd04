// FeedStage: the feed thread's stage. Bytes from a source - a capture through the decoding chain
// (CaptureDecoder), or a live connection (feed/live/LiveFeed) - each message optionally to
// --dump-messages, then through the venue normalizer; every market event goes to the EventSink (a
// ring push in threaded mode, the rest of the pipeline called directly in deterministic mode). No
// allocation per message. A Source has `template <class S> bool step(S&)` (false: nothing more)
// and `uint64_t packet_tsc()` (the TSC when the bytes of the current read became available).
#pragma once

#include <string>
#include <type_traits>

#include "core/types/events.hpp"
#include "core/timing/pipeline_latency.hpp"
#include "feed/binance_normalizer.hpp"
#include "feed/book/book_feed.hpp"
#include "feed/capture_decoder.hpp"
#include "feed/live/overlap_filter.hpp"
#include "feed/message_dump.hpp"
#include "feed/replay_pacer.hpp"

namespace tp::feed {

template <typename Normalizer, typename EventSink, typename Source = CaptureDecoder>
class FeedStage {
  using Sync = typename BookSyncOf<Normalizer>::type;
  static constexpr bool kHasBook = !std::is_void_v<Sync>;

 public:
  // The order books ([book]); void for a venue that has none.
  using Book = std::conditional_t<kHasBook, BookFeed<std::conditional_t<kHasBook, Sync, BinanceBookSync>>, void>;

  // `latency`: stamp events and record the decode stage (the source must stamp packets); null: off.
  FeedStage(Source& decoder, Normalizer& normalizer, MessageDump* dump, EventSink& sink,
            ReplayPacer pacer = ReplayPacer{}, PipelineLatency* latency = nullptr) noexcept
      : decoder_(decoder), handler_{decoder, normalizer, dump, sink, pacer, latency} {}

  // Calls `fn(ctx)` once, on this thread, when `after` messages have been decoded.
  void on_warm(void (*fn)(void*) noexcept, void* ctx, uint64_t after) noexcept {
    handler_.warm_fn = fn;
    handler_.warm_ctx = ctx;
    handler_.warm_after = after;
  }

  // Decodes one packet; false at the end of the current capture.
  bool step() {
    if (handler_.pacer.per_packet()) handler_.pacer.wait_for(0);
    return decoder_.step(handler_);
  }
  uint64_t events() const noexcept { return handler_.events; }
  // Drops events a make-before-break overlap repeats (feed/live/overlap_filter.hpp); null: none.
  void set_overlap_filter(OverlapFilter* f) noexcept { handler_.overlap = f; }
  // Depth messages go to `book` (feed/book/book_feed.hpp); null (the default): counted only.
  void set_book(Book* book) noexcept { handler_.book = book; }

 private:
  struct Handler {
    const Source& decoder;
    Normalizer& normalizer;
    MessageDump* dump;
    EventSink& sink;
    ReplayPacer pacer;
    PipelineLatency* latency;
    OverlapFilter* overlap = nullptr;
    Book* book = nullptr;
    uint64_t events = 0;
    uint64_t messages = 0;  // every message decoded, events or not (warm-up counts these)
    void (*warm_fn)(void*) noexcept = nullptr;
    void* warm_ctx = nullptr;
    uint64_t warm_after = 0;

    void on_message(const Message& m) noexcept {
      ++messages;
      if (warm_fn != nullptr && messages > warm_after) [[unlikely]] {
        warm_fn(warm_ctx);
        warm_fn = nullptr;
      }
      if (!pacer.per_packet()) pacer.wait_for(m.recv_ts_ns);
      if (dump != nullptr) dump->write(m);
      MarketEvent ev;
      if (!normalizer.normalize(m, ev)) {
        if constexpr (kHasBook) {
          if (book != nullptr) {
            if (const DepthUpdate* d = normalizer.depth(); d != nullptr) {
              book->on_depth(*d, [this](const MarketEvent& e) noexcept { deliver(e); });
              return;
            }
          }
        }
        const int64_t ts = normalizer.clock_only_ts_ns();
        if (ts < 0) return;
        ev = make_clock(kNoSymbol, ts, m.recv_ts_ns);
      } else if (overlap != nullptr && !overlap->fresh(ev)) {
        return;
      } else if constexpr (kHasBook) {
        if (book != nullptr && ev.kind == EventKind::BookTop &&
            !book->admit_top(ev, [this](const MarketEvent& e) noexcept { deliver(e); })) {
          return;
        }
      }
      deliver(ev);
    }

    // One market event to the sink. Book level events carry no latency stamp: the BookTop or Clock
    // event that ends their venue message does.
    void deliver(const MarketEvent& e) noexcept {
      ++events;
      if (latency != nullptr && messages > latency->warmup_messages && e.kind != EventKind::BookLevel) {
        MarketEvent ev = e;
        const uint64_t t0 = decoder.packet_tsc();
        latency->decode.record(TscClock::to_ns(tsc_now() - t0));
        ev.tsc_bytes = ride_stamp(t0);
        sink.on_event(ev);
        return;
      }
      sink.on_event(e);
    }
  };

  Source& decoder_;
  Handler handler_;
};

}  // namespace tp::feed
