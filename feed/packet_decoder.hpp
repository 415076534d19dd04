// Link layer -> IPv4/IPv6 -> TCP/UDP header decoding of one captured packet.
//
// Pure function of the packet bytes: no state, no allocation. Every length read from a header is
// checked against what was captured before anything behind it is touched; a packet that does not
// fit is counted and skipped, never read past caplen.
#pragma once

#include <cstdint>

#include "feed/decode_stats.hpp"

namespace tp::feed {

// Link types, as libpcap's pcap_datalink() reports them (DLT_* values, numbered here so callers
// and tests need not include pcap.h).
namespace link {
inline constexpr int kNull = 0;          // DLT_NULL: 4-byte address family in the capturing host's order
inline constexpr int kEthernet = 1;      // DLT_EN10MB
inline constexpr int kRaw = 12;          // DLT_RAW (LINKTYPE_RAW 101 in a file maps to it)
inline constexpr int kRawAlt = 14;       // DLT_RAW on OpenBSD
inline constexpr int kRawLinktype = 101; // LINKTYPE_RAW, in case a libpcap passes it through
inline constexpr int kLoop = 108;        // DLT_LOOP: 4-byte address family, network order
inline constexpr int kLinuxSll = 113;    // DLT_LINUX_SLL
inline constexpr int kIpv4 = 228;        // DLT_IPV4
inline constexpr int kIpv6 = 229;        // DLT_IPV6
inline constexpr int kLinuxSll2 = 276;   // DLT_LINUX_SLL2
}  // namespace link

// An IPv4 address is stored in the first 4 bytes, the rest zero; family tells them apart.
struct IpAddress {
  uint8_t family = 0;  // 4 or 6
  uint8_t bytes[16] = {};
};

// Fragment: only from the overload of decode_packet() that takes an IpFragment.
enum class Transport : uint8_t { None, Tcp, Udp, Fragment };

namespace tcp_flag {
inline constexpr uint8_t kFin = 0x01;
inline constexpr uint8_t kSyn = 0x02;
inline constexpr uint8_t kRst = 0x04;
inline constexpr uint8_t kAck = 0x10;
}  // namespace tcp_flag

// The transport view of a packet. payload points into the packet's bytes.
struct L4Packet {
  Transport transport = Transport::None;
  IpAddress src;
  IpAddress dst;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t seq = 0;         // TCP only
  uint8_t tcp_flags = 0;    // TCP only
  const uint8_t* payload = nullptr;
  uint32_t payload_len = 0;     // bytes of payload present at `payload`
  // The IP/UDP headers declare more payload than was captured: payload_len bytes are real, the
  // rest were never captured. UDP datagrams like that are skipped; TCP marks the bytes as lost.
  bool payload_truncated = false;
  uint32_t declared_payload_len = 0;  // payload length per the headers (>= payload_len)
};

// One fragment of an IPv4 datagram or of an IPv6 packet (fragment extension header), handed out
// for reassembly (feed/ip_fragment_reassembler.hpp).
struct IpFragment {
  IpAddress src;
  IpAddress dst;
  uint32_t id = 0;        // IPv4: the 16-bit identification; IPv6: the 32-bit one
  uint8_t proto = 0;      // IPv4 protocol / IPv6 next header after the fragment header
  uint32_t offset = 0;    // where `data` goes in the reassembled payload (bytes)
  bool more = false;      // MF (IPv4) / M (IPv6): more fragments follow
  const uint8_t* data = nullptr;
  uint32_t len = 0;       // fragment data bytes per the headers
  bool truncated = false; // fewer than `len` bytes were captured: the fragment is unusable
};

// Decodes one packet. Returns Tcp or Udp with `out` filled, or None after counting the reason
// (non_ip, ip_fragment, not_tcp_udp, malformed_packet, truncated_packet, unsupported_link_type).
// `wire_len` is the packet's length on the wire (pcap len), used only when IPv4 reports a total
// length of 0 (segmentation offload captured before the NIC split the packet).
Transport decode_packet(int link_type, const uint8_t* data, uint32_t caplen, uint32_t wire_len, L4Packet& out,
                        DecodeStats& stats) noexcept;
// The same, except that a fragment (IPv4 MF/offset, IPv6 fragment header that is not atomic) is
// counted as ip_fragment and returned as Fragment with `frag` filled (`out` untouched).
Transport decode_packet(int link_type, const uint8_t* data, uint32_t caplen, uint32_t wire_len, L4Packet& out,
                        DecodeStats& stats, IpFragment* frag) noexcept;
// Decodes the transport header of a reassembled datagram: `payload` is the whole IP payload
// (`len` bytes) of the datagram `head` was a fragment of. Tcp, Udp or None (counted).
Transport decode_reassembled(const IpFragment& head, const uint8_t* payload, uint32_t len, L4Packet& out,
                             DecodeStats& stats) noexcept;

}  // namespace tp::feed
