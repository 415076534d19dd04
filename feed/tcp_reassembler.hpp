// TCP stream reassembly: turns captured segments into the in-order byte stream of each direction
// of each connection.
//
// Connections are keyed by their 4-tuple (plus address family); the two directions are tracked
// separately. All connection slots are allocated at construction; a direction's out-of-order
// buffer is allocated the first time that direction needs it (once, at its bound) and reused by
// every later connection in the slot. Nothing else allocates per segment.
//
// Sequence numbers are compared with serial arithmetic (RFC 1982) relative to the next byte the
// direction expects, so the 2^32 wrap is invisible.
//
// Holes. A hole is declared lost (counted tcp_gap, once per hole) when waiting for it is no longer
// possible: the bytes buffered behind it would exceed the out-of-order bound or the interval list,
// a segment that was needed was cut short by the capture (caplen < len), the connection was reset,
// or the capture ended. The handler's on_gap() is called first, then delivery resumes at the next
// buffered byte. The reassembler never splices: on_gap() always separates the bytes before the
// hole from those after it, and it is up to the consumer (the WebSocket framer) to drop what
// straddles the hole and to find a provable boundary in what follows.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "feed/decode_stats.hpp"
#include "feed/packet_decoder.hpp"

namespace tp::feed {

struct TcpReassemblerOptions {
  std::size_t max_connections = 64;
  // Per direction; rounded down to a power of two (at least 4 KiB) so a sequence number maps to a
  // ring slot with a mask.
  std::size_t max_out_of_order_bytes = 4u << 20;
};

// Where delivered bytes go. Called synchronously from process()/finish(); `data` is valid only for
// the call. conn is a slot index < max_connections; dir is 0 or 1 (see TcpReassembler::Direction).
struct TcpStreamHandler {
  void* ctx = nullptr;
  // A new connection took slot `conn` (whatever lived there before is gone).
  void (*on_open)(void* ctx, uint32_t conn) noexcept = nullptr;
  // In-order bytes of one direction.
  void (*on_data)(void* ctx, uint32_t conn, uint8_t dir, const uint8_t* data, std::size_t len) noexcept = nullptr;
  // Bytes of direction `dir` were lost: the next on_data() of that direction does not continue the
  // previous one. Optional (nullptr: not told).
  void (*on_gap)(void* ctx, uint32_t conn, uint8_t dir) noexcept = nullptr;
  // Direction `dir` delivered its last byte: its FIN was reached, the connection was reset or its
  // tuple reused by a new connection, or the input ended (finish()). Called at most once per
  // direction and connection, after everything deliverable was delivered, so what the consumer
  // still holds (a partial message) is lost. Optional (nullptr: not told).
  void (*on_end)(void* ctx, uint32_t conn, uint8_t dir) noexcept = nullptr;
};

class TcpReassembler {
 public:
  TcpReassembler(const TcpReassemblerOptions& options, TcpStreamHandler handler, DecodeStats* stats);

  // Feeds one TCP segment (seg.transport == Tcp). Delivers whatever became contiguous.
  void process(const L4Packet& seg) noexcept;
  // End of input: every direction still waiting for a hole counts tcp_gap and delivers what it
  // buffered behind it (after on_gap); every direction not closed yet is then told its end
  // (on_end). Connections stay.
  void finish() noexcept;
  // Forgets every connection (a new capture file); the slots and their buffers are kept.
  void reset() noexcept;

  std::size_t active_connections() const noexcept { return max_connections_ - free_.size(); }
  std::size_t max_connections() const noexcept { return max_connections_; }

  // Direction of a segment within its connection: 0 when sent by the endpoint that sorts lower
  // (address family, address bytes, port), 1 otherwise. Stable for the connection's lifetime.
  static uint8_t direction(const L4Packet& seg) noexcept;

 private:
  struct Interval {
    uint32_t begin;  // absolute sequence numbers, [begin, end)
    uint32_t end;
  };
  static constexpr std::size_t kMaxIntervals = 64;

  struct Stream {
    uint32_t next_seq = 0;   // next byte to deliver (valid once started)
    uint32_t fin_seq = 0;    // sequence number of the FIN (valid when fin_pending)
    bool started = false;
    bool fin_pending = false;
    bool closed = false;     // FIN reached or RST seen: later payload is ignored
    bool ended = false;      // on_end() was called (finish() does not close a stream)
    // Out-of-order bytes live at ring[seq & ring_mask]; invariant: every buffered byte lies in
    // [next_seq, next_seq + ring size), so two buffered bytes never share a slot.
    std::unique_ptr<uint8_t[]> ring;
    std::size_t n_intervals = 0;  // sorted, disjoint, non-adjacent, all after next_seq
    std::array<Interval, kMaxIntervals> intervals{};
  };

  struct Key {
    IpAddress addr[2];   // addr[0]/port[0] is the endpoint that sorts lower
    uint16_t port[2];
  };

  struct Conn {
    Key key{};
    bool in_use = false;
    Stream dir[2];
  };

  static Key make_key(const L4Packet& seg) noexcept;
  static bool same_key(const Key& a, const Key& b) noexcept;
  static uint64_t hash_key(const Key& k) noexcept;

  int32_t find(const Key& k, uint64_t h) const noexcept;
  int32_t insert(const Key& k, uint64_t h) noexcept;   // -1 when every slot is taken
  void release(uint32_t conn) noexcept;

  void reset_stream(Stream& s) noexcept;
  void accept_bytes(uint32_t conn, uint8_t dir, uint32_t seq, const uint8_t* data, uint32_t len) noexcept;
  void buffer_out_of_order(uint32_t conn, uint8_t dir, uint32_t seq, const uint8_t* data, uint32_t len) noexcept;
  void drain(uint32_t conn, uint8_t dir) noexcept;
  // Declares the bytes in [next_seq, target) lost: counts tcp_gap, tells the handler, moves
  // next_seq to target (buffered bytes before it are discarded) and delivers what became contiguous.
  void skip_to(uint32_t conn, uint8_t dir, uint32_t target) noexcept;
  // Gives up on every hole of a direction, delivering all it buffered (end of capture, RST).
  void flush_holes(uint32_t conn, uint8_t dir) noexcept;
  // The connection is over before both FINs were reached (RST, tuple reused): every direction not
  // closed yet delivers what it buffered and is told its end.
  void end_open_directions(uint32_t conn) noexcept;
  // Tells the handler that a direction ended (once).
  void end_stream(uint32_t conn, uint8_t dir) noexcept;
  void maybe_close(uint32_t conn, uint8_t dir) noexcept;

  std::size_t max_connections_;
  std::size_t ring_size_;    // power of two
  TcpStreamHandler handler_;
  DecodeStats* stats_;
  std::vector<Conn> conns_;
  std::vector<uint32_t> free_;     // free slot indices (stack)
  std::vector<int32_t> table_;     // open addressing, linear probing; -1 = empty; size power of two
  std::size_t table_mask_;
};

}  // namespace tp::feed
