#include "feed/live/websocket_handshake.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cctype>

namespace tp::feed {
namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

std::string base64(const uint8_t* data, std::size_t len) {
  std::string out(4 * ((len + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(len));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Whether a comma-separated header value lists `token` (case-insensitively): "keep-alive, Upgrade".
bool lists_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    if (iequals(trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

ClientHandshake make_client_handshake(const WsUrl& url, bool offer_deflate, const uint8_t random16[16]) {
  ClientHandshake h;
  h.key = base64(random16, 16);
  h.request = "GET " + url.target + " HTTP/1.1\r\n";
  h.request += "Host: " + url.host_header() + "\r\n";
  h.request += "Upgrade: websocket\r\nConnection: Upgrade\r\n";
  h.request += "Sec-WebSocket-Key: " + h.key + "\r\n";
  h.request += "Sec-WebSocket-Version: 13\r\n";
  // We take whatever window the server uses (client_max_window_bits with no value lets it choose
  // ours too); our own frames are tiny and sent uncompressed.
  if (offer_deflate) h.request += "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";
  h.request += "User-Agent: tickpipe\r\n\r\n";
  return h;
}

std::string websocket_accept(std::string_view key) {
  std::string text(key);
  text += kGuid;
  uint8_t digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return base64(digest, sizeof digest);
}

ServerHandshake check_server_handshake(std::string_view head, std::string_view key, bool offered_deflate) {
  ServerHandshake r;
  const std::size_t eol = head.find("\r\n");
  const std::string_view status_line = head.substr(0, eol);
  if (status_line.substr(0, 5) != "HTTP/" || status_line.size() < 12 || status_line[8] != ' ') {
    r.error = "the server did not answer with HTTP";
    return r;
  }
  for (std::size_t i = 9; i < 12; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(status_line[i]))) {
      r.error = "the server's status line has no status code";
      return r;
    }
    r.status = r.status * 10 + (status_line[i] - '0');
  }
  if (r.status != 101) {
    r.error = "the server refused the WebSocket upgrade: " + std::string(status_line.substr(9));
    return r;
  }
  bool upgrade = false, connection = false, accept_ok = false, have_ext = false;
  std::string_view ext_value;
  std::size_t pos = eol == std::string_view::npos ? head.size() : eol + 2;
  while (pos < head.size()) {
    const std::size_t end = head.find("\r\n", pos);
    const std::string_view line = head.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? head.size() : end + 2;
    if (line.empty()) break;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = trim(line.substr(0, colon));
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "Upgrade")) upgrade = iequals(value, "websocket");
    else if (iequals(name, "Connection")) connection = lists_token(value, "upgrade");
    else if (iequals(name, "Sec-WebSocket-Accept")) accept_ok = value == websocket_accept(key);
    else if (iequals(name, "Sec-WebSocket-Extensions")) {
      have_ext = true;
      ext_value = value;
    }
  }
  if (!upgrade || !connection) {
    r.error = "the server's 101 response lacks 'Upgrade: websocket' or 'Connection: Upgrade'";
    return r;
  }
  if (!accept_ok) {
    r.error = "the server's Sec-WebSocket-Accept does not match our key";
    return r;
  }
  if (have_ext) {
    if (!parse_ws_extensions(ext_value, r.extensions)) {
      r.error = "the server's Sec-WebSocket-Extensions is malformed: " + std::string(ext_value);
      return r;
    }
    if (r.extensions.deflate && !offered_deflate) {
      r.error = "the server enabled permessage-deflate, which we did not offer";
      return r;
    }
  }
  r.ok = true;
  return r;
}

std::size_t encode_client_frame(uint8_t opcode, const uint8_t* payload, std::size_t len, const uint8_t mask[4],
                                uint8_t* out) noexcept {
  std::size_t pos = 0;
  out[pos++] = static_cast<uint8_t>(0x80 | (opcode & 0x0F));  // FIN, no RSV: our frames are not compressed
  if (len < 126) {
    out[pos++] = static_cast<uint8_t>(0x80 | len);
  } else if (len < 65536) {
    out[pos++] = 0x80 | 126;
    out[pos++] = static_cast<uint8_t>(len >> 8);
    out[pos++] = static_cast<uint8_t>(len);
  } else {
    out[pos++] = 0x80 | 127;
    for (int i = 7; i >= 0; --i) out[pos++] = static_cast<uint8_t>(uint64_t{len} >> (8 * i));
  }
  for (int i = 0; i < 4; ++i) out[pos++] = mask[i];
  for (std::size_t i = 0; i < len; ++i) out[pos + i] = payload[i] ^ mask[i & 3];
  return pos + len;
}

}  // namespace tp::feed
