// The whole byte-decoding chain for one capture file at a time:
//   pcap records -> link/IP/TCP/UDP headers -> TCP reassembly -> HTTP 101 upgrade -> WebSocket
//   framing (+ permessage-deflate) -> Message
// and every UDP datagram's payload -> Message.
//
// Delivered (SPEC §9.11), in capture order: server->client WebSocket text and binary messages and
// every UDP datagram (duplicates included). Never client frames, control frames, TCP streams
// without a 101 upgrade, or a message whose last packet was cut short by the capture.
//
// Push-based: step() reads one packet and calls sink.on_message(const Message&) for each message
// that packet completes. After construction and open(), stepping allocates nothing (buffers are
// sized up front; a direction's out-of-order buffer, a direction's resync buffer at its first TCP
// hole, and a message buffer meeting a bigger message than ever before may each grow once, up to
// their bounds).
//
// IPv4/IPv6 fragments are reassembled (feed/ip_fragment_reassembler.hpp) before TCP/UDP decoding.
// A TCP hole that never fills is skipped, never spliced: the WebSocket message straddling it is
// dropped and delivery resumes at a proven frame boundary (feed/websocket_framer.cpp). A server
// message still unfinished where its TCP stream ends (FIN, RST, the tuple reused, the end of the
// capture, or the next file opened before this one was read to its end) is counted as
// ws_truncated_at_end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/timing/tsc_clock.hpp"
#include "feed/decode_stats.hpp"
#include "feed/message.hpp"
#include "feed/pcap_reader.hpp"
#include "feed/websocket_framer.hpp"

namespace tp::feed {

struct DecoderOptions {
  std::size_t max_connections = 64;             // TCP connections tracked at once
  std::size_t max_out_of_order_bytes = 4u << 20;  // per direction
  std::size_t max_message_bytes = 16u << 20;    // larger WebSocket messages are dropped, counted
  std::size_t initial_message_bytes = 64u << 10;  // preallocated per connection
  std::size_t max_http_head_bytes = 8u << 10;   // longest handshake head accepted
  // After a TCP hole: bytes held per direction while looking for a provable WebSocket frame
  // boundary (allocated at the direction's first hole).
  std::size_t max_resync_bytes = 1u << 20;
  // IPv4/IPv6 fragment reassembly: datagrams in progress at once, bytes for all of them together
  // (preallocated; one datagram gets at most max_ip_fragment_bytes / max_ip_fragment_datagrams,
  // capped at 64 KiB), and how long (capture time) a datagram may wait for its fragments.
  std::size_t max_ip_fragment_datagrams = 16;
  std::size_t max_ip_fragment_bytes = 1u << 20;
  int64_t ip_fragment_timeout_ms = 30'000;
  // Read the TSC as each packet arrives (packet_tsc(): latency stamp t0, "bytes available").
  bool stamp_packets = false;
};

class TcpReassembler;
class IpFragmentReassembler;
struct L4Packet;

class CaptureDecoder {
 public:
  explicit CaptureDecoder(DecoderOptions options = {});
  ~CaptureDecoder();
  CaptureDecoder(const CaptureDecoder&) = delete;
  CaptureDecoder& operator=(const CaptureDecoder&) = delete;

  // Opens a capture (pcap or pcapng); false with a readable `error` when it cannot be read at all.
  // Forgets every connection of the previous file; the statistics keep adding up.
  bool open(const std::string& path, std::string& error);
  // Same for an open stream (fmemopen in the fuzzer); takes ownership of `fp`, also on failure.
  bool open(std::FILE* fp, std::string& error);

  // Reads one packet and calls sink.on_message(const Message&) for each message it completes.
  // Returns false at the end of the file (also when it was truncated or corrupt: counted); that
  // last call may still deliver messages that were buffered behind a TCP hole.
  template <class Sink>
  bool step(Sink& sink) noexcept {
    return step_with(MessageFn{&sink, [](void* ctx, const Message& m) noexcept { static_cast<Sink*>(ctx)->on_message(m); }});
  }
  bool step_with(MessageFn out) noexcept;  // the same, type-erased once per packet

  // Steps to the end of the file.
  template <class Sink>
  void run(Sink& sink) noexcept {
    while (step(sink)) {
    }
  }

  const DecodeStats& stats() const noexcept { return stats_; }
  // DLT_* of the open file (see feed/packet_decoder.hpp link::), -1 before open().
  int link_type() const noexcept { return reader_.link_type(); }
  // libpcap's reason when the file ended truncated or corrupt (empty otherwise).
  const std::string& end_reason() const noexcept { return reader_.end_reason(); }
  const DecoderOptions& options() const noexcept { return options_; }
  // TSC reading taken when the current packet had been read (stamp_packets), else 0.
  uint64_t packet_tsc() const noexcept { return packet_tsc_; }

 private:
  struct Session;

  static void on_open(void* ctx, uint32_t conn) noexcept;
  static void on_data(void* ctx, uint32_t conn, uint8_t dir, const uint8_t* data, std::size_t len) noexcept;
  static void on_gap(void* ctx, uint32_t conn, uint8_t dir) noexcept;
  static void on_end(void* ctx, uint32_t conn, uint8_t dir) noexcept;
  void dispatch(const L4Packet& p, int64_t ts_ns, MessageFn out) noexcept;
  void handshake(Session& s, uint8_t dir, const uint8_t* data, std::size_t len) noexcept;
  void not_websocket(Session& s) noexcept;
  void deliver_udp(const L4Packet& p, int64_t ts_ns, MessageFn out) noexcept;
  void reset_connections() noexcept;
  void finish() noexcept;

  DecoderOptions options_;
  DecodeStats stats_{};
  PcapReader reader_;
  std::unique_ptr<TcpReassembler> reassembler_;
  std::unique_ptr<IpFragmentReassembler> fragments_;
  std::vector<std::unique_ptr<Session>> sessions_;  // one per connection slot
  std::unique_ptr<char[]> udp_buf_;                // a datagram plus kPayloadPadding slack
  bool finished_ = false;
  // The packet being processed, for the reassembler's callbacks.
  int64_t packet_ts_ns_ = 0;
  uint64_t packet_tsc_ = 0;
  MessageFn out_{};
};

}  // namespace tp::feed
