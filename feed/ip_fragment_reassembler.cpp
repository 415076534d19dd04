#include "feed/ip_fragment_reassembler.hpp"

#include <algorithm>
#include <cstring>

namespace tp::feed {
namespace {

bool same_addr(const IpAddress& a, const IpAddress& b) noexcept {
  return a.family == b.family && std::memcmp(a.bytes, b.bytes, sizeof a.bytes) == 0;
}

}  // namespace

IpFragmentReassembler::IpFragmentReassembler(const IpFragmentOptions& options, DecodeStats* stats)
    : options_(options),
      stats_(stats),
      slot_bytes_(std::clamp<std::size_t>(options.max_bytes / std::max<std::size_t>(options.max_datagrams, 1), 1024,
                                          65535)),
      slots_(std::max<std::size_t>(options.max_datagrams, 1)),
      arena_(new uint8_t[slots_.size() * slot_bytes_]) {}

std::size_t IpFragmentReassembler::in_progress() const noexcept {
  return static_cast<std::size_t>(std::count_if(slots_.begin(), slots_.end(), [](const Slot& s) { return s.used; }));
}

void IpFragmentReassembler::reset() noexcept {
  for (Slot& s : slots_) s.used = false;
}

void IpFragmentReassembler::finish() noexcept {
  for (Slot& s : slots_) {
    if (s.used) drop(s);
  }
}

void IpFragmentReassembler::drop(Slot& s) noexcept {
  stats_->inc(DecodeCounter::ip_fragment_dropped);
  s.used = false;
}

IpFragmentReassembler::Slot* IpFragmentReassembler::find(const IpFragment& f) noexcept {
  for (Slot& s : slots_) {
    if (s.used && s.id == f.id && s.proto == f.proto && same_addr(s.src, f.src) && same_addr(s.dst, f.dst)) return &s;
  }
  return nullptr;
}

IpFragmentReassembler::Slot* IpFragmentReassembler::take_slot(int64_t ts_ns) noexcept {
  Slot* oldest = nullptr;
  for (Slot& s : slots_) {
    if (!s.used) {
      oldest = &s;
      break;
    }
    if (oldest == nullptr || s.first_ts < oldest->first_ts) oldest = &s;
  }
  if (oldest->used) drop(*oldest);  // the table is full: the oldest datagram gives way
  oldest->used = true;
  oldest->first_ts = ts_ns;
  oldest->have_total = false;
  oldest->total = 0;
  oldest->n_ranges = 0;
  return oldest;
}

bool IpFragmentReassembler::add(const IpFragment& f, int64_t ts_ns, const uint8_t*& payload, uint32_t& len) noexcept {
  // Datagrams that waited too long (capture time) are given up first.
  for (Slot& s : slots_) {
    if (s.used && ts_ns - s.first_ts > options_.timeout_ns) drop(s);
  }
  if (f.truncated) return false;  // unusable; its datagram can only time out
  Slot* s = find(f);
  const uint64_t end = uint64_t{f.offset} + f.len;
  const bool bad = end > slot_bytes_ || (f.more && f.len % 8 != 0) ||
                   (s != nullptr && s->have_total && (end > s->total || (!f.more && end != s->total))) ||
                   (s != nullptr && !f.more && s->n_ranges > 0 && s->ranges[s->n_ranges - 1].end > end);
  if (bad) {
    if (s != nullptr) {
      drop(*s);
    } else {
      stats_->inc(DecodeCounter::ip_fragment_dropped);
    }
    return false;
  }
  if (s == nullptr) {
    s = take_slot(ts_ns);
    s->src = f.src;
    s->dst = f.dst;
    s->id = f.id;
    s->proto = f.proto;
  }
  uint8_t* b = buf(*s);
  const uint32_t fb = f.offset, fe = static_cast<uint32_t>(end);
  // Overlaps must agree byte for byte.
  for (std::size_t k = 0; k < s->n_ranges; ++k) {
    const uint32_t ob = std::max(fb, s->ranges[k].begin), oe = std::min(fe, s->ranges[k].end);
    if (ob < oe && std::memcmp(b + ob, f.data + (ob - fb), oe - ob) != 0) {
      drop(*s);
      return false;
    }
  }
  if (f.len > 0) {
    // Merge [fb, fe) into the sorted, disjoint, non-adjacent range list.
    std::size_t i = 0;
    while (i < s->n_ranges && s->ranges[i].end < fb) ++i;
    std::size_t j = i;
    uint32_t nb = fb, ne = fe;
    while (j < s->n_ranges && s->ranges[j].begin <= fe) {
      nb = std::min(nb, s->ranges[j].begin);
      ne = std::max(ne, s->ranges[j].end);
      ++j;
    }
    if (i == j && s->n_ranges == kMaxRanges) {
      drop(*s);
      return false;
    }
    std::memcpy(b + fb, f.data, f.len);
    if (i == j) {
      for (std::size_t k = s->n_ranges; k > i; --k) s->ranges[k] = s->ranges[k - 1];
      ++s->n_ranges;
    } else {
      const std::size_t removed = j - i - 1;
      for (std::size_t k = i + 1; k + removed < s->n_ranges; ++k) s->ranges[k] = s->ranges[k + removed];
      s->n_ranges -= removed;
    }
    s->ranges[i] = Range{nb, ne};
  }
  if (!f.more) {
    s->have_total = true;
    s->total = fe;
  }
  if (s->have_total && s->n_ranges == 1 && s->ranges[0].begin == 0 && s->ranges[0].end == s->total) {
    stats_->inc(DecodeCounter::ip_fragment_reassembled);
    s->used = false;
    payload = b;
    len = s->total;
    return true;
  }
  return false;
}

}  // namespace tp::feed
