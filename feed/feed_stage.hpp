// FeedStage: the feed thread's stage. Bytes from a capture go through the decoding chain
// (CaptureDecoder), each message optionally to --dump-messages, then through the venue
// normalizer; every market event goes to the EventSink (a ring push in threaded mode, the rest
// of the pipeline called directly in deterministic mode). No allocation per message.
#pragma once

#include <string>

#include "core/events.hpp"
#include "feed/binance_normalizer.hpp"
#include "feed/capture_decoder.hpp"
#include "feed/message_dump.hpp"
#include "feed/replay_pacer.hpp"

namespace tp::feed {

template <typename Normalizer, typename EventSink>
class FeedStage {
 public:
  FeedStage(CaptureDecoder& decoder, Normalizer& normalizer, MessageDump* dump, EventSink& sink,
            ReplayPacer pacer = ReplayPacer{}) noexcept
      : decoder_(decoder), handler_{normalizer, dump, sink, pacer} {}

  // Decodes one packet; false at the end of the current capture.
  bool step() { return decoder_.step(handler_); }
  uint64_t events() const noexcept { return handler_.events; }

 private:
  struct Handler {
    Normalizer& normalizer;
    MessageDump* dump;
    EventSink& sink;
    ReplayPacer pacer;
    uint64_t events = 0;

    void on_message(const Message& m) noexcept {
      pacer.wait_for(m.recv_ts_ns);
      if (dump != nullptr) dump->write(m);
      MarketEvent ev;
      if (normalizer.normalize(m, ev)) {
        ++events;
        sink.on_event(ev);
      } else if (const int64_t ts = normalizer.clock_only_ts_ns(); ts >= 0) {
        ++events;
        sink.on_event(make_clock(kNoSymbol, ts, m.recv_ts_ns));
      }
    }
  };

  CaptureDecoder& decoder_;
  Handler handler_;
};

}  // namespace tp::feed
