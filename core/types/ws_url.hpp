// A WebSocket URL (RFC 6455 §3): ws://host[:port][/path][?query] or wss://..., its HTTP sibling
// http:// / https:// and the cluster's redis:// (same grammar after the scheme). Parsed once, at start-up (the
// configuration's [live] url, [book] snapshot_url), so a typo is a configuration error, not a
// failed connection at run time.
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

// An http:// or https:// URL (the venue's REST API): the same parts, `tls` meaning https, the same
// default ports (80 / 443), parsed by the same code.
using HttpUrl = WsUrl;
std::optional<HttpUrl> parse_http_url(std::string_view text, std::string& why);

// The cluster's Redis ([cluster] redis_url): redis://host[:port][/db], port 6379 and database 0 by
// default. No user or password in it (cluster.password_env names where the password is), no TLS.
struct RedisUrl {
  std::string host;
  uint16_t port = 6379;
  int db = 0;
};
std::optional<RedisUrl> parse_redis_url(std::string_view text, std::string& why);

}  // namespace tp
