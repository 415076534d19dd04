// A WebSocket URL (RFC 6455 §3): ws://host[:port][/path][?query] or wss://... Parsed once, at
// start-up (the configuration's [live] url), so a typo is a configuration error, not a failed
// connection at run time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tp {

struct WsUrl {
  bool tls = false;       // wss
  std::string host;       // a name, an IPv4 address, or an IPv6 address without its brackets
  uint16_t port = 0;      // explicit, or 80 (ws) / 443 (wss)
  std::string target;     // path and query as sent in the request line ("/" when absent)

  // "host:port" for the Host header (brackets around IPv6; the port only when not the default).
  std::string host_header() const;
};

// Returns the URL, or nullopt with `why` set (a sentence naming what is wrong).
std::optional<WsUrl> parse_ws_url(std::string_view text, std::string& why);

}  // namespace tp
