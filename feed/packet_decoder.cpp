#include "feed/packet_decoder.hpp"

#include <cstring>

namespace tp::feed {
namespace {

inline uint16_t be16(const uint8_t* p) noexcept { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t be32(const uint8_t* p) noexcept {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherIpv6 = 0x86DD;
constexpr uint16_t kEtherVlan = 0x8100;
constexpr uint16_t kEtherQinQ = 0x88A8;
constexpr uint16_t kEtherQinQOld = 0x9100;

constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;

// The bytes of the network layer and what the link layer said they are.
struct NetView {
  const uint8_t* p;
  uint32_t caplen;    // captured bytes from p on
  uint32_t wire_len;  // bytes on the wire from p on (>= caplen)
  IpFragment* frag;   // where fragments go (nullptr: counted and skipped)
};

// A fragment: counted, and handed out when the caller reassembles.
Transport fragment(NetView v, IpFragment f, uint32_t captured, DecodeStats& stats) noexcept {
  stats.inc(DecodeCounter::ip_fragment);
  if (v.frag == nullptr) return Transport::None;
  f.truncated = captured < f.len;
  if (f.truncated) stats.inc(DecodeCounter::truncated_packet);
  *v.frag = f;
  return Transport::Fragment;
}

Transport fail(DecodeStats& stats, DecodeCounter why) noexcept {
  stats.inc(why);
  return Transport::None;
}

// Transport header at `p`, `avail` captured bytes of a `declared`-byte IP payload.
Transport decode_transport(uint8_t proto, const uint8_t* p, uint32_t avail, uint32_t declared, L4Packet& out,
                           DecodeStats& stats) noexcept {
  if (proto == kProtoUdp) {
    if (declared < 8) return fail(stats, DecodeCounter::malformed_packet);
    if (avail < 8) return fail(stats, DecodeCounter::truncated_packet);
    const uint16_t udp_len = be16(p + 4);
    // The UDP length bounds the datagram (IP may carry trailing padding); it cannot exceed the IP
    // payload. Length 0 is legal only for IPv6 jumbograms, which are not supported.
    if (udp_len < 8 || udp_len > declared) return fail(stats, DecodeCounter::malformed_packet);
    out.transport = Transport::Udp;
    out.src_port = be16(p);
    out.dst_port = be16(p + 2);
    out.declared_payload_len = udp_len - 8u;
    const uint32_t have = avail - 8;
    out.payload = p + 8;
    out.payload_len = have < out.declared_payload_len ? have : out.declared_payload_len;
    out.payload_truncated = out.payload_len < out.declared_payload_len;
    if (out.payload_truncated) stats.inc(DecodeCounter::truncated_packet);
    return Transport::Udp;
  }
  if (proto == kProtoTcp) {
    if (declared < 20) return fail(stats, DecodeCounter::malformed_packet);
    if (avail < 20) return fail(stats, DecodeCounter::truncated_packet);
    const uint32_t doff = static_cast<uint32_t>(p[12] >> 4) * 4;
    if (doff < 20 || doff > declared) return fail(stats, DecodeCounter::malformed_packet);
    if (doff > avail) return fail(stats, DecodeCounter::truncated_packet);
    out.transport = Transport::Tcp;
    out.src_port = be16(p);
    out.dst_port = be16(p + 2);
    out.seq = be32(p + 4);
    out.tcp_flags = p[13];
    out.declared_payload_len = declared - doff;
    const uint32_t have = avail - doff;
    out.payload = p + doff;
    out.payload_len = have < out.declared_payload_len ? have : out.declared_payload_len;
    out.payload_truncated = out.payload_len < out.declared_payload_len;
    if (out.payload_truncated) stats.inc(DecodeCounter::truncated_packet);
    return Transport::Tcp;
  }
  return fail(stats, DecodeCounter::not_tcp_udp);
}

Transport decode_ipv4(NetView v, L4Packet& out, DecodeStats& stats) noexcept {
  if (v.caplen < 20) return fail(stats, v.wire_len < 20 ? DecodeCounter::malformed_packet : DecodeCounter::truncated_packet);
  const uint8_t* ip = v.p;
  if ((ip[0] >> 4) != 4) return fail(stats, DecodeCounter::malformed_packet);
  const uint32_t ihl = static_cast<uint32_t>(ip[0] & 0x0F) * 4;
  uint32_t total = be16(ip + 2);
  // Total length 0: a TSO/GSO super-packet captured before segmentation; the wire length is all
  // there is to go by.
  if (total == 0) total = v.wire_len;
  if (ihl < 20 || total < ihl || total > v.wire_len) return fail(stats, DecodeCounter::malformed_packet);
  if (ihl > v.caplen) return fail(stats, DecodeCounter::truncated_packet);
  const uint16_t frag = be16(ip + 6);
  const uint32_t declared = total - ihl;
  const uint32_t captured = v.caplen - ihl;
  if ((frag & 0x3FFF) != 0) {  // MF set or offset != 0
    IpFragment f;
    f.src.family = f.dst.family = 4;
    std::memcpy(f.src.bytes, ip + 12, 4);
    std::memcpy(f.dst.bytes, ip + 16, 4);
    f.id = be16(ip + 4);
    f.proto = ip[9];
    f.offset = static_cast<uint32_t>(frag & 0x1FFF) * 8;
    f.more = (frag & 0x2000) != 0;
    f.data = ip + ihl;
    f.len = declared;
    return fragment(v, f, captured, stats);
  }
  out.src.family = 4;
  out.dst.family = 4;
  std::memcpy(out.src.bytes, ip + 12, 4);
  std::memcpy(out.dst.bytes, ip + 16, 4);
  return decode_transport(ip[9], ip + ihl, captured < declared ? captured : declared, declared, out, stats);
}

Transport decode_ipv6(NetView v, L4Packet& out, DecodeStats& stats) noexcept {
  if (v.caplen < 40) return fail(stats, v.wire_len < 40 ? DecodeCounter::malformed_packet : DecodeCounter::truncated_packet);
  const uint8_t* ip = v.p;
  if ((ip[0] >> 4) != 6) return fail(stats, DecodeCounter::malformed_packet);
  const uint32_t payload_len = be16(ip + 4);
  // 0 means a jumbogram (hop-by-hop option); not supported: counted as malformed.
  if (payload_len == 0 || 40 + payload_len > v.wire_len) return fail(stats, DecodeCounter::malformed_packet);
  out.src.family = 6;
  out.dst.family = 6;
  std::memcpy(out.src.bytes, ip + 8, 16);
  std::memcpy(out.dst.bytes, ip + 24, 16);

  uint8_t next = ip[6];
  uint32_t off = 40;                         // offset of the current header from ip
  const uint32_t end = 40 + payload_len;     // end of the IPv6 payload (declared)
  const uint32_t cap = v.caplen < end ? v.caplen : end;
  // Walk the extension headers; each is bounds-checked before its length byte is read.
  for (int hops = 0; hops < 16; ++hops) {
    switch (next) {
      case 0:    // hop-by-hop options
      case 43:   // routing
      case 60:   // destination options
      case 135:  // mobility
      case 139:  // HIP
      case 140: {  // shim6
        if (off + 8 > end) return fail(stats, DecodeCounter::malformed_packet);
        if (off + 8 > cap) return fail(stats, DecodeCounter::truncated_packet);
        const uint32_t len = (static_cast<uint32_t>(ip[off + 1]) + 1) * 8;
        if (off + len > end) return fail(stats, DecodeCounter::malformed_packet);
        next = ip[off];
        off += len;
        continue;
      }
      case 51: {  // authentication header: length in 4-byte units, minus 2
        if (off + 8 > end) return fail(stats, DecodeCounter::malformed_packet);
        if (off + 8 > cap) return fail(stats, DecodeCounter::truncated_packet);
        const uint32_t len = (static_cast<uint32_t>(ip[off + 1]) + 2) * 4;
        if (off + len > end) return fail(stats, DecodeCounter::malformed_packet);
        next = ip[off];
        off += len;
        continue;
      }
      case 44: {  // fragment header: an atomic fragment (offset 0, no M flag) is a whole packet
        if (off + 8 > end) return fail(stats, DecodeCounter::malformed_packet);
        if (off + 8 > cap) return fail(stats, DecodeCounter::truncated_packet);
        const uint16_t fo = be16(ip + off + 2);
        if ((fo & 0xFFF9) != 0) {
          IpFragment f;
          f.src = out.src;
          f.dst = out.dst;
          f.id = be32(ip + off + 4);
          f.proto = ip[off];
          f.offset = fo & 0xFFF8u;
          f.more = (fo & 1) != 0;
          f.data = ip + off + 8;
          f.len = end - (off + 8);
          out.src = out.dst = IpAddress{};
          return fragment(v, f, cap > off + 8 ? cap - (off + 8) : 0, stats);
        }
        next = ip[off];
        off += 8;
        continue;
      }
      case kProtoTcp:
      case kProtoUdp: {
        const uint32_t declared = end - off;
        const uint32_t captured = cap > off ? cap - off : 0;
        return decode_transport(next, ip + off, captured, declared, out, stats);
      }
      case 50:  // ESP: the rest is encrypted
        return fail(stats, DecodeCounter::ipv6_extension_unsupported);
      default:  // ICMPv6, no-next-header (59), ...
        return fail(stats, DecodeCounter::not_tcp_udp);
    }
  }
  return fail(stats, DecodeCounter::ipv6_extension_unsupported);  // absurdly long chain
}

Transport decode_by_version(NetView v, L4Packet& out, DecodeStats& stats) noexcept {
  if (v.caplen < 1) return fail(stats, v.wire_len < 1 ? DecodeCounter::malformed_packet : DecodeCounter::truncated_packet);
  switch (v.p[0] >> 4) {
    case 4: return decode_ipv4(v, out, stats);
    case 6: return decode_ipv6(v, out, stats);
    default: return fail(stats, DecodeCounter::non_ip);
  }
}

Transport decode_ethertype(uint16_t type, NetView v, L4Packet& out, DecodeStats& stats) noexcept {
  if (type == kEtherIpv4) return decode_ipv4(v, out, stats);
  if (type == kEtherIpv6) return decode_ipv6(v, out, stats);
  return fail(stats, DecodeCounter::non_ip);
}

// Skips `n` link-layer bytes; false (counted) when the packet is shorter.
bool skip(NetView& v, uint32_t n, DecodeStats& stats) noexcept {
  if (v.wire_len < n) {
    stats.inc(DecodeCounter::malformed_packet);
    return false;
  }
  if (v.caplen < n) {
    stats.inc(DecodeCounter::truncated_packet);
    return false;
  }
  v.p += n;
  v.caplen -= n;
  v.wire_len -= n;
  return true;
}

Transport decode_ethernet(NetView v, L4Packet& out, DecodeStats& stats) noexcept {
  const uint8_t* hdr = v.p;
  if (!skip(v, 14, stats)) return Transport::None;
  uint16_t type = be16(hdr + 12);
  // 802.1Q / 802.1ad (QinQ) tags: 2 bytes TCI then the next ethertype. Bounded: a packet can
  // only hold so many tags, and each one is checked before it is read.
  while (type == kEtherVlan || type == kEtherQinQ || type == kEtherQinQOld) {
    const uint8_t* tag = v.p;
    if (!skip(v, 4, stats)) return Transport::None;
    type = be16(tag + 2);
  }
  return decode_ethertype(type, v, out, stats);
}

// BSD loopback: a 4-byte address family, host order of the capturing machine for DLT_NULL,
// network order for DLT_LOOP. The value is tiny, so whichever byte order gives a value < 256 wins.
Transport decode_loopback(NetView v, L4Packet& out, DecodeStats& stats) noexcept {
  const uint8_t* hdr = v.p;
  if (!skip(v, 4, stats)) return Transport::None;
  uint32_t family = be32(hdr);
  if (family > 0xFF) family = (uint32_t{hdr[3]} << 24) | (uint32_t{hdr[2]} << 16) | (uint32_t{hdr[1]} << 8) | hdr[0];
  switch (family) {
    case 2: return decode_ipv4(v, out, stats);  // AF_INET everywhere
    case 10:                                    // AF_INET6: Linux
    case 24:                                    // NetBSD, OpenBSD
    case 28:                                    // FreeBSD
    case 30:                                    // macOS
      return decode_ipv6(v, out, stats);
    default: return fail(stats, DecodeCounter::non_ip);
  }
}

}  // namespace

Transport decode_packet(int link_type, const uint8_t* data, uint32_t caplen, uint32_t wire_len, L4Packet& out,
                        DecodeStats& stats) noexcept {
  return decode_packet(link_type, data, caplen, wire_len, out, stats, nullptr);
}

Transport decode_reassembled(const IpFragment& head, const uint8_t* payload, uint32_t len, L4Packet& out,
                             DecodeStats& stats) noexcept {
  out = L4Packet{};
  out.src = head.src;
  out.dst = head.dst;
  return decode_transport(head.proto, payload, len, len, out, stats);
}

Transport decode_packet(int link_type, const uint8_t* data, uint32_t caplen, uint32_t wire_len, L4Packet& out,
                        DecodeStats& stats, IpFragment* frag) noexcept {
  out = L4Packet{};
  // A record whose len is below its caplen is nonsense; trust what was captured.
  NetView v{data, caplen, wire_len < caplen ? caplen : wire_len, frag};
  switch (link_type) {
    case link::kEthernet: return decode_ethernet(v, out, stats);
    case link::kLinuxSll: {  // 16-byte header, protocol (ethertype) in its last 2 bytes
      const uint8_t* hdr = v.p;
      if (!skip(v, 16, stats)) return Transport::None;
      return decode_ethertype(be16(hdr + 14), v, out, stats);
    }
    case link::kLinuxSll2: {  // 20-byte header, protocol first
      const uint8_t* hdr = v.p;
      if (!skip(v, 20, stats)) return Transport::None;
      return decode_ethertype(be16(hdr), v, out, stats);
    }
    case link::kRaw:
    case link::kRawAlt:
    case link::kRawLinktype: return decode_by_version(v, out, stats);
    case link::kIpv4: return decode_ipv4(v, out, stats);
    case link::kIpv6: return decode_ipv6(v, out, stats);
    case link::kNull:
    case link::kLoop: return decode_loopback(v, out, stats);
    default: return fail(stats, DecodeCounter::unsupported_link_type);
  }
}

}  // namespace tp::feed
