// LatencyHistogram: a fixed-memory log-linear histogram of nanosecond latencies
// (HdrHistogram-style), recorded on a hot path and read by a monitor thread.
//
// Buckets: values 0..31 each have their own bucket; every octave [2^k, 2^(k+1)) above that is cut
// into 32 equal sub-buckets, so a bucket is never wider than 1/32 (~3.1%) of its lower bound, and
// the 1,920 buckets cover the whole uint64_t range: no value is ever out of range, nothing is
// clipped, recording never fails.
//
// Threads: exactly one thread records; any thread may take a snapshot() at any time. Every cell is
// an std::atomic<uint64_t> that the writer bumps with a relaxed load + store (not fetch_add: with
// one writer there is no read-modify-write race, and on x86 this is a plain add to memory, no
// locked instruction). Each cell a reader sees is torn-free and never goes backwards, but a
// snapshot taken while the writer runs may catch a record half-applied (bucket bumped, max not
// yet), so it is exact only once the writer has stopped; it is always self-consistent for
// percentiles because its count is the sum of the bucket counts it read.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace tp {

struct LatencySnapshot;

class alignas(64) LatencyHistogram {
 public:
  static constexpr unsigned kSubBits = 5;
  static constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBits;  // per octave
  // Exact buckets 0..31, then octaves 5..63 of 32 sub-buckets each.
  static constexpr std::size_t kBucketCount = kSubBuckets + (64 - kSubBits) * kSubBuckets;

  // The bucket's index is (shift << kSubBits) + (v >> shift), where shift = how many low bits the
  // octave's bucket width discards. OR-ing in 2*kSubBuckets - 1 makes shift 0 for every value
  // below 2*kSubBuckets, so the exact range needs no branch of its own.
  static constexpr std::size_t bucket_index(uint64_t v) noexcept {
    const unsigned shift =
        static_cast<unsigned>(std::bit_width(v | (2 * kSubBuckets - 1))) - (kSubBits + 1);
    return (static_cast<std::size_t>(shift) << kSubBits) + static_cast<std::size_t>(v >> shift);
  }
  static constexpr uint64_t bucket_lower(std::size_t i) noexcept {
    const unsigned shift = bucket_shift(i);
    return static_cast<uint64_t>(i - (static_cast<std::size_t>(shift) << kSubBits)) << shift;
  }
  // Inclusive; the last bucket ends at UINT64_MAX, so no +1 can overflow here.
  static constexpr uint64_t bucket_upper(std::size_t i) noexcept {
    return bucket_lower(i) + ((uint64_t{1} << bucket_shift(i)) - 1);
  }

  LatencyHistogram() noexcept = default;
  LatencyHistogram(const LatencyHistogram&) = delete;
  LatencyHistogram& operator=(const LatencyHistogram&) = delete;

  // Writer thread only.
  void record(uint64_t ns) noexcept {
    bump(counts_[bucket_index(ns)], 1);
    bump(count_, 1);
    bump(sum_, ns);
    // Stored unconditionally: the line is already dirty from count_, and a cmov beats a
    // mispredicted branch when a new extreme shows up.
    min_.store(std::min(ns, min_.load(std::memory_order_relaxed)), std::memory_order_relaxed);
    max_.store(std::max(ns, max_.load(std::memory_order_relaxed)), std::memory_order_relaxed);
  }

  // Any thread. count() is the cheap progress probe (one load); snapshot() copies ~15 KB.
  uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
  LatencySnapshot snapshot() const noexcept;

 private:
  static constexpr unsigned bucket_shift(std::size_t i) noexcept {
    const std::size_t octave = i >> kSubBits;  // 0 and 1 both have width 1
    return octave == 0 ? 0u : static_cast<unsigned>(octave - 1);
  }
  static void bump(std::atomic<uint64_t>& c, uint64_t by) noexcept {
    c.store(c.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
  }

  // The scalars share the first line (every record writes all of them); the buckets follow.
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_{0};
  std::atomic<uint64_t> min_{std::numeric_limits<uint64_t>::max()};
  std::atomic<uint64_t> max_{0};
  alignas(64) std::array<std::atomic<uint64_t>, kBucketCount> counts_{};
};

// A plain copy of a histogram, for reports and for merging several writers off the hot path.
// An empty snapshot has every field 0.
struct LatencySnapshot {
  std::array<uint64_t, LatencyHistogram::kBucketCount> counts{};
  uint64_t count = 0;
  uint64_t min = 0;
  uint64_t max = 0;
  uint64_t sum = 0;  // wraps only after ~584 years of summed latency

  bool empty() const noexcept { return count == 0; }
  double mean() const noexcept {
    return count == 0 ? 0.0 : static_cast<double>(sum) / static_cast<double>(count);
  }

  LatencySnapshot& merge(const LatencySnapshot& o) noexcept {
    if (o.count == 0) return *this;
    min = count == 0 ? o.min : std::min(min, o.min);
    max = std::max(max, o.max);
    for (std::size_t i = 0; i < counts.size(); ++i) counts[i] += o.counts[i];
    count += o.count;
    sum += o.sum;
    return *this;
  }

  // The smallest v such that at least ceil(q * count) recorded values are <= v, reported as the
  // inclusive upper bound of v's bucket (so it never understates, and is exact below 64 ns),
  // clamped to max (so percentile(1) == max exactly). q <= 0 (or NaN) gives min exactly, the
  // mirror of p100; q >= 1 gives max. 0 for an empty snapshot.
  uint64_t percentile(double q) const noexcept {
    if (count == 0) return 0;
    if (!(q > 0.0)) return min;
    if (q >= 1.0) return max;
    // q * count carries a rounding error of a few ulps (0.07 * 100 is 7.000000000000001), which
    // a bare ceil would turn into a whole extra rank.
    const double x = q * static_cast<double>(count);
    const double shaved = x - x * 4 * std::numeric_limits<double>::epsilon();
    uint64_t rank = static_cast<uint64_t>(std::ceil(shaved));
    rank = std::clamp<uint64_t>(rank, 1, count);
    uint64_t seen = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
      seen += counts[i];
      if (seen >= rank) {
        // The lower clamp only matters for a snapshot torn by a running writer (max read before
        // the bucket it belongs to); then the bucket is the better answer.
        return std::max(LatencyHistogram::bucket_lower(i),
                        std::min(LatencyHistogram::bucket_upper(i), max));
      }
    }
    return max;
  }
};

inline LatencySnapshot LatencyHistogram::snapshot() const noexcept {
  LatencySnapshot s;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    s.counts[i] = counts_[i].load(std::memory_order_relaxed);
    s.count += s.counts[i];
  }
  if (s.count == 0) return s;
  s.sum = sum_.load(std::memory_order_relaxed);
  s.min = min_.load(std::memory_order_relaxed);
  s.max = max_.load(std::memory_order_relaxed);
  // A record caught between its bucket and min/max stores leaves these at their initial values.
  if (s.min > s.max) s.min = s.max;
  return s;
}

}  // namespace tp
