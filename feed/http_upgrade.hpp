// The HTTP/1.1 handshake in front of a WebSocket stream (RFC 6455 §4, RFC 7692 §5).
//
// HttpHeadCollector gathers one direction's head (request or status line plus headers, up to
// and including the blank line) across any segment boundaries, in a buffer sized once.
// parse_http_head() then says whether it is a request, a 101 switching to websocket, or something
// else, and what permessage-deflate parameters the server accepted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace tp::feed {

// The permessage-deflate agreement as the server's 101 states it. Window bits default to 15.
struct WsExtensions {
  bool deflate = false;
  bool server_no_context_takeover = false;
  bool client_no_context_takeover = false;
  uint8_t server_max_window_bits = 15;
  uint8_t client_max_window_bits = 15;
};

// Parses a Sec-WebSocket-Extensions value ("permessage-deflate; client_max_window_bits=10, x").
// Only the first permessage-deflate offer counts. Returns false for a malformed value: a window
// size outside 8..15, an unknown or repeated parameter of permessage-deflate.
bool parse_ws_extensions(std::string_view value, WsExtensions& out) noexcept;

enum class HttpHeadKind : uint8_t {
  Request,             // "GET ... HTTP/1.1"
  SwitchingProtocols,  // "HTTP/1.x 101" with "Upgrade: websocket"
  OtherResponse,       // any other status, or a 101 to something else (h2c, ...)
  Invalid,             // not an HTTP head
};

struct HttpHead {
  HttpHeadKind kind = HttpHeadKind::Invalid;
  bool upgrade_websocket = false;  // an Upgrade header names websocket
  bool extensions_ok = true;       // Sec-WebSocket-Extensions parsed (or absent)
  WsExtensions extensions;
};

// `head` runs from the first byte through the terminating CRLFCRLF.
HttpHead parse_http_head(std::string_view head) noexcept;

// A response head's status code ("HTTP/1.1 200 OK" -> 200): -1 when the first line is not
// "HTTP/1.x" followed by exactly three digits (and a space or the end of the line).
int http_status_code(std::string_view head) noexcept;
// The value of the first header line named `name` (case-insensitive), trimmed; false when there is
// none. Header lines only: the start line is never matched.
bool http_header_value(std::string_view head, std::string_view name, std::string_view& value) noexcept;

class HttpHeadCollector {
 public:
  enum class State : uint8_t { Collecting, Complete, NotHttp };

  explicit HttpHeadCollector(std::size_t max_head_bytes = 16 * 1024);

  void reset() noexcept;
  // Takes bytes up to and including the CRLFCRLF that ends the head; returns how many it took (the
  // rest belong to whatever follows the head). Once the state is not Collecting, takes nothing.
  // A stream that does not start like "GET " or "HTTP/", or a head longer than the bound, turns
  // NotHttp.
  std::size_t feed(const uint8_t* data, std::size_t len) noexcept;

  State state() const noexcept { return state_; }
  std::string_view head() const noexcept { return {buf_.get(), size_}; }

 private:
  std::unique_ptr<char[]> buf_;
  std::size_t capacity_;
  std::size_t size_ = 0;
  State state_ = State::Collecting;
};

}  // namespace tp::feed
