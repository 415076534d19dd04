// Counters of the byte-decoding chain (pcap file -> packets -> TCP streams / UDP datagrams ->
// WebSocket messages). Every byte or packet the chain does not turn into a Message is counted under
// exactly one reason, so a report that prints every non-zero counter explains what was skipped.
// (A few counters say more about one of those reasons and are marked "of those": they are details,
// not further losses.)
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/types/counters.hpp"

namespace tp::feed {

enum class DecodeCounter : uint8_t {
  // pcap file
  packets,                 // records read from the capture
  bytes,                   // captured bytes of those records (caplen)
  truncated_packet,        // caplen < len cut into headers or payload: the packet's payload is lost
  truncated_file,          // the file ended in the middle of a record, or (pcapng) before its first interface
                           // block (what came before is kept)
  corrupt_file,            // the capture reader reported another error; reading stopped there (also right
                           // after a valid pcapng section header)
  unsupported_link_type,   // packets on a link type the decoder does not know
  // link / network layer
  malformed_packet,        // header fields inconsistent with each other or with the packet length
  non_ip,                  // ARP, LLDP, ... (not IPv4/IPv6)
  ip_fragment,             // IPv4/IPv6 fragment packets (taken into reassembly)
  ipv6_extension_unsupported,  // an IPv6 extension header that cannot be skipped (ESP, ...)
  not_tcp_udp,             // ICMP, SCTP, ...
  ip_fragment_reassembled, // datagrams put back together from their fragments (then decoded)
  ip_fragment_dropped,     // datagrams given up: conflicting overlap, too big, table full, timeout, end of capture
  // TCP
  tcp_segments,            // TCP segments seen
  tcp_connections,         // connections tracked (a slot was taken)
  tcp_connection_limit,    // segments of a new connection dropped: every slot was in use
  tcp_retransmission,      // segments whose bytes were (partly) delivered already
  tcp_out_of_order,        // segments buffered ahead of a hole
  tcp_gap,                 // holes that were never filled: the bytes are skipped (never spliced)
  tcp_resync,              // WebSocket frame boundaries proven after a hole: delivery resumed
  tcp_data_after_close,    // payload after the direction's FIN/RST
  // HTTP upgrade
  not_websocket,           // TCP connections that never completed an HTTP 101 WebSocket upgrade
  ws_bad_handshake,        // a 101 response with an unusable Sec-WebSocket-Extensions header
  // WebSocket
  ws_control_frame,        // ping / pong / close frames (never delivered)
  ws_client_message,       // complete client->server data messages (decoded, never delivered)
  ws_protocol_error,       // RFC 6455 violation; that direction stops decoding
  ws_message_too_big,      // messages over max_message_bytes, dropped (told by a frame header or by inflating)
  ws_oversized_frame,      // of those: told by an uncompressed frame's header (its declared length)
  ws_oversized_frame_bytes,  // payload bytes of those frames, skipped unread by their declared length
  ws_inflate_error,        // permessage-deflate data that does not inflate
  ws_resync_impossible,    // a hole in a permessage-deflate stream with context takeover: direction stopped
  ws_truncated_at_end,     // server messages cut off where their TCP stream ended (FIN, RST, tuple reused,
                           // end of the capture, next file opened first)
  // delivered
  messages_udp,
  messages_websocket,
  kCount
};

inline constexpr std::size_t kDecodeCounterCount = static_cast<std::size_t>(DecodeCounter::kCount);

// snake_case names, index = enum value; the report prints them verbatim.
inline constexpr std::array<std::string_view, kDecodeCounterCount> kDecodeCounterNames = {
    "packets",
    "bytes",
    "truncated_packet",
    "truncated_file",
    "corrupt_file",
    "unsupported_link_type",
    "malformed_packet",
    "non_ip",
    "ip_fragment",
    "ipv6_extension_unsupported",
    "not_tcp_udp",
    "ip_fragment_reassembled",
    "ip_fragment_dropped",
    "tcp_segments",
    "tcp_connections",
    "tcp_connection_limit",
    "tcp_retransmission",
    "tcp_out_of_order",
    "tcp_gap",
    "tcp_resync",
    "tcp_data_after_close",
    "not_websocket",
    "ws_bad_handshake",
    "ws_control_frame",
    "ws_client_message",
    "ws_protocol_error",
    "ws_message_too_big",
    "ws_oversized_frame",
    "ws_oversized_frame_bytes",
    "ws_inflate_error",
    "ws_resync_impossible",
    "ws_truncated_at_end",
    "messages_udp",
    "messages_websocket",
};

static_assert(!kDecodeCounterNames.back().empty(), "a counter has no name");

constexpr std::string_view decode_counter_name(DecodeCounter c) noexcept {
  return kDecodeCounterNames[static_cast<std::size_t>(c)];
}

using DecodeStats = tp::CounterSet<DecodeCounter, kDecodeCounterCount>;

}  // namespace tp::feed
