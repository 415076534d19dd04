#include "feed/tcp_reassembler.hpp"

#include <algorithm>
#include <cstring>
#include <new>

namespace tp::feed {
namespace {

// Serial-number distance from `from` to `to` (RFC 1982): positive when `to` is ahead.
inline int32_t seq_diff(uint32_t to, uint32_t from) noexcept { return static_cast<int32_t>(to - from); }

// Compares two endpoints (family, address, port); < 0, 0, > 0.
int compare_endpoint(const IpAddress& a, uint16_t ap, const IpAddress& b, uint16_t bp) noexcept {
  if (a.family != b.family) return a.family < b.family ? -1 : 1;
  const int c = std::memcmp(a.bytes, b.bytes, sizeof a.bytes);
  if (c != 0) return c;
  if (ap != bp) return ap < bp ? -1 : 1;
  return 0;
}

std::size_t ring_size_for(std::size_t bound) noexcept {
  // Offsets inside the ring are compared as int32 serial distances: keep it well below 2^31.
  constexpr std::size_t kMin = 4096, kMax = std::size_t{1} << 30;
  bound = std::clamp(bound, kMin, kMax);
  std::size_t size = kMin;
  while (size * 2 <= bound) size *= 2;
  return size;
}

std::size_t table_size_for(std::size_t conns) noexcept {
  std::size_t size = 8;
  while (size < conns * 2) size *= 2;  // load factor <= 1/2 keeps probe chains short
  return size;
}

}  // namespace

TcpReassembler::TcpReassembler(const TcpReassemblerOptions& options, TcpStreamHandler handler, DecodeStats* stats)
    : max_connections_(std::max<std::size_t>(options.max_connections, 1)),
      ring_size_(ring_size_for(options.max_out_of_order_bytes)),
      handler_(handler),
      stats_(stats),
      conns_(max_connections_),
      table_(table_size_for(max_connections_), -1),
      table_mask_(table_.size() - 1) {
  free_.reserve(max_connections_);
  reset();
}

void TcpReassembler::reset() noexcept {
  for (Conn& c : conns_) {
    c.in_use = false;
    reset_stream(c.dir[0]);
    reset_stream(c.dir[1]);
  }
  std::fill(table_.begin(), table_.end(), -1);
  free_.clear();
  // Hand out low slot numbers first (a stack popped from the back).
  for (std::size_t i = max_connections_; i > 0; --i) free_.push_back(static_cast<uint32_t>(i - 1));
}

void TcpReassembler::reset_stream(Stream& s) noexcept {
  s.next_seq = 0;
  s.fin_seq = 0;
  s.started = false;
  s.fin_pending = false;
  s.closed = false;
  s.ended = false;
  s.n_intervals = 0;  // the ring itself is kept for the slot's next connection
}

uint8_t TcpReassembler::direction(const L4Packet& seg) noexcept {
  return compare_endpoint(seg.src, seg.src_port, seg.dst, seg.dst_port) <= 0 ? 0 : 1;
}

TcpReassembler::Key TcpReassembler::make_key(const L4Packet& seg) noexcept {
  Key k{};
  if (direction(seg) == 0) {
    k.addr[0] = seg.src;
    k.port[0] = seg.src_port;
    k.addr[1] = seg.dst;
    k.port[1] = seg.dst_port;
  } else {
    k.addr[0] = seg.dst;
    k.port[0] = seg.dst_port;
    k.addr[1] = seg.src;
    k.port[1] = seg.src_port;
  }
  return k;
}

bool TcpReassembler::same_key(const Key& a, const Key& b) noexcept {
  return compare_endpoint(a.addr[0], a.port[0], b.addr[0], b.port[0]) == 0 &&
         compare_endpoint(a.addr[1], a.port[1], b.addr[1], b.port[1]) == 0;
}

uint64_t TcpReassembler::hash_key(const Key& k) noexcept {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  auto mix = [&h](uint8_t b) {
    h ^= b;
    h *= 1099511628211ull;
  };
  for (int e = 0; e < 2; ++e) {
    mix(k.addr[e].family);
    const int n = k.addr[e].family == 4 ? 4 : 16;
    for (int i = 0; i < n; ++i) mix(k.addr[e].bytes[i]);
    mix(static_cast<uint8_t>(k.port[e] >> 8));
    mix(static_cast<uint8_t>(k.port[e]));
  }
  return h ^ (h >> 29);
}

int32_t TcpReassembler::find(const Key& k, uint64_t h) const noexcept {
  for (std::size_t i = h & table_mask_;; i = (i + 1) & table_mask_) {
    const int32_t slot = table_[i];
    if (slot < 0) return -1;
    if (same_key(conns_[static_cast<std::size_t>(slot)].key, k)) return slot;
  }
}

int32_t TcpReassembler::insert(const Key& k, uint64_t h) noexcept {
  if (free_.empty()) return -1;
  const uint32_t slot = free_.back();
  free_.pop_back();
  Conn& c = conns_[slot];
  c.key = k;
  c.in_use = true;
  reset_stream(c.dir[0]);
  reset_stream(c.dir[1]);
  std::size_t i = h & table_mask_;
  while (table_[i] >= 0) i = (i + 1) & table_mask_;  // the table is at most half full
  table_[i] = static_cast<int32_t>(slot);
  return static_cast<int32_t>(slot);
}

void TcpReassembler::release(uint32_t conn) noexcept {
  Conn& c = conns_[conn];
  if (!c.in_use) return;
  std::size_t i = hash_key(c.key) & table_mask_;
  while (table_[i] != static_cast<int32_t>(conn)) i = (i + 1) & table_mask_;
  // Backward-shift deletion: later entries of the probe chain move up so find() never stops early
  // at the hole (no tombstones to clean up).
  table_[i] = -1;
  for (std::size_t j = (i + 1) & table_mask_; table_[j] >= 0; j = (j + 1) & table_mask_) {
    const std::size_t home = hash_key(conns_[static_cast<std::size_t>(table_[j])].key) & table_mask_;
    const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
    if (!stays) {
      table_[i] = table_[j];
      table_[j] = -1;
      i = j;
    }
  }
  c.in_use = false;
  free_.push_back(conn);
}

void TcpReassembler::skip_to(uint32_t conn, uint8_t dir, uint32_t target) noexcept {
  Stream& s = conns_[conn].dir[dir];
  if (seq_diff(target, s.next_seq) <= 0) return;
  stats_->inc(DecodeCounter::tcp_gap);
  if (handler_.on_gap != nullptr) handler_.on_gap(handler_.ctx, conn, dir);
  // Buffered bytes before the target go with the hole.
  std::size_t k = 0;
  while (k < s.n_intervals && seq_diff(s.intervals[k].end, target) <= 0) ++k;
  for (std::size_t m = k; m < s.n_intervals; ++m) s.intervals[m - k] = s.intervals[m];
  s.n_intervals -= k;
  if (s.n_intervals > 0 && seq_diff(s.intervals[0].begin, target) < 0) s.intervals[0].begin = target;
  s.next_seq = target;
  drain(conn, dir);
}

void TcpReassembler::flush_holes(uint32_t conn, uint8_t dir) noexcept {
  Stream& s = conns_[conn].dir[dir];
  while (s.n_intervals > 0) skip_to(conn, dir, s.intervals[0].begin);
}

void TcpReassembler::end_stream(uint32_t conn, uint8_t dir) noexcept {
  Stream& s = conns_[conn].dir[dir];
  if (s.ended) return;
  s.ended = true;
  if (handler_.on_end != nullptr) handler_.on_end(handler_.ctx, conn, dir);
}

void TcpReassembler::end_open_directions(uint32_t conn) noexcept {
  for (uint8_t k = 0; k < 2; ++k) {
    if (conns_[conn].dir[k].closed) continue;  // told when its FIN was reached
    flush_holes(conn, k);
    end_stream(conn, k);
  }
}

void TcpReassembler::process(const L4Packet& seg) noexcept {
  stats_->inc(DecodeCounter::tcp_segments);
  const bool syn = (seg.tcp_flags & tcp_flag::kSyn) != 0;
  const bool fin = (seg.tcp_flags & tcp_flag::kFin) != 0;
  const bool rst = (seg.tcp_flags & tcp_flag::kRst) != 0;
  const bool ack = (seg.tcp_flags & tcp_flag::kAck) != 0;
  const Key key = make_key(seg);
  const uint64_t h = hash_key(key);
  const uint8_t d = direction(seg);

  int32_t found = find(key, h);
  if (found >= 0 && syn && !ack) {
    // A client SYN with a new ISN on a tuple still tracked: the port was reused and the old
    // connection's end was not captured. Start over rather than mixing two byte streams.
    const Stream& s = conns_[static_cast<std::size_t>(found)].dir[d];
    if (s.started && static_cast<uint32_t>(seg.seq + 1) != s.next_seq) {
      // Whatever the old connection buffered behind a hole is delivered first, then its streams end.
      end_open_directions(static_cast<uint32_t>(found));
      release(static_cast<uint32_t>(found));
      found = -1;
    }
  }
  if (found < 0) {
    // Only a SYN or a segment with payload opens a connection: a stray ACK/FIN/RST of a connection
    // that ended (or began before the capture) carries nothing to deliver.
    if (rst || (!syn && seg.declared_payload_len == 0)) return;
    found = insert(key, h);
    if (found < 0) {
      stats_->inc(DecodeCounter::tcp_connection_limit);
      return;
    }
    stats_->inc(DecodeCounter::tcp_connections);
    if (handler_.on_open != nullptr) handler_.on_open(handler_.ctx, static_cast<uint32_t>(found));
  }
  const uint32_t conn = static_cast<uint32_t>(found);
  Conn& c = conns_[conn];
  Stream& s = c.dir[d];

  if (rst) {
    // The connection is over in both directions; the bytes a hole is waiting for never come:
    // deliver what was buffered behind it, then tell each direction it ended.
    end_open_directions(conn);
    release(conn);
    return;
  }
  if (s.closed) {
    if (seg.declared_payload_len > 0) {
      const bool old = seq_diff(seg.seq + seg.declared_payload_len, s.fin_seq) <= 0;
      stats_->inc(old ? DecodeCounter::tcp_retransmission : DecodeCounter::tcp_data_after_close);
    }
    return;
  }

  uint32_t data_seq = seg.seq;
  if (syn) {
    data_seq = seg.seq + 1;  // the SYN occupies one sequence number
    if (!s.started) {
      s.started = true;
      s.next_seq = data_seq;
    }
  } else if (!s.started) {
    s.started = true;  // seen mid-stream: the stream starts at its first captured segment
    s.next_seq = seg.seq;
  }

  if (seg.payload_truncated) {
    // Part of this segment was never captured. Delivering its captured prefix could complete a
    // message whose last packet is cut, and the rest can only come from a retransmission that a
    // capture cutting this one would cut too. Needed now: its bytes are a hole, given up at once.
    // Further ahead: it is ignored, and the hole it leaves is handled like any other.
    const uint32_t end = data_seq + seg.declared_payload_len;
    if (seq_diff(end, s.next_seq) <= 0) {
      stats_->inc(DecodeCounter::tcp_retransmission);
    } else if (seq_diff(data_seq, s.next_seq) <= 0) {
      skip_to(conn, d, s.fin_pending && seq_diff(end, s.fin_seq) > 0 ? s.fin_seq : end);
    }
  } else if (seg.payload_len > 0) {
    uint32_t len = seg.payload_len;
    // Bytes past a FIN already seen cannot belong to the stream.
    if (s.fin_pending) {
      const int32_t room = seq_diff(s.fin_seq, data_seq);
      len = room <= 0 ? 0 : std::min<uint32_t>(len, static_cast<uint32_t>(room));
    }
    if (len > 0) accept_bytes(conn, d, data_seq, seg.payload, len);
  }
  if (fin && !s.fin_pending) {
    s.fin_pending = true;
    s.fin_seq = data_seq + seg.declared_payload_len;
  }
  maybe_close(conn, d);
}

void TcpReassembler::accept_bytes(uint32_t conn, uint8_t dir, uint32_t seq, const uint8_t* data, uint32_t len) noexcept {
  Stream& s = conns_[conn].dir[dir];
  const int32_t diff = seq_diff(seq, s.next_seq);
  const int64_t end = static_cast<int64_t>(diff) + len;
  if (end <= 0) {
    stats_->inc(DecodeCounter::tcp_retransmission);  // every byte was delivered already
    return;
  }
  if (diff > 0) {
    stats_->inc(DecodeCounter::tcp_out_of_order);
    buffer_out_of_order(conn, dir, seq, data, len);
    return;
  }
  const uint32_t skip = static_cast<uint32_t>(-static_cast<int64_t>(diff));
  if (skip > 0) stats_->inc(DecodeCounter::tcp_retransmission);  // partial: only the tail is new
  const uint32_t n = len - skip;
  s.next_seq += n;
  handler_.on_data(handler_.ctx, conn, dir, data + skip, n);
  drain(conn, dir);
}

void TcpReassembler::buffer_out_of_order(uint32_t conn, uint8_t dir, uint32_t seq, const uint8_t* data,
                                         uint32_t len) noexcept {
  Stream& s = conns_[conn].dir[dir];
  std::size_t i = 0, j = 0;
  uint32_t nb = 0, ne = 0;
  // Make room: holes are given up, oldest first, until the segment fits the ring and the list.
  for (;;) {
    const int32_t diff = seq_diff(seq, s.next_seq);
    if (diff <= 0) {
      // Giving up the holes before it made the segment (partly) in order.
      const int64_t end = static_cast<int64_t>(diff) + len;
      if (end <= 0) return;
      const uint32_t skip = static_cast<uint32_t>(-static_cast<int64_t>(diff));
      s.next_seq += len - skip;
      handler_.on_data(handler_.ctx, conn, dir, data + skip, len - skip);
      drain(conn, dir);
      return;
    }
    const uint32_t off = static_cast<uint32_t>(diff);
    if (static_cast<uint64_t>(off) + len > ring_size_) {
      // The hole stayed open for longer than the bound allows.
      skip_to(conn, dir, s.n_intervals > 0 ? s.intervals[0].begin : seq);
      continue;
    }
    if (!s.ring) {
      s.ring.reset(new (std::nothrow) uint8_t[ring_size_]);
      if (!s.ring) {
        skip_to(conn, dir, seq);  // no memory to wait with: the hole is lost now
        continue;
      }
    }
    // Where [off, off+len) goes in the sorted interval list (offsets relative to next_seq).
    nb = off;
    ne = off + len;
    const uint32_t b = s.next_seq;
    i = 0;
    while (i < s.n_intervals && s.intervals[i].end - b < nb) ++i;
    j = i;
    while (j < s.n_intervals && s.intervals[j].begin - b <= ne) {
      nb = std::min(nb, s.intervals[j].begin - b);
      ne = std::max(ne, s.intervals[j].end - b);
      ++j;
    }
    if (i == j && s.n_intervals == kMaxIntervals) {
      skip_to(conn, dir, s.intervals[0].begin);  // too many holes at once: the oldest is lost
      continue;
    }
    break;
  }
  const std::size_t mask = ring_size_ - 1;
  const std::size_t idx = seq & mask;
  const std::size_t first = std::min<std::size_t>(len, ring_size_ - idx);
  std::memcpy(s.ring.get() + idx, data, first);
  if (first < len) std::memcpy(s.ring.get(), data + first, len - first);

  if (i == j) {
    for (std::size_t k = s.n_intervals; k > i; --k) s.intervals[k] = s.intervals[k - 1];
    ++s.n_intervals;
  } else {
    const std::size_t removed = j - i - 1;
    for (std::size_t k = i + 1; k + removed < s.n_intervals; ++k) s.intervals[k] = s.intervals[k + removed];
    s.n_intervals -= removed;
  }
  s.intervals[i] = Interval{s.next_seq + nb, s.next_seq + ne};
}

void TcpReassembler::drain(uint32_t conn, uint8_t dir) noexcept {
  Stream& s = conns_[conn].dir[dir];
  const std::size_t mask = ring_size_ - 1;
  while (s.n_intervals > 0 && seq_diff(s.intervals[0].begin, s.next_seq) <= 0) {
    const Interval iv = s.intervals[0];
    for (std::size_t k = 1; k < s.n_intervals; ++k) s.intervals[k - 1] = s.intervals[k];
    --s.n_intervals;
    const int32_t n = seq_diff(iv.end, s.next_seq);
    if (n <= 0) continue;  // already delivered by the segment that filled the hole
    const std::size_t idx = s.next_seq & mask;
    const std::size_t len = static_cast<std::size_t>(n);
    const std::size_t first = std::min(len, ring_size_ - idx);
    s.next_seq = iv.end;
    handler_.on_data(handler_.ctx, conn, dir, s.ring.get() + idx, first);
    if (first < len) handler_.on_data(handler_.ctx, conn, dir, s.ring.get(), len - first);
  }
}

void TcpReassembler::maybe_close(uint32_t conn, uint8_t dir) noexcept {
  Conn& c = conns_[conn];
  Stream& s = c.dir[dir];
  if (!s.fin_pending || s.closed || s.next_seq != s.fin_seq) return;
  s.closed = true;
  s.n_intervals = 0;
  end_stream(conn, dir);
  // A connection is released only once both sides said goodbye; until then its segments still
  // find it.
  if (c.dir[0].closed && c.dir[1].closed) release(conn);
}

void TcpReassembler::finish() noexcept {
  for (uint32_t conn = 0; conn < conns_.size(); ++conn) {
    if (!conns_[conn].in_use) continue;
    for (uint8_t d = 0; d < 2; ++d) {
      Stream& s = conns_[conn].dir[d];
      if (s.closed) continue;
      flush_holes(conn, d);
      // Bytes before a FIN that never came: the stream's end is lost.
      if (s.fin_pending) skip_to(conn, d, s.fin_seq);
      // The input ends here, so does the stream (the connection itself stays, see the header).
      end_stream(conn, d);
    }
  }
}

}  // namespace tp::feed
