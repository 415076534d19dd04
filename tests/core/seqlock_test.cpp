#include "core/telemetry/seqlock.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "core/types/counters.hpp"

namespace tp {
namespace {

struct Pair {
  int64_t a = 0;
  int64_t b = 0;  // always -a: a torn read would show it
  uint64_t n = 0;
};

TEST(Seqlock, ReadersSeeWholeWritesOnly) {
  Seqlock<Pair> box;
  EXPECT_EQ(box.read().n, 0u);
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (uint64_t i = 1; i <= 200'000; ++i) box.write(Pair{static_cast<int64_t>(i), -static_cast<int64_t>(i), i});
    done = true;
  });
  uint64_t last = 0;
  uint64_t reads = 0;
  while (!done.load() || reads == 0) {
    const Pair p = box.read();
    ASSERT_EQ(p.a, -p.b);
    ASSERT_EQ(static_cast<uint64_t>(p.a), p.n);
    ASSERT_GE(p.n, last) << "a reader never sees an older write after a newer one";
    last = p.n;
    ++reads;
  }
  writer.join();
  EXPECT_EQ(box.read().n, 200'000u);
  EXPECT_EQ(box.version(), 200'001u);  // the constructor's write, then ours
}

TEST(Counter, OneWriterAnyReaderAndCopiesAreValues) {
  Counter c;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 100'000; ++i) ++c;
    c += 5;
    done = true;
  });
  uint64_t last = 0;
  while (!done.load()) {
    const uint64_t v = c;
    ASSERT_GE(v, last);
    last = v;
  }
  writer.join();
  EXPECT_EQ(c.load(), 100'005u);
  Counter copy = c;
  --c;
  EXPECT_EQ(copy.load(), 100'005u);
  EXPECT_EQ(c.load(), 100'004u);
  copy = 3;
  EXPECT_EQ(copy + uint64_t{1}, 4u);
}

}  // namespace
}  // namespace tp
