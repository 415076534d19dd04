#include "core/types/ws_url.hpp"

#include <charconv>

namespace tp {

std::string WsUrl::host_header() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  std::string h;
  if (ipv6) h += '[';
  h += host;
  if (ipv6) h += ']';
  if (port != (tls ? 443 : 80)) {
    h += ':';
    h += std::to_string(port);
  }
  return h;
}

namespace {

// Parses `text` as <plain>://... or <secure>://... (e.g. "ws" / "wss"); the rest of the grammar is
// the same for both families.
std::optional<WsUrl> parse_url(std::string_view text, std::string_view plain, std::string_view secure,
                               std::string& why, uint16_t plain_port = 80, uint16_t secure_port = 443) {
  WsUrl u;
  std::string_view rest;
  auto has_scheme = [&](std::string_view scheme) {
    return text.size() >= scheme.size() + 3 && text.substr(0, scheme.size()) == scheme &&
           text.substr(scheme.size(), 3) == "://";
  };
  if (has_scheme(plain)) {
    rest = text.substr(plain.size() + 3);
  } else if (has_scheme(secure)) {
    u.tls = true;
    rest = text.substr(secure.size() + 3);
  } else {
    why = std::string("must start with ") + std::string(plain) + ":// or " + std::string(secure) + "://";
    return std::nullopt;
  }
  const std::size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  std::string_view target = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) {
    why = "must not carry a user name or password";
    return std::nullopt;
  }
  if (text.find('#') != std::string_view::npos) {
    why = "must not have a fragment ('#')";
    return std::nullopt;
  }
  for (const char c : text) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      why = "must not contain spaces or control or non-ASCII characters (percent-encode them)";
      return std::nullopt;
    }
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      why = "has an IPv6 address without its closing ']'";
      return std::nullopt;
    }
    u.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        why = "has something other than ':port' after the IPv6 address";
        return std::nullopt;
      }
      port_text = after.substr(1);
      if (port_text.empty()) port_text = "x";  // "[::1]:" is not a port
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) port_text = "x";
    }
  }
  if (u.host.empty()) {
    why = "has no host";
    return std::nullopt;
  }
  u.port = u.tls ? secure_port : plain_port;
  if (!port_text.empty()) {
    unsigned v = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), v);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || v == 0 || v > 65535) {
      why = "has a port that is not a number from 1 to 65535";
      return std::nullopt;
    }
    u.port = static_cast<uint16_t>(v);
  }
  if (target.empty() || target.front() == '?') u.target.push_back('/');
  u.target += target;
  return u;
}

}  // namespace

std::optional<WsUrl> parse_ws_url(std::string_view text, std::string& why) { return parse_url(text, "ws", "wss", why); }

std::optional<HttpUrl> parse_http_url(std::string_view text, std::string& why) {
  return parse_url(text, "http", "https", why);
}

std::optional<RedisUrl> parse_redis_url(std::string_view text, std::string& why) {
  const auto u = parse_url(text, "redis", "rediss", why, 6379, 6379);
  if (!u) return std::nullopt;
  if (u->tls) {
    why = "uses rediss:// (TLS), which this build's Redis client (hiredis 0.14) cannot speak: use redis:// over a "
          "private network or a local TLS tunnel (docs/cluster.md)";
    return std::nullopt;
  }
  RedisUrl r;
  r.host = u->host;
  r.port = u->port;
  std::string_view db = u->target;
  if (db.find('?') != std::string_view::npos) {
    why = "must not have a query ('?'): the password comes from cluster.password_env";
    return std::nullopt;
  }
  db.remove_prefix(1);  // the target always starts with '/'
  if (!db.empty()) {
    unsigned v = 0;
    const auto [end, ec] = std::from_chars(db.data(), db.data() + db.size(), v);
    if (ec != std::errc() || end != db.data() + db.size() || v > 65535) {
      why = "has a path that is not a database number (redis://host:port/0)";
      return std::nullopt;
    }
    r.db = static_cast<int>(v);
  }
  return r;
}

}  // namespace tp
