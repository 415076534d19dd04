// IPv4 and IPv6 fragment reassembly (RFC 791 / RFC 8200 §4.5) for the capture decoder.
//
// A fixed table of in-progress datagrams, all memory allocated at construction: max_datagrams
// slots of min(65535, max_bytes / max_datagrams) bytes each. Nothing allocates per fragment.
//
// Rules (conservative: when in doubt the datagram is dropped, never guessed):
//  - Fragments are matched on (family, source, destination, identification, protocol).
//  - Overlapping fragments must agree byte for byte (an exact duplicate is harmless); a conflict
//    drops the datagram. So do a last fragment that disagrees with an earlier one about the total
//    length, a fragment past the total or past the slot's size, a non-last fragment whose length
//    is not a multiple of 8, or more than kMaxRanges disjoint pieces at once.
//  - A datagram not complete timeout_ns (capture time) after its first fragment is dropped, when
//    the next fragment arrives or at finish(); with every slot in use, the oldest is dropped.
//  - A fragment cut short by the capture is ignored (its datagram can then only time out).
// Every datagram given up counts ip_fragment_dropped once; every completed one counts
// ip_fragment_reassembled. A datagram completed twice (its fragments duplicated after it was
// complete) is delivered twice, like any duplicated datagram.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "feed/decode_stats.hpp"
#include "feed/packet_decoder.hpp"

namespace tp::feed {

struct IpFragmentOptions {
  std::size_t max_datagrams = 16;        // datagrams in progress at once
  std::size_t max_bytes = 1u << 20;      // all slots together
  int64_t timeout_ns = 30'000'000'000;   // Linux's ipfrag_time default
};

class IpFragmentReassembler {
 public:
  IpFragmentReassembler(const IpFragmentOptions& options, DecodeStats* stats);

  // Takes one fragment seen at capture time ts_ns. When it completes its datagram, returns true
  // with `payload`/`len` the whole IP payload (valid until the next call).
  bool add(const IpFragment& f, int64_t ts_ns, const uint8_t*& payload, uint32_t& len) noexcept;
  // End of a capture: datagrams still incomplete are dropped (counted).
  void finish() noexcept;
  // Forgets everything without counting (a new capture).
  void reset() noexcept;

  std::size_t in_progress() const noexcept;
  std::size_t slot_bytes() const noexcept { return slot_bytes_; }

 private:
  static constexpr std::size_t kMaxRanges = 64;
  struct Range {
    uint32_t begin;
    uint32_t end;
  };
  struct Slot {
    bool used = false;
    IpAddress src;
    IpAddress dst;
    uint32_t id = 0;
    uint8_t proto = 0;
    int64_t first_ts = 0;
    bool have_total = false;
    uint32_t total = 0;  // payload length, once the last fragment was seen
    std::size_t n_ranges = 0;
    Range ranges[kMaxRanges] = {};
  };

  Slot* find(const IpFragment& f) noexcept;
  Slot* take_slot(int64_t ts_ns) noexcept;
  void drop(Slot& s) noexcept;
  uint8_t* buf(const Slot& s) noexcept { return arena_.get() + static_cast<std::size_t>(&s - slots_.data()) * slot_bytes_; }

  IpFragmentOptions options_;
  DecodeStats* stats_;
  std::size_t slot_bytes_;
  std::vector<Slot> slots_;
  std::unique_ptr<uint8_t[]> arena_;
};

}  // namespace tp::feed
