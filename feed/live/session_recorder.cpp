#include "feed/live/session_recorder.hpp"

#include <arpa/inet.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace tp::feed {
namespace {

constexpr uint8_t kFin = 0x01, kSyn = 0x02, kPsh = 0x08, kAck = 0x10;
constexpr uint16_t kLinktypeRaw = 101;      // raw IPv4/IPv6 (libpcap DLT_RAW)
constexpr std::size_t kMaxSegment = 65000;  // payload per packet: an IPv4 total length fits 16 bits

void put16(uint8_t* p, uint16_t v) noexcept {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void put32(uint8_t* p, uint32_t v) noexcept {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

// RFC 1071 one's-complement sum, folded.
uint32_t sum16(const uint8_t* p, std::size_t n, uint32_t acc = 0) noexcept {
  for (std::size_t i = 0; i + 1 < n; i += 2) acc += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) acc += static_cast<uint32_t>(p[n - 1] << 8);
  return acc;
}
uint16_t fold(uint32_t acc) noexcept {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(~acc);
}

}  // namespace

SessionRecorder::SessionRecorder(const std::string& path, std::size_t max_open) : path_(path), conns_(max_open) {
  file_ = std::fopen(path.c_str(), "wb");
  if (file_ == nullptr) throw std::runtime_error("cannot create --record '" + path + "': " + std::strerror(errno));
  buffer_ = std::make_unique<char[]>(1 << 20);
  std::setvbuf(file_, buffer_.get(), _IOFBF, 1 << 20);
  // Section Header Block: byte-order magic, version 1.0, section length unknown.
  uint32_t shb[7] = {0x0A0D0D0A, 28, 0x1A2B3C4D, 0x00000001, 0xFFFFFFFF, 0xFFFFFFFF, 28};
  write(shb, sizeof shb);
  // Interface Description Block: raw IP, no snap length, if_tsresol = 9 (nanoseconds).
  uint8_t idb[32] = {};
  const uint32_t type = 1, len = sizeof idb;
  std::memcpy(idb, &type, 4);
  std::memcpy(idb + 4, &len, 4);
  std::memcpy(idb + 8, &kLinktypeRaw, 2);
  const uint16_t tsresol_code = 9, tsresol_len = 1;
  std::memcpy(idb + 16, &tsresol_code, 2);
  std::memcpy(idb + 18, &tsresol_len, 2);
  idb[20] = 9;
  // idb[24..27]: opt_endofopt (zeros)
  std::memcpy(idb + 28, &len, 4);
  write(idb, sizeof idb);
}

SessionRecorder::~SessionRecorder() { close(); }

void SessionRecorder::write(const void* p, std::size_t n) noexcept {
  if (failed_ || file_ == nullptr) return;
  if (std::fwrite(p, 1, n, file_) != n) failed_ = true;
}

bool SessionRecorder::close() noexcept {
  if (file_ == nullptr) return !failed_;
  if (std::fflush(file_) != 0) failed_ = true;
  if (std::fclose(file_) != 0) failed_ = true;
  file_ = nullptr;
  return !failed_;
}

int SessionRecorder::open_connection(const sockaddr_storage& local, const sockaddr_storage& remote,
                                     int64_t ts_ns) noexcept {
  int slot = 0;
  const int max_open = static_cast<int>(conns_.size());
  while (slot < max_open && conns_[static_cast<std::size_t>(slot)].open) ++slot;
  if (slot == max_open) return -1;
  Conn& c = conns_[static_cast<std::size_t>(slot)];
  c.v6 = local.ss_family == AF_INET6;
  if (c.v6) {
    const auto& l = reinterpret_cast<const sockaddr_in6&>(local);
    const auto& r = reinterpret_cast<const sockaddr_in6&>(remote);
    std::memcpy(c.local_addr, &l.sin6_addr, 16);
    std::memcpy(c.remote_addr, &r.sin6_addr, 16);
    c.local_port = ntohs(l.sin6_port);
    c.remote_port = ntohs(r.sin6_port);
  } else {
    const auto& l = reinterpret_cast<const sockaddr_in&>(local);
    const auto& r = reinterpret_cast<const sockaddr_in&>(remote);
    std::memcpy(c.local_addr, &l.sin_addr, 4);
    std::memcpy(c.remote_addr, &r.sin_addr, 4);
    c.local_port = ntohs(l.sin_port);
    c.remote_port = ntohs(r.sin_port);
  }
  // Distinct initial sequence numbers per connection keep a reused port pair apart.
  ++connections_;
  c.seq_to_server = 0x10000000u * connections_;
  c.seq_from_server = 0x80000000u + 0x01000000u * connections_;
  c.open = true;
  segment(c, true, kSyn, nullptr, 0, ts_ns);
  ++c.seq_to_server;
  segment(c, false, kSyn | kAck, nullptr, 0, ts_ns);
  ++c.seq_from_server;
  segment(c, true, kAck, nullptr, 0, ts_ns);
  return slot;
}

void SessionRecorder::bytes(int slot, bool to_server, const uint8_t* data, std::size_t len, int64_t ts_ns) noexcept {
  if (slot < 0 || static_cast<std::size_t>(slot) >= conns_.size() || !conns_[static_cast<std::size_t>(slot)].open) return;
  Conn& c = conns_[static_cast<std::size_t>(slot)];
  while (len > 0) {
    const std::size_t n = len < kMaxSegment ? len : kMaxSegment;
    segment(c, to_server, kPsh | kAck, data, n, ts_ns);
    (to_server ? c.seq_to_server : c.seq_from_server) += static_cast<uint32_t>(n);
    data += n;
    len -= n;
  }
}

void SessionRecorder::close_connection(int slot, int64_t ts_ns) noexcept {
  if (slot < 0 || static_cast<std::size_t>(slot) >= conns_.size() || !conns_[static_cast<std::size_t>(slot)].open) return;
  Conn& c = conns_[static_cast<std::size_t>(slot)];
  segment(c, false, kFin | kAck, nullptr, 0, ts_ns);
  ++c.seq_from_server;
  segment(c, true, kFin | kAck, nullptr, 0, ts_ns);
  ++c.seq_to_server;
  c.open = false;
}

void SessionRecorder::message_connection(const sockaddr_storage& local, const sockaddr_storage& remote,
                                         std::string_view host, std::string_view target, const uint8_t* data,
                                         std::size_t len, int64_t ts_ns) noexcept {
  const int slot = open_connection(local, remote, ts_ns);
  if (slot < 0) return;
  // A target or host too long for the head buffer (they come from the configuration) is replaced:
  // the head only documents the fetch, the replay needs the 101 and the frame.
  if (target.size() > 2048 || target.empty() || target.front() != '/') target = "/";
  if (host.size() > 255) host = "venue";
  char head[2560];
  int n = std::snprintf(head, sizeof head,
                        "GET %.*s HTTP/1.1\r\nHost: %.*s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Version: 13\r\nX-Tickpipe: the REST response recorded as one message\r\n\r\n",
                        static_cast<int>(target.size()), target.data(), static_cast<int>(host.size()), host.data());
  if (n > 0 && static_cast<std::size_t>(n) < sizeof head)
    bytes(slot, true, reinterpret_cast<const uint8_t*>(head), static_cast<std::size_t>(n), ts_ns);
  static constexpr char k101[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
  bytes(slot, false, reinterpret_cast<const uint8_t*>(k101), sizeof k101 - 1, ts_ns);
  // One unmasked text frame (RFC 6455 5.2), FIN set.
  uint8_t frame[10] = {0x81};
  std::size_t h = 2;
  if (len < 126) {
    frame[1] = static_cast<uint8_t>(len);
  } else if (len <= 0xffff) {
    frame[1] = 126;
    put16(frame + 2, static_cast<uint16_t>(len));
    h = 4;
  } else {
    frame[1] = 127;
    put32(frame + 2, static_cast<uint32_t>(static_cast<uint64_t>(len) >> 32));
    put32(frame + 6, static_cast<uint32_t>(len));
    h = 10;
  }
  bytes(slot, false, frame, h, ts_ns);
  bytes(slot, false, data, len, ts_ns);
  close_connection(slot, ts_ns);
}

void SessionRecorder::segment(const Conn& c, bool to_server, uint8_t flags, const uint8_t* payload,
                              std::size_t len, int64_t ts_ns) noexcept {
  const bool v6_ = c.v6;
  uint8_t hdr[60] = {};
  const std::size_t ip_len = v6_ ? 40 : 20;
  const std::size_t total = ip_len + 20 + len;
  const uint8_t* src = to_server ? c.local_addr : c.remote_addr;
  const uint8_t* dst = to_server ? c.remote_addr : c.local_addr;
  const std::size_t alen = v6_ ? 16 : 4;
  if (v6_) {
    hdr[0] = 0x60;
    put16(hdr + 4, static_cast<uint16_t>(20 + len));
    hdr[6] = 6;  // TCP
    hdr[7] = 64;
    std::memcpy(hdr + 8, src, 16);
    std::memcpy(hdr + 24, dst, 16);
  } else {
    hdr[0] = 0x45;
    put16(hdr + 2, static_cast<uint16_t>(total));
    hdr[6] = 0x40;  // don't fragment
    hdr[8] = 64;
    hdr[9] = 6;
    std::memcpy(hdr + 12, src, 4);
    std::memcpy(hdr + 16, dst, 4);
    put16(hdr + 10, fold(sum16(hdr, 20)));
  }
  uint8_t* tcp = hdr + ip_len;
  put16(tcp, to_server ? c.local_port : c.remote_port);
  put16(tcp + 2, to_server ? c.remote_port : c.local_port);
  put32(tcp + 4, to_server ? c.seq_to_server : c.seq_from_server);
  put32(tcp + 8, (flags & kAck) ? (to_server ? c.seq_from_server : c.seq_to_server) : 0);
  tcp[12] = 5 << 4;
  tcp[13] = flags;
  put16(tcp + 14, 65535);
  // TCP checksum over the pseudo-header, the header and the payload.
  uint8_t pseudo[40] = {};
  std::memcpy(pseudo, src, alen);
  std::memcpy(pseudo + alen, dst, alen);
  std::size_t plen;
  if (v6_) {
    put32(pseudo + 32, static_cast<uint32_t>(20 + len));
    pseudo[39] = 6;
    plen = 40;
  } else {
    pseudo[9] = 6;
    put16(pseudo + 10, static_cast<uint16_t>(20 + len));
    plen = 12;
  }
  uint32_t acc = sum16(pseudo, plen);
  acc = sum16(tcp, 20, acc);
  if (len > 0) acc = sum16(payload, len, acc);
  put16(tcp + 16, fold(acc));

  // Enhanced Packet Block.
  const std::size_t padded = (total + 3) & ~std::size_t{3};
  const uint32_t block_len = static_cast<uint32_t>(32 + padded);
  const uint64_t ts = static_cast<uint64_t>(ts_ns);
  const uint32_t epb[7] = {6, block_len, 0, static_cast<uint32_t>(ts >> 32), static_cast<uint32_t>(ts),
                           static_cast<uint32_t>(total), static_cast<uint32_t>(total)};
  write(epb, sizeof epb);
  write(hdr, ip_len + 20);
  if (len > 0) write(payload, len);
  static constexpr uint8_t kPad[4] = {};
  write(kPad, padded - total);
  write(&block_len, 4);
}

}  // namespace tp::feed
