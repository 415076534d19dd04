#include "core/timing/latency_histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <thread>
#include <vector>

namespace tp {
namespace {

using H = LatencyHistogram;
constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

static_assert(H::kBucketCount == 1920);
static_assert(alignof(H) == 64);
static_assert(H::bucket_index(0) == 0 && H::bucket_index(31) == 31 && H::bucket_index(63) == 63);
static_assert(H::bucket_index(64) == 64 && H::bucket_index(65) == 64 && H::bucket_index(66) == 65);
static_assert(H::bucket_index(kMax) == H::kBucketCount - 1);
static_assert(H::bucket_upper(H::kBucketCount - 1) == kMax);

void expect_contains(uint64_t v) {
  const std::size_t i = H::bucket_index(v);
  ASSERT_LT(i, H::kBucketCount) << v;
  EXPECT_LE(H::bucket_lower(i), v) << v;
  EXPECT_GE(H::bucket_upper(i), v) << v;
}

TEST(LatencyHistogram, SmallValuesHaveExactBuckets) {
  // 0..31 by construction; 32..63 too, because that octave's sub-buckets are 1 ns wide.
  for (uint64_t v = 0; v < 64; ++v) {
    EXPECT_EQ(H::bucket_index(v), v);
    EXPECT_EQ(H::bucket_lower(v), v);
    EXPECT_EQ(H::bucket_upper(v), v);
  }
  H h;
  for (uint64_t v = 1; v <= 40; ++v) h.record(v);
  const LatencySnapshot s = h.snapshot();
  EXPECT_EQ(s.percentile(0.5), 20u);
  EXPECT_EQ(s.percentile(0.25), 10u);
  EXPECT_EQ(s.percentile(0.975), 39u);
}

TEST(LatencyHistogram, BucketsAreContiguousAndMonotone) {
  EXPECT_EQ(H::bucket_lower(0), 0u);
  for (std::size_t i = 0; i < H::kBucketCount; ++i) {
    const uint64_t lo = H::bucket_lower(i);
    const uint64_t hi = H::bucket_upper(i);
    ASSERT_LE(lo, hi) << i;
    if (i > 0) {
      ASSERT_EQ(lo, H::bucket_upper(i - 1) + 1) << i;
    }
    ASSERT_EQ(H::bucket_index(lo), i);
    ASSERT_EQ(H::bucket_index(hi), i);
  }
  EXPECT_EQ(H::bucket_upper(H::kBucketCount - 1), kMax);
}

TEST(LatencyHistogram, EveryValueFallsInsideItsBucket) {
  for (unsigned k = 0; k < 64; ++k) {
    const uint64_t p = uint64_t{1} << k;
    for (uint64_t d = 0; d <= 3; ++d) {
      expect_contains(p - std::min(p, d));
      expect_contains(p + d);
      expect_contains(p | (p - 1));  // all ones up to bit k: an octave's last value
    }
  }
  expect_contains(kMax);
  expect_contains(kMax - 1);
  std::mt19937_64 rng(42);
  for (int n = 0; n < 200'000; ++n) expect_contains(rng() >> (rng() % 64));
}

TEST(LatencyHistogram, RelativeErrorIsAtMostOneThirtySecond) {
  for (std::size_t i = 2 * H::kSubBuckets; i < H::kBucketCount; ++i) {
    const uint64_t width = H::bucket_upper(i) - H::bucket_lower(i) + 1;
    ASSERT_LE(width * H::kSubBuckets, H::bucket_lower(i)) << i;
  }
  std::mt19937_64 rng(7);
  for (int n = 0; n < 200'000; ++n) {
    const uint64_t v = rng() >> (rng() % 64);
    const uint64_t reported = H::bucket_upper(H::bucket_index(v));
    ASSERT_LE(reported - v, v / 32) << v;
  }
}

TEST(LatencyHistogram, PercentilesMatchSortedReference) {
  // Log-normal around 2 us with a long tail, like a real tick-to-trade distribution.
  std::mt19937_64 rng(2024);
  std::lognormal_distribution<double> dist(std::log(2000.0), 0.8);
  constexpr uint64_t kN = 100'000;
  auto h = std::make_unique<H>();
  std::vector<uint64_t> values;
  values.reserve(kN);
  for (uint64_t n = 0; n < kN; ++n) {
    const uint64_t v = static_cast<uint64_t>(dist(rng));
    values.push_back(v);
    h->record(v);
  }
  std::sort(values.begin(), values.end());
  const LatencySnapshot s = h->snapshot();
  ASSERT_EQ(s.count, kN);
  EXPECT_EQ(s.min, values.front());
  EXPECT_EQ(s.max, values.back());

  // rank = ceil(q * n), computed here in integers: q is given as parts per million.
  for (uint64_t ppm : {1u, 10u, 100u, 10'000u, 250'000u, 500'000u, 900'000u, 990'000u, 999'000u,
                       999'900u, 999'990u, 1'000'000u}) {
    const double q = static_cast<double>(ppm) / 1e6;
    const uint64_t rank = std::max<uint64_t>(1, (ppm * kN + 999'999) / 1'000'000);
    const uint64_t exact = values[rank - 1];
    const uint64_t got = s.percentile(q);
    EXPECT_EQ(got, std::min(H::bucket_upper(H::bucket_index(exact)), s.max)) << "q=" << q;
    EXPECT_GE(got, exact) << "q=" << q;
    EXPECT_LE(got - exact, exact / 32) << "q=" << q;
  }
}

TEST(LatencyHistogram, RankIsNotInflatedByFloatingPointNoise) {
  // 0.07 * 100 evaluates to 7.000000000000001; the 7th value must still be the answer.
  H h;
  for (uint64_t v = 1; v <= 100; ++v) h.record(v);
  const LatencySnapshot s = h.snapshot();
  EXPECT_EQ(s.percentile(0.07), 7u);
  EXPECT_EQ(s.percentile(0.29), 29u);
  EXPECT_EQ(s.percentile(0.5), 50u);
}

TEST(LatencyHistogram, P100IsMaxAndP0IsMin) {
  H h;
  for (uint64_t v : {1'000'003u, 12'345u, 999'999u, 5'000u}) h.record(v);
  const LatencySnapshot s = h.snapshot();
  EXPECT_EQ(s.percentile(1.0), 1'000'003u) << "p100 is max exactly, not its bucket's bound";
  EXPECT_EQ(s.percentile(0.0), 5'000u) << "p0 is min exactly";
  EXPECT_EQ(s.percentile(-1.0), 5'000u);
  EXPECT_EQ(s.percentile(std::nan("")), 5'000u);
  EXPECT_EQ(s.percentile(2.0), 1'000'003u);
  // The top value's bucket extends past it; the clamp keeps a high percentile from overstating.
  EXPECT_EQ(s.percentile(0.99), 1'000'003u);
  EXPECT_EQ(s.percentile(0.5), H::bucket_upper(H::bucket_index(12'345)));
}

TEST(LatencyHistogram, ExtremesOfTheRange) {
  H h;
  h.record(0);
  h.record(kMax);
  const LatencySnapshot s = h.snapshot();
  EXPECT_EQ(s.counts[0], 1u);
  EXPECT_EQ(s.counts[H::kBucketCount - 1], 1u);
  EXPECT_EQ(s.percentile(0.5), 0u);
  EXPECT_EQ(s.percentile(1.0), kMax);
  EXPECT_EQ(s.min, 0u);
  EXPECT_EQ(s.max, kMax);
}

TEST(LatencyHistogram, EmptySnapshot) {
  H h;
  const LatencySnapshot s = h.snapshot();
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.count, 0u);
  EXPECT_EQ(s.min, 0u);
  EXPECT_EQ(s.max, 0u);
  EXPECT_EQ(s.mean(), 0.0);
  for (double q : {0.0, 0.5, 1.0}) EXPECT_EQ(s.percentile(q), 0u);
  EXPECT_EQ(h.count(), 0u);
}

TEST(LatencyHistogram, CountSumAndMean) {
  H h;
  for (uint64_t v : {10u, 20u, 30u, 1'000u}) h.record(v);
  EXPECT_EQ(h.count(), 4u);
  const LatencySnapshot s = h.snapshot();
  EXPECT_FALSE(s.empty());
  EXPECT_EQ(s.count, 4u);
  EXPECT_EQ(s.sum, 1'060u);
  EXPECT_DOUBLE_EQ(s.mean(), 265.0);
}

TEST(LatencySnapshot, MergeEqualsRecordingBothIntoOne) {
  auto a = std::make_unique<H>();
  auto b = std::make_unique<H>();
  auto both = std::make_unique<H>();
  std::mt19937_64 rng(99);
  for (int n = 0; n < 20'000; ++n) {
    const uint64_t v = rng() >> (40 + rng() % 24);
    (n % 3 == 0 ? *a : *b).record(v);
    both->record(v);
  }
  LatencySnapshot merged = a->snapshot();
  merged.merge(b->snapshot());
  const LatencySnapshot expected = both->snapshot();
  EXPECT_EQ(merged.counts, expected.counts);
  EXPECT_EQ(merged.count, expected.count);
  EXPECT_EQ(merged.min, expected.min);
  EXPECT_EQ(merged.max, expected.max);
  EXPECT_EQ(merged.sum, expected.sum);
  for (double q : {0.0, 0.5, 0.99, 1.0}) EXPECT_EQ(merged.percentile(q), expected.percentile(q));
}

TEST(LatencySnapshot, MergeWithEmpty) {
  H h;
  h.record(500);
  h.record(700);
  const LatencySnapshot full = h.snapshot();
  LatencySnapshot into_empty;
  into_empty.merge(full);
  EXPECT_EQ(into_empty.min, 500u) << "an empty side's min of 0 must not win";
  EXPECT_EQ(into_empty.max, 700u);
  EXPECT_EQ(into_empty.count, 2u);
  LatencySnapshot with_empty = full;
  with_empty.merge(LatencySnapshot{});
  EXPECT_EQ(with_empty.min, 500u);
  EXPECT_EQ(with_empty.count, 2u);
  EXPECT_EQ(with_empty.counts, full.counts);
}

// One writer records while a monitor snapshots; under TSan this checks that the relaxed
// load+store scheme is race-free, and everywhere that what the reader sees never goes backwards.
TEST(LatencyHistogram, SnapshotWhileRecording) {
  constexpr uint64_t kN = 1'000'000;
  auto h = std::make_unique<H>();
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (uint64_t n = 0; n < kN; ++n) h->record(50 + (n * 7919) % 100'000);
    done.store(true, std::memory_order_release);
  });

  uint64_t snapshots = 0;
  LatencySnapshot prev;
  for (;;) {
    const bool finished = done.load(std::memory_order_acquire);
    const LatencySnapshot s = h->snapshot();
    ASSERT_GE(s.count, prev.count);
    ASSERT_LE(s.count, kN);
    for (std::size_t i = 0; i < H::kBucketCount; ++i) ASSERT_GE(s.counts[i], prev.counts[i]) << i;
    if (!s.empty()) {
      ASSERT_LE(s.min, s.max);
      ASSERT_LE(s.percentile(0.5), s.percentile(0.99));
    }
    prev = s;
    ++snapshots;
    if (finished) break;
  }
  writer.join();

  const LatencySnapshot last = h->snapshot();
  EXPECT_EQ(last.count, kN);
  EXPECT_EQ(h->count(), kN);
  EXPECT_EQ(last.min, 50u);
  EXPECT_EQ(last.max, 50u + 99'999u);
  uint64_t sum = 0;
  for (uint64_t n = 0; n < kN; ++n) sum += 50 + (n * 7919) % 100'000;
  EXPECT_EQ(last.sum, sum);
  EXPECT_GE(snapshots, 1u);
}

}  // namespace
}  // namespace tp
