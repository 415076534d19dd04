#include "feed/http_upgrade.hpp"

#include <algorithm>
#include <cstring>

namespace tp::feed {
namespace {

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Splits off the part of `s` before `sep` (all of it when absent); `s` keeps what follows.
std::string_view split(std::string_view& s, char sep) noexcept {
  const std::size_t pos = s.find(sep);
  std::string_view part = s.substr(0, pos);
  s = pos == std::string_view::npos ? std::string_view{} : s.substr(pos + 1);
  return part;
}

// A comma-separated header value contains `token` (case-insensitive): "Upgrade: websocket".
bool has_token(std::string_view value, std::string_view token) noexcept {
  for (;;) {
    if (iequals(trim(split(value, ',')), token)) return true;
    if (value.empty()) return false;
  }
}

bool parse_window_bits(std::string_view v, uint8_t& out) noexcept {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);  // quoted-string
  if (v.empty() || v.size() > 2) return false;
  int n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + (c - '0');
  }
  if (n < 8 || n > 15) return false;
  out = static_cast<uint8_t>(n);
  return true;
}

// One "permessage-deflate; a; b=c" element, after the name.
bool parse_deflate_params(std::string_view params, WsExtensions& ext) noexcept {
  bool seen[4] = {};
  while (!params.empty()) {
    std::string_view param = trim(split(params, ';'));
    if (param.empty()) continue;
    std::string_view name = trim(split(param, '='));
    const std::string_view value = trim(param);
    const bool has_value = !value.empty();
    if (iequals(name, "server_no_context_takeover")) {
      if (seen[0] || has_value) return false;
      seen[0] = true;
      ext.server_no_context_takeover = true;
    } else if (iequals(name, "client_no_context_takeover")) {
      if (seen[1] || has_value) return false;
      seen[1] = true;
      ext.client_no_context_takeover = true;
    } else if (iequals(name, "server_max_window_bits")) {
      if (seen[2] || !parse_window_bits(value, ext.server_max_window_bits)) return false;
      seen[2] = true;
    } else if (iequals(name, "client_max_window_bits")) {
      if (seen[3]) return false;
      seen[3] = true;
      // In a response the value is required; tolerate its absence (means 15) like browsers do.
      if (has_value && !parse_window_bits(value, ext.client_max_window_bits)) return false;
    } else {
      return false;  // RFC 7692 §7: an unknown parameter makes the offer/response invalid
    }
  }
  return true;
}

}  // namespace

bool parse_ws_extensions(std::string_view value, WsExtensions& out) noexcept {
  while (!value.empty()) {
    std::string_view element = split(value, ',');
    std::string_view params = element;
    const std::string_view name = trim(split(params, ';'));
    if (!iequals(name, "permessage-deflate") || out.deflate) continue;  // others: not ours to judge
    WsExtensions ext;
    ext.deflate = true;
    if (!parse_deflate_params(params, ext)) return false;
    out = ext;
  }
  return true;
}

HttpHead parse_http_head(std::string_view head) noexcept {
  HttpHead out;
  std::string_view rest = head;
  const std::string_view start_line = trim(split(rest, '\n'));
  bool is_101 = false;
  if (istarts_with(start_line, "HTTP/1.")) {
    // "HTTP/1.1 101 Switching Protocols": the code sits between the first and second space.
    std::string_view after = start_line.substr(std::min<std::size_t>(start_line.size(), 8));
    after = trim(after);
    is_101 = after.substr(0, 3) == "101" && (after.size() == 3 || after[3] == ' ');
    out.kind = HttpHeadKind::OtherResponse;
  } else if (start_line.substr(0, 4) == "GET " && start_line.find(" HTTP/1.") != std::string_view::npos) {
    out.kind = HttpHeadKind::Request;
  } else {
    out.kind = HttpHeadKind::Invalid;
    return out;
  }

  bool have_extensions = false;
  WsExtensions ext;
  while (!rest.empty()) {
    std::string_view line = trim(split(rest, '\n'));
    if (line.empty()) break;  // the blank line ending the head
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = trim(line.substr(0, colon));
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "upgrade")) {
      out.upgrade_websocket = out.upgrade_websocket || has_token(value, "websocket");
    } else if (iequals(name, "sec-websocket-extensions")) {
      // Several header lines form one comma-separated list (RFC 7230 §3.2.2).
      have_extensions = true;
      if (!parse_ws_extensions(value, ext)) out.extensions_ok = false;
    }
  }
  if (have_extensions && out.extensions_ok) out.extensions = ext;
  if (out.kind == HttpHeadKind::OtherResponse && is_101 && out.upgrade_websocket) {
    out.kind = HttpHeadKind::SwitchingProtocols;
  }
  return out;
}

int http_status_code(std::string_view head) noexcept {
  std::string_view rest = head;
  const std::string_view line = trim(split(rest, '\n'));
  if (!istarts_with(line, "HTTP/1.") || line.size() < 12 || line[8] != ' ') return -1;
  const std::string_view code = line.substr(9, 3);
  int n = 0;
  for (const char c : code) {
    if (c < '0' || c > '9') return -1;
    n = n * 10 + (c - '0');
  }
  if (line.size() > 12 && line[12] != ' ') return -1;
  return n;
}

bool http_header_value(std::string_view head, std::string_view name, std::string_view& value) noexcept {
  std::string_view rest = head;
  split(rest, '\n');  // the start line
  while (!rest.empty()) {
    const std::string_view line = trim(split(rest, '\n'));
    if (line.empty()) break;  // the blank line ending the head
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (iequals(trim(line.substr(0, colon)), name)) {
      value = trim(line.substr(colon + 1));
      return true;
    }
  }
  return false;
}

HttpHeadCollector::HttpHeadCollector(std::size_t max_head_bytes)
    : buf_(new char[std::max<std::size_t>(max_head_bytes, 64)]), capacity_(std::max<std::size_t>(max_head_bytes, 64)) {}

void HttpHeadCollector::reset() noexcept {
  size_ = 0;
  state_ = State::Collecting;
}

std::size_t HttpHeadCollector::feed(const uint8_t* data, std::size_t len) noexcept {
  static constexpr std::string_view kGet = "GET ";
  static constexpr std::string_view kHttp = "HTTP/";
  std::size_t taken = 0;
  while (taken < len && state_ == State::Collecting) {
    if (size_ == capacity_) {
      state_ = State::NotHttp;  // a head this long is not a WebSocket handshake
      break;
    }
    const char c = static_cast<char>(data[taken++]);
    buf_[size_++] = c;
    // Decide as early as possible that a stream is not HTTP (FIX, TLS, a capture that starts
    // mid-stream), so its bytes are not collected up to the bound first.
    if (size_ <= kHttp.size()) {
      const std::string_view sofar{buf_.get(), size_};
      const bool get = size_ <= kGet.size() ? kGet.substr(0, size_) == sofar : sofar.substr(0, 4) == kGet;
      if (!get && kHttp.substr(0, size_) != sofar) state_ = State::NotHttp;
    }
    if (c == '\n' && size_ >= 4 && std::memcmp(buf_.get() + size_ - 4, "\r\n\r\n", 4) == 0) {
      state_ = State::Complete;
    }
  }
  return taken;
}

}  // namespace tp::feed
