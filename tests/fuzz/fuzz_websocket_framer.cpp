// libFuzzer target: the WebSocket framer fed arbitrary bytes in arbitrary chunks, with every
// combination of permessage-deflate settings and both delivering (server) and counting (client)
// modes, and with holes (gap()) between chunks, then the end of the stream (finish()). The first 3
// input bytes choose the settings, the chunking and where the holes are.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "feed/decode_stats.hpp"
#include "feed/websocket_framer.hpp"

namespace {

struct Checker {
  std::size_t max_message;
  uint64_t sum = 0;
};

void on_message(void* ctx, const tp::feed::Message& m) noexcept {
  auto* c = static_cast<Checker*>(ctx);
  if (m.size > c->max_message) std::abort();
  for (std::size_t i = 0; i < m.size + tp::feed::kPayloadPadding; ++i) c->sum += static_cast<uint8_t>(m.data[i]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const uint8_t mode = data[0], chunking = data[1], bits = data[2];
  data += 3;
  size -= 3;
  tp::feed::DecodeStats stats{};
  const std::size_t max_message = (mode & 0x08) ? 300 : (1u << 20);
  tp::feed::WebSocketFramer framer(
      tp::feed::FramerOptions{.max_message_bytes = max_message, .initial_message_bytes = 128, .deliver = (mode & 0x01) == 0},
      &stats);
  framer.reset(tp::feed::DeflateParams{.enabled = (mode & 0x02) != 0,
                                       .no_context_takeover = (mode & 0x04) != 0,
                                       .window_bits = static_cast<uint8_t>(8 + bits % 8)});
  Checker checker{max_message};
  const tp::feed::MessageFn out{&checker, &on_message};
  // Chunk sizes cycle through a pattern derived from `chunking` (0 = everything at once).
  std::size_t pos = 0, i = 0;
  while (pos < size) {
    std::size_t n = chunking == 0 ? size : 1 + ((chunking * (i + 1) * 7919) % (chunking + 1u));
    if (n > size - pos) n = size - pos;
    // Mode bit 0x10: bytes were lost before some chunks (a TCP hole): the framer must drop what
    // straddles it and resynchronise without ever delivering garbage or reading out of bounds.
    if ((mode & 0x10) != 0 && i > 0 && i % (1u + (bits >> 3)) == 0) framer.gap();
    framer.feed(data + pos, n, static_cast<int64_t>(i), out);
    pos += n;
    ++i;
  }
  // The stream ends wherever the input does; a second end counts nothing more, and bytes after
  // it are ignored.
  framer.finish();
  const uint64_t truncated = stats[tp::feed::DecodeCounter::ws_truncated_at_end];
  framer.finish();
  if (size > 0) framer.feed(data, size, 0, out);
  if (stats[tp::feed::DecodeCounter::ws_truncated_at_end] != truncated || truncated > 1) std::abort();
  return 0;
}
