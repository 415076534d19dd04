// A small capture writer for the feed tests: builds packets byte by byte (link layer, IPv4/IPv6,
// IPv4/IPv6 fragments, TCP with any seq/flags, UDP, correct or deliberately bad checksums) and
// writes them as pcap (µs or ns) or pcapng (several interfaces, each with its own link type and
// if_tsresol). On top of that: a WebSocket session builder (HTTP upgrade with or without
// permessage-deflate, server frames of every length form, masked client frames, fragments,
// control frames between fragments, zlib deflate with or without context takeover) and a TCP
// conversation whose segments can be impaired (split, coalesced, retransmitted exactly or
// overlapping, reordered, duplicated, dropped) before they are written.
//
// Header-only: the tests folder compiles only *_test.cpp files.
#pragma once

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tp::feed::test::cw {

// ---------------------------------------------------------------------------------------------
// Bytes

inline void put8(std::string& s, uint8_t v) { s.push_back(static_cast<char>(v)); }
inline void put16(std::string& s, uint16_t v) {
  put8(s, static_cast<uint8_t>(v >> 8));
  put8(s, static_cast<uint8_t>(v));
}
inline void put32(std::string& s, uint32_t v) {
  put16(s, static_cast<uint16_t>(v >> 16));
  put16(s, static_cast<uint16_t>(v));
}
inline void put16le(std::string& s, uint16_t v) {
  put8(s, static_cast<uint8_t>(v));
  put8(s, static_cast<uint8_t>(v >> 8));
}
inline void put32le(std::string& s, uint32_t v) {
  put16le(s, static_cast<uint16_t>(v));
  put16le(s, static_cast<uint16_t>(v >> 16));
}
inline void set16(std::string& s, std::size_t at, uint16_t v) {
  s[at] = static_cast<char>(v >> 8);
  s[at + 1] = static_cast<char>(v);
}

// RFC 1071 one's-complement sum.
inline uint32_t sum16(std::string_view b, uint32_t acc = 0) {
  for (std::size_t i = 0; i + 1 < b.size(); i += 2)
    acc += (static_cast<uint32_t>(static_cast<uint8_t>(b[i])) << 8) | static_cast<uint8_t>(b[i + 1]);
  if (b.size() % 2 == 1) acc += static_cast<uint32_t>(static_cast<uint8_t>(b.back())) << 8;
  return acc;
}
inline uint16_t fold(uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xFFFF) + (acc >> 16);
  return static_cast<uint16_t>(~acc);
}

// ---------------------------------------------------------------------------------------------
// Network and transport layers

struct Endpoint {
  bool v6 = false;
  uint8_t addr[16] = {};
  uint16_t port = 0;
  std::string_view addr_bytes() const { return {reinterpret_cast<const char*>(addr), v6 ? 16u : 4u}; }
};

inline Endpoint ep4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port) {
  Endpoint e;
  e.addr[0] = a, e.addr[1] = b, e.addr[2] = c, e.addr[3] = d;
  e.port = port;
  return e;
}
inline Endpoint ep6(uint8_t last, uint16_t port) {
  Endpoint e;
  e.v6 = true;
  e.addr[0] = 0xfd;
  e.addr[15] = last;
  e.port = port;
  return e;
}

namespace proto {
inline constexpr uint8_t kTcp = 6;
inline constexpr uint8_t kUdp = 17;
}  // namespace proto

namespace flag {
inline constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;
}

inline uint32_t pseudo_sum(const Endpoint& s, const Endpoint& d, uint8_t p, std::size_t len) {
  std::string ph;
  ph.append(s.addr_bytes());
  ph.append(d.addr_bytes());
  if (s.v6) {
    put32(ph, static_cast<uint32_t>(len));
    put32(ph, p);
  } else {
    put8(ph, 0);
    put8(ph, p);
    put16(ph, static_cast<uint16_t>(len));
  }
  return sum16(ph);
}

inline std::string tcp_header_and_payload(const Endpoint& s, const Endpoint& d, uint32_t seq, uint32_t ack, uint8_t flags,
                                          std::string_view payload, bool bad_checksum = false) {
  std::string t;
  put16(t, s.port);
  put16(t, d.port);
  put32(t, seq);
  put32(t, ack);
  put8(t, 5 << 4);
  put8(t, flags);
  put16(t, 65535);
  put16(t, 0);  // checksum
  put16(t, 0);  // urgent
  t.append(payload);
  uint16_t c = fold(sum16(t, pseudo_sum(s, d, proto::kTcp, t.size())));
  if (bad_checksum) c = static_cast<uint16_t>(c ^ 0x5A5A);
  set16(t, 16, c);
  return t;
}

inline std::string udp_header_and_payload(const Endpoint& s, const Endpoint& d, std::string_view payload,
                                          bool bad_checksum = false) {
  std::string u;
  put16(u, s.port);
  put16(u, d.port);
  put16(u, static_cast<uint16_t>(8 + payload.size()));
  put16(u, 0);
  u.append(payload);
  uint16_t c = fold(sum16(u, pseudo_sum(s, d, proto::kUdp, u.size())));
  if (c == 0) c = 0xFFFF;
  if (bad_checksum) c = static_cast<uint16_t>(c ^ 0x5A5A);
  set16(u, 6, c);
  return u;
}

// A whole IPv4 packet. frag_field: flags (DF 0x4000, MF 0x2000) | offset in 8-byte units.
inline std::string ipv4_packet(const Endpoint& s, const Endpoint& d, uint8_t p, std::string_view l4, uint16_t id = 1,
                               uint16_t frag_field = 0x4000, bool bad_checksum = false) {
  std::string ip;
  put8(ip, 0x45);
  put8(ip, 0);
  put16(ip, static_cast<uint16_t>(20 + l4.size()));
  put16(ip, id);
  put16(ip, frag_field);
  put8(ip, 64);
  put8(ip, p);
  put16(ip, 0);
  ip.append(s.addr_bytes());
  ip.append(d.addr_bytes());
  uint16_t c = fold(sum16(ip));
  if (bad_checksum) c = static_cast<uint16_t>(c ^ 0x5A5A);
  set16(ip, 10, c);
  ip.append(l4);
  return ip;
}

inline std::string ipv6_packet(const Endpoint& s, const Endpoint& d, uint8_t next, std::string_view payload) {
  std::string ip;
  put32(ip, 0x60000000);
  put16(ip, static_cast<uint16_t>(payload.size()));
  put8(ip, next);
  put8(ip, 64);
  ip.append(s.addr_bytes());
  ip.append(d.addr_bytes());
  ip.append(payload);
  return ip;
}

inline std::string ip_packet(const Endpoint& s, const Endpoint& d, uint8_t p, std::string_view l4, uint16_t id = 1) {
  return s.v6 ? ipv6_packet(s, d, p, l4) : ipv4_packet(s, d, p, l4, id);
}

// The IP packets of `l4` (a whole transport header + payload) cut into fragments of at most
// `frag_bytes` payload bytes (rounded down to a multiple of 8). IPv4: MF/offset; IPv6: a fragment
// extension header.
inline std::vector<std::string> ip_fragments(const Endpoint& s, const Endpoint& d, uint8_t p, std::string_view l4,
                                             uint32_t id, std::size_t frag_bytes) {
  frag_bytes = std::max<std::size_t>(8, frag_bytes / 8 * 8);
  std::vector<std::string> out;
  for (std::size_t off = 0; off < l4.size(); off += frag_bytes) {
    const std::size_t n = std::min(frag_bytes, l4.size() - off);
    const bool more = off + n < l4.size();
    const std::string_view piece = l4.substr(off, n);
    if (s.v6) {
      std::string fh;
      put8(fh, p);
      put8(fh, 0);
      put16(fh, static_cast<uint16_t>(off | (more ? 1 : 0)));
      put32(fh, id);
      fh.append(piece);
      out.push_back(ipv6_packet(s, d, 44, fh));
    } else {
      out.push_back(ipv4_packet(s, d, p, piece, static_cast<uint16_t>(id),
                                static_cast<uint16_t>((more ? 0x2000 : 0) | (off / 8))));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Link layers

enum class Link { Ethernet, Vlan, QinQ, Sll, Sll2, Raw, Null };

// LINKTYPE_* value written in the file for a link.
inline uint16_t linktype(Link l) {
  switch (l) {
    case Link::Ethernet:
    case Link::Vlan:
    case Link::QinQ: return 1;
    case Link::Sll: return 113;
    case Link::Sll2: return 276;
    case Link::Raw: return 101;
    case Link::Null: return 0;
  }
  return 1;
}

inline const char* link_name(Link l) {
  switch (l) {
    case Link::Ethernet: return "ethernet";
    case Link::Vlan: return "vlan";
    case Link::QinQ: return "qinq";
    case Link::Sll: return "sll";
    case Link::Sll2: return "sll2";
    case Link::Raw: return "raw";
    case Link::Null: return "null";
  }
  return "?";
}

// Frames an IP packet (`v6` says which) for the link.
inline std::string frame(Link l, std::string_view ip, bool v6) {
  const uint16_t type = v6 ? 0x86DD : 0x0800;
  std::string f;
  switch (l) {
    case Link::Ethernet:
    case Link::Vlan:
    case Link::QinQ:
      f.append("\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
      if (l == Link::QinQ) {
        put16(f, 0x88A8);
        put16(f, 200);
      }
      if (l != Link::Ethernet) {
        put16(f, 0x8100);
        put16(f, 100);
      }
      put16(f, type);
      break;
    case Link::Sll:
      put16(f, 0);  // sent to us
      put16(f, 1);  // ARPHRD_ETHER
      put16(f, 6);
      f.append("\x02\x00\x00\x00\x00\x01\x00\x00", 8);
      put16(f, type);
      break;
    case Link::Sll2:
      put16(f, type);
      put16(f, 0);
      put32(f, 2);  // ifindex
      put16(f, 1);  // ARPHRD_ETHER
      put8(f, 0);   // sent to us
      put8(f, 6);
      f.append("\x02\x00\x00\x00\x00\x01\x00\x00", 8);
      break;
    case Link::Raw: break;
    case Link::Null: put32le(f, v6 ? 30 : 2); break;  // AF_INET6 as macOS numbers it; AF_INET
  }
  f.append(ip);
  return f;
}

// ---------------------------------------------------------------------------------------------
// Capture files

struct Packet {
  int64_t ts_ns = 0;
  std::string bytes;      // the whole packet as on the wire
  uint32_t caplen = 0;    // 0: all of it; less: the record is cut short (caplen < len)
  uint32_t iface = 0;     // pcapng interface
};

inline std::string pcap_file(uint16_t link_type, bool nanos, const std::vector<Packet>& pkts, uint32_t snaplen = 262144) {
  std::string f;
  put32le(f, nanos ? 0xA1B23C4D : 0xA1B2C3D4);
  put16le(f, 2);
  put16le(f, 4);
  put32le(f, 0);
  put32le(f, 0);
  put32le(f, snaplen);
  put32le(f, link_type);
  for (const Packet& p : pkts) {
    const uint32_t cap = p.caplen == 0 ? static_cast<uint32_t>(p.bytes.size()) : std::min<uint32_t>(p.caplen, static_cast<uint32_t>(p.bytes.size()));
    put32le(f, static_cast<uint32_t>(p.ts_ns / 1'000'000'000));
    put32le(f, static_cast<uint32_t>(nanos ? p.ts_ns % 1'000'000'000 : p.ts_ns % 1'000'000'000 / 1000));
    put32le(f, cap);
    put32le(f, static_cast<uint32_t>(p.bytes.size()));
    f.append(p.bytes, 0, cap);
  }
  return f;
}

struct PcapngInterface {
  uint16_t link_type = 1;
  // if_tsresol: bit 7 clear = 10^-v s units, set = 2^-(v&0x7f); 6 (µs) is the default when absent.
  uint8_t tsresol = 6;
  bool write_tsresol = true;
  uint32_t snaplen = 262144;
};

// Timestamp units per second of an if_tsresol value.
inline unsigned __int128 tsresol_units(uint8_t r) {
  unsigned __int128 u = 1;
  if (r & 0x80) {
    u <<= (r & 0x7F);
  } else {
    for (int i = 0; i < r; ++i) u *= 10;
  }
  return u;
}

inline std::string pcapng_file(const std::vector<PcapngInterface>& ifaces, const std::vector<Packet>& pkts) {
  auto block = [](std::string& f, uint32_t type, const std::string& body) {
    const uint32_t len = static_cast<uint32_t>(12 + body.size());
    put32le(f, type);
    put32le(f, len);
    f.append(body);
    put32le(f, len);
  };
  auto pad4 = [](std::string& s) {
    while (s.size() % 4 != 0) s.push_back('\0');
  };
  std::string f;
  {
    std::string b;
    put32le(b, 0x1A2B3C4D);
    put16le(b, 1);
    put16le(b, 0);
    put32le(b, 0xFFFFFFFF);
    put32le(b, 0xFFFFFFFF);  // section length unknown
    block(f, 0x0A0D0D0A, b);
  }
  for (const PcapngInterface& i : ifaces) {
    std::string b;
    put16le(b, i.link_type);
    put16le(b, 0);
    put32le(b, i.snaplen);
    if (i.write_tsresol) {
      put16le(b, 9);  // if_tsresol
      put16le(b, 1);
      put8(b, i.tsresol);
      pad4(b);
      put16le(b, 0);  // opt_endofopt
      put16le(b, 0);
    }
    block(f, 1, b);
  }
  for (const Packet& p : pkts) {
    const PcapngInterface& i = ifaces.at(p.iface);
    const uint8_t r = i.write_tsresol ? i.tsresol : 6;
    const unsigned __int128 units = tsresol_units(r);
    const uint64_t ts = static_cast<uint64_t>(static_cast<unsigned __int128>(p.ts_ns) * units / 1'000'000'000u);
    const uint32_t cap = p.caplen == 0 ? static_cast<uint32_t>(p.bytes.size()) : std::min<uint32_t>(p.caplen, static_cast<uint32_t>(p.bytes.size()));
    std::string b;
    put32le(b, p.iface);
    put32le(b, static_cast<uint32_t>(ts >> 32));
    put32le(b, static_cast<uint32_t>(ts));
    put32le(b, cap);
    put32le(b, static_cast<uint32_t>(p.bytes.size()));
    b.append(p.bytes, 0, cap);
    pad4(b);
    block(f, 6, b);
  }
  return f;
}

// The capture time a pcapng reader should report for ts_ns written with resolution r.
inline int64_t pcapng_ts_ns(int64_t ts_ns, uint8_t r) {
  const unsigned __int128 units = tsresol_units(r);
  const unsigned __int128 ticks = static_cast<unsigned __int128>(ts_ns) * units / 1'000'000'000u;
  return static_cast<int64_t>(ticks * 1'000'000'000u / units);
}

// ---------------------------------------------------------------------------------------------
// WebSocket

namespace ws {
inline constexpr uint8_t kCont = 0, kText = 1, kBinary = 2, kClose = 8, kPing = 9, kPong = 10;
}

// One frame. `mask` (4 bytes) masks the payload (client frames); nullptr = unmasked.
inline std::string ws_frame(uint8_t opcode, std::string_view payload, bool fin = true, bool rsv1 = false,
                            const uint8_t* mask = nullptr) {
  std::string f;
  put8(f, static_cast<uint8_t>((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode));
  const uint8_t m = mask != nullptr ? 0x80 : 0;
  if (payload.size() < 126) {
    put8(f, static_cast<uint8_t>(m | payload.size()));
  } else if (payload.size() < 65536) {
    put8(f, m | 126);
    put16(f, static_cast<uint16_t>(payload.size()));
  } else {
    put8(f, m | 127);
    put32(f, static_cast<uint32_t>(static_cast<uint64_t>(payload.size()) >> 32));
    put32(f, static_cast<uint32_t>(payload.size()));
  }
  if (mask != nullptr) {
    f.append(reinterpret_cast<const char*>(mask), 4);
    for (std::size_t i = 0; i < payload.size(); ++i) f.push_back(static_cast<char>(payload[i] ^ static_cast<char>(mask[i & 3])));
  } else {
    f.append(payload);
  }
  return f;
}

// permessage-deflate compressor of one direction (RFC 7692 §7.2.1): raw deflate, each message
// ends with a sync flush whose 00 00 ff ff tail is stripped.
class WsDeflater {
 public:
  explicit WsDeflater(int window_bits = 15, bool no_context_takeover = false) : nct_(no_context_takeover) {
    if (deflateInit2(&z_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -std::clamp(window_bits, 9, 15), 8, Z_DEFAULT_STRATEGY) != Z_OK)
      throw std::runtime_error("deflateInit2");
  }
  ~WsDeflater() { deflateEnd(&z_); }
  WsDeflater(const WsDeflater&) = delete;
  WsDeflater& operator=(const WsDeflater&) = delete;

  std::string compress(std::string_view msg) {
    std::string out;
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(msg.data()));
    z_.avail_in = static_cast<uInt>(msg.size());
    char buf[16384];
    do {
      z_.next_out = reinterpret_cast<Bytef*>(buf);
      z_.avail_out = sizeof buf;
      deflate(&z_, Z_SYNC_FLUSH);
      out.append(buf, sizeof buf - z_.avail_out);
    } while (z_.avail_out == 0);
    if (out.size() >= 4 && out.compare(out.size() - 4, 4, std::string("\x00\x00\xff\xff", 4)) == 0) out.resize(out.size() - 4);
    if (nct_) deflateReset(&z_);
    return out;
  }

 private:
  z_stream z_{};
  bool nct_;
};

struct WsParams {
  bool deflate = false;
  bool server_no_context_takeover = false;
  bool client_no_context_takeover = false;
  int server_max_window_bits = 15;  // written only when != 15
  int client_max_window_bits = 15;
};

// Both byte streams of one WebSocket connection, and the messages the server sent (what a
// correct decoder delivers when nothing is lost).
class WsSession {
 public:
  explicit WsSession(WsParams p = {}, std::string host = "venue.test")
      : p_(p),
        server_deflate_(p.server_max_window_bits, p.server_no_context_takeover),
        client_deflate_(p.client_max_window_bits, p.client_no_context_takeover) {
    request = "GET /ws HTTP/1.1\r\nHost: " + host +
              "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              "Sec-WebSocket-Version: 13\r\n";
    if (p.deflate) request += "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";
    request += "\r\n";
    response =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";
    if (p.deflate) {
      std::string ext = "permessage-deflate";
      if (p.server_no_context_takeover) ext += "; server_no_context_takeover";
      if (p.client_no_context_takeover) ext += "; client_no_context_takeover";
      if (p.server_max_window_bits != 15) ext += "; server_max_window_bits=" + std::to_string(p.server_max_window_bits);
      if (p.client_max_window_bits != 15) ext += "; client_max_window_bits=" + std::to_string(p.client_max_window_bits);
      response += "Sec-WebSocket-Extensions: " + ext + "\r\n";
    }
    response += "\r\n";
  }

  // A server data message as `fragments` frames (payload cut evenly), compressed when the
  // session negotiated deflate and `compress` is set; `ping_between` puts a ping frame between
  // each two fragments. Returns the frames' bytes (also appended to `server`).
  std::string server_message(uint8_t opcode, std::string_view payload, int fragments = 1, bool compress = true,
                             bool ping_between = false) {
    const bool z = p_.deflate && compress;
    const std::string body = z ? server_deflate_.compress(payload) : std::string(payload);
    std::string out = fragmented(opcode, body, fragments, z, nullptr, ping_between);
    server += out;
    sent.emplace_back(payload);
    sent_fragmented_compressed.push_back(z && fragments > 1);
    return out;
  }
  // A control frame from the server (never delivered).
  void server_control(uint8_t opcode, std::string_view payload = {}) { server += ws_frame(opcode, payload); }

  // A masked client data message (never delivered).
  void client_message(uint8_t opcode, std::string_view payload, int fragments = 1, bool compress = true) {
    const bool z = p_.deflate && compress;
    const std::string body = z ? client_deflate_.compress(payload) : std::string(payload);
    static constexpr uint8_t kMask[4] = {0x37, 0xfa, 0x21, 0x3d};
    client += fragmented(opcode, body, fragments, z, kMask, false);
  }
  void client_control(uint8_t opcode, std::string_view payload = {}) {
    static constexpr uint8_t kMask[4] = {1, 2, 3, 4};
    client += ws_frame(opcode, payload, true, false, kMask);
  }

  const WsParams& params() const { return p_; }

  std::string request;   // the client's upgrade request head
  std::string response;  // the server's 101 head
  std::string server;    // server frames after the 101
  std::string client;    // client frames after the request
  std::vector<std::string> sent;                  // server data messages, in order
  std::vector<bool> sent_fragmented_compressed;   // per message: compressed and in fragments

 private:
  static std::string fragmented(uint8_t opcode, const std::string& body, int fragments, bool rsv1, const uint8_t* mask,
                                bool ping_between) {
    fragments = std::max(fragments, 1);
    std::string out;
    const std::size_t step = (body.size() + static_cast<std::size_t>(fragments) - 1) / static_cast<std::size_t>(fragments);
    std::size_t off = 0;
    for (int k = 0; k < fragments; ++k) {
      const std::size_t n = k + 1 == fragments ? body.size() - off : std::min(step, body.size() - off);
      out += ws_frame(k == 0 ? opcode : ws::kCont, std::string_view(body).substr(off, n), k + 1 == fragments, k == 0 && rsv1,
                      mask);
      off += n;
      if (ping_between && k + 1 < fragments) out += ws_frame(ws::kPing, "hb", true, false, mask);
    }
    return out;
  }

  WsParams p_;
  WsDeflater server_deflate_;
  WsDeflater client_deflate_;
};

// ---------------------------------------------------------------------------------------------
// TCP conversation with impairments

struct Segment {
  bool from_client = false;
  uint32_t seq = 0;
  uint8_t flags = flag::kAck;
  std::string payload;
  uint32_t caplen_cut = 0;   // bytes of payload left out of the record (caplen < len)
  bool bad_checksum = false;
};

class TcpConversation {
 public:
  TcpConversation(Endpoint client, Endpoint server, uint32_t client_isn = 1000, uint32_t server_isn = 0xFFFFF000u)
      : client_(client), server_(server), cseq_(client_isn), sseq_(server_isn) {}

  void handshake() {
    add(true, flag::kSyn, {});
    add(false, flag::kSyn | flag::kAck, {});
    add(true, flag::kAck, {});
  }
  // Sends bytes from one side, cut into segments whose sizes cycle through `sizes`.
  void send(bool from_client, std::string_view bytes, std::vector<std::size_t> sizes = {1448}) {
    std::size_t k = 0;
    for (std::size_t off = 0; off < bytes.size();) {
      const std::size_t n = std::min(std::max<std::size_t>(sizes[k++ % sizes.size()], 1), bytes.size() - off);
      add(from_client, flag::kAck | flag::kPsh, bytes.substr(off, n));
      off += n;
    }
  }
  void fin(bool from_client) { add(from_client, flag::kFin | flag::kAck, {}); }
  void rst(bool from_client) { add(from_client, flag::kRst, {}); }

  // IP packets of every segment, in order (TCP checksums correct unless asked otherwise).
  std::vector<std::pair<std::string, bool>> ip_packets() const {
    std::vector<std::pair<std::string, bool>> out;
    uint16_t id = 1;
    for (const Segment& s : segs) {
      const Endpoint& a = s.from_client ? client_ : server_;
      const Endpoint& b = s.from_client ? server_ : client_;
      const std::string l4 = tcp_header_and_payload(a, b, s.seq, 0, s.flags, s.payload, s.bad_checksum);
      out.emplace_back(ip_packet(a, b, proto::kTcp, l4, id++), a.v6);
    }
    return out;
  }

  // Indices of the segments that carry server payload.
  std::vector<std::size_t> server_data() const {
    std::vector<std::size_t> v;
    for (std::size_t i = 0; i < segs.size(); ++i)
      if (!segs[i].from_client && !segs[i].payload.empty()) v.push_back(i);
    return v;
  }

  // Impairments (indices into segs).
  void duplicate(std::size_t i) { segs.insert(segs.begin() + static_cast<std::ptrdiff_t>(i) + 1, segs[i]); }
  void retransmit_later(std::size_t i, std::size_t after) {
    const Segment s = segs[i];
    segs.insert(segs.begin() + static_cast<std::ptrdiff_t>(std::min(segs.size(), i + 1 + after)), s);
  }
  // A segment covering the second half of segment i and the first half of segment j (both of
  // the same side, j follows i in sequence), sent `after` segments after j.
  void retransmit_overlapping(std::size_t i, std::size_t j, std::size_t after) {
    const Segment& a = segs[i];
    const Segment& b = segs[j];
    Segment s = a;
    const std::size_t ha = a.payload.size() / 2, hb = b.payload.size() / 2;
    s.seq = a.seq + static_cast<uint32_t>(ha);
    s.payload = a.payload.substr(ha) + b.payload.substr(0, hb);
    if (b.seq != a.seq + a.payload.size()) s.payload = a.payload.substr(ha);
    segs.insert(segs.begin() + static_cast<std::ptrdiff_t>(std::min(segs.size(), j + 1 + after)), s);
  }
  void swap(std::size_t i, std::size_t j) { std::swap(segs[i], segs[j]); }
  // Moves segment i `by` places later.
  void delay(std::size_t i, std::size_t by) {
    const Segment s = segs[i];
    segs.erase(segs.begin() + static_cast<std::ptrdiff_t>(i));
    segs.insert(segs.begin() + static_cast<std::ptrdiff_t>(std::min(segs.size(), i + by)), s);
  }
  void drop(std::size_t i) { segs.erase(segs.begin() + static_cast<std::ptrdiff_t>(i)); }
  // Merges segments i and i+1 (consecutive in sequence, same side) into one.
  void coalesce(std::size_t i) {
    segs[i].payload += segs[i + 1].payload;
    segs.erase(segs.begin() + static_cast<std::ptrdiff_t>(i) + 1);
  }

  std::vector<Segment> segs;

 private:
  void add(bool from_client, uint8_t flags, std::string_view payload) {
    uint32_t& seq = from_client ? cseq_ : sseq_;
    Segment s;
    s.from_client = from_client;
    s.seq = seq;
    s.flags = flags;
    s.payload = std::string(payload);
    segs.push_back(std::move(s));
    seq += static_cast<uint32_t>(payload.size()) + ((flags & (flag::kSyn | flag::kFin)) ? 1 : 0);
  }

  Endpoint client_;
  Endpoint server_;
  uint32_t cseq_;
  uint32_t sseq_;
};

// Collects packets for one capture.
class Capture {
 public:
  explicit Capture(Link link = Link::Ethernet, int64_t start_ns = 1'700'000'000'000'000'000, int64_t step_ns = 10'000)
      : link_(link), ts_(start_ns), step_(step_ns) {}

  void ip(const std::string& ip_bytes, bool v6, uint32_t caplen_cut = 0, uint32_t iface = 0) {
    Packet p;
    p.ts_ns = ts_;
    ts_ += step_;
    p.bytes = frame(link_, ip_bytes, v6);
    if (caplen_cut > 0) p.caplen = static_cast<uint32_t>(p.bytes.size() - std::min<std::size_t>(caplen_cut, p.bytes.size()));
    p.iface = iface;
    packets.push_back(std::move(p));
  }
  void tcp(const TcpConversation& c) {
    const auto ips = c.ip_packets();
    for (std::size_t i = 0; i < ips.size(); ++i) ip(ips[i].first, ips[i].second, c.segs[i].caplen_cut);
  }
  void udp(const Endpoint& s, const Endpoint& d, std::string_view payload, bool bad_checksum = false) {
    ip(ip_packet(s, d, proto::kUdp, udp_header_and_payload(s, d, payload, bad_checksum), next_id_++), s.v6);
  }
  // A UDP datagram sent as IP fragments, in the order given by `order` (indices; empty = in order;
  // an index may repeat to duplicate a fragment).
  void udp_fragmented(const Endpoint& s, const Endpoint& d, std::string_view payload, std::size_t frag_bytes,
                      std::vector<std::size_t> order = {}) {
    const auto frags = ip_fragments(s, d, proto::kUdp, udp_header_and_payload(s, d, payload), next_id_++, frag_bytes);
    if (order.empty())
      for (std::size_t i = 0; i < frags.size(); ++i) order.push_back(i);
    for (std::size_t i : order) ip(frags.at(i), s.v6);
  }
  std::size_t fragment_count(std::size_t l4_bytes, std::size_t frag_bytes) const {
    frag_bytes = std::max<std::size_t>(8, frag_bytes / 8 * 8);
    return (l4_bytes + frag_bytes - 1) / frag_bytes;
  }

  std::string pcap(bool nanos = true) const { return pcap_file(linktype(link_), nanos, packets); }
  Link link() const { return link_; }

  std::vector<Packet> packets;

 private:
  Link link_;
  int64_t ts_;
  int64_t step_;
  uint32_t next_id_ = 0x100;
};

}  // namespace tp::feed::test::cw
