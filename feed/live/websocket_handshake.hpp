// The client side of the WebSocket opening handshake (RFC 6455 §4.1, RFC 7692 for the
// permessage-deflate offer), and the client's own frames (§5.3: always masked with a fresh,
// unpredictable key). Off the hot path: once per connection, and for the client's few messages
// (the subscribe request, pongs, pings, the close).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/types/ws_url.hpp"
#include "feed/http_upgrade.hpp"

namespace tp::feed {

struct ClientHandshake {
  std::string key;      // Sec-WebSocket-Key: base64 of 16 random bytes
  std::string request;  // the whole GET request, ending in CRLFCRLF
};

// `random16`: 16 bytes from a CSPRNG (the key must be unpredictable; tests pass fixed bytes).
ClientHandshake make_client_handshake(const WsUrl& url, bool offer_deflate, const uint8_t random16[16]);

// base64(SHA-1(key + the RFC 6455 GUID)): what the server must answer in Sec-WebSocket-Accept.
std::string websocket_accept(std::string_view key);

struct ServerHandshake {
  bool ok = false;
  int status = 0;            // the HTTP status code (0: not an HTTP response)
  std::string error;         // why it was refused, for the log and the reconnect decision
  WsExtensions extensions;   // what the server accepted (deflate only if we offered it)
};

// Checks the server's response head (status line to the blank line): 101, Upgrade: websocket,
// Connection: upgrade, the Sec-WebSocket-Accept for `key`, and extensions we offered.
ServerHandshake check_server_handshake(std::string_view head, std::string_view key, bool offered_deflate);

// Client frame opcodes (RFC 6455 §5.2).
inline constexpr uint8_t kWsText = 0x1;
inline constexpr uint8_t kWsClose = 0x8;
inline constexpr uint8_t kWsPing = 0x9;
inline constexpr uint8_t kWsPong = 0xA;

// Bytes a client frame of `len` payload bytes takes (header, mask key, payload).
constexpr std::size_t client_frame_size(std::size_t len) noexcept {
  return (len < 126 ? 2 : len < 65536 ? 4 : 10) + 4 + len;
}

// Writes one final, masked frame into `out` (client_frame_size(len) bytes); returns its size.
std::size_t encode_client_frame(uint8_t opcode, const uint8_t* payload, std::size_t len, const uint8_t mask[4],
                                uint8_t* out) noexcept;

}  // namespace tp::feed
