// libFuzzer target: what a live connection parses from outside before the first frame - the
// server's answer to the WebSocket upgrade (check_server_handshake, with and without a
// permessage-deflate offer) and a configured URL (parse_ws_url). Arbitrary bytes must give a
// clear refusal or an answer consistent with itself, never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/types/ws_url.hpp"
#include "feed/live/websocket_handshake.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const bool offered : {false, true}) {
    const tp::feed::ServerHandshake h = tp::feed::check_server_handshake(text, "dGhlIHNhbXBsZSBub25jZQ==", offered);
    if (h.ok && (h.status != 101 || !h.error.empty())) std::abort();
    if (!h.ok && h.error.empty()) std::abort();
    if (h.ok && h.extensions.deflate && !offered) std::abort();
  }
  std::string why;
  if (const auto url = tp::parse_ws_url(text, why)) {
    if (url->host.empty() || url->port == 0 || url->target.empty() || url->target.front() != '/') std::abort();
    (void)url->host_header();
  } else if (why.empty()) {
    std::abort();
  }
  return 0;
}
