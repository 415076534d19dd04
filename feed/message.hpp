// One application message decoded from a byte source: the JSON text of a WebSocket message
// (after reassembly, de-fragmentation and decompression) or the payload of a UDP datagram.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tp::feed {

// Every Message's bytes stay readable (not necessarily zero) for at least this many bytes past
// size, so simdjson can parse them in place without a copy (SIMDJSON_PADDING is 64).
inline constexpr std::size_t kPayloadPadding = 64;

struct Message {
  const char* data;     // valid only for the duration of the on_message call
  std::size_t size;
  int64_t recv_ts_ns;   // capture time of the packet that completed the message (SPEC §9.1)

  std::string_view view() const noexcept { return {data, size}; }
};

}  // namespace tp::feed
