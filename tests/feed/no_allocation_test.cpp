// The hot path does not allocate: once a decoder has met the largest message of a capture,
// stepping through the capture again (after open()) makes no heap allocation at all.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "feed/capture_decoder.hpp"
#include "feed_test_util.hpp"

#if defined(__GNUC__) && !defined(__clang__)
// GCC cannot see that the replaced operator new below is malloc-based.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {
std::atomic<bool> g_counting{false};
std::atomic<std::size_t> g_allocations{0};
}  // namespace

// Replaces the global allocation functions of this test binary: behaviour unchanged, but
// allocations are counted while g_counting is set.
void* operator new(std::size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace tp::feed {
namespace {

// Counts messages without keeping them (a real sink must not allocate either).
struct CountingSink {
  std::size_t n = 0;
  std::size_t bytes = 0;
  void on_message(const Message& m) noexcept {
    ++n;
    bytes += m.size;
  }
};

TEST(NoAllocation, SteppingACaptureAgainAllocatesNothing) {
  for (const char* file : {"derived-loopback/binance_spot_ws_plain_8080.pcap",
                           "derived-loopback/binance_spot_ws_permessage_deflate_9001.pcap",
                           "derived-loopback/binance_spot_udp_json_30001.pcap"}) {
    CaptureDecoder dec;
    std::string err;
    CountingSink warm;
    ASSERT_TRUE(dec.open(test::data_path(file), err)) << err;
    dec.run(warm);  // may grow buffers to this capture's largest message, once
    ASSERT_TRUE(dec.open(test::data_path(file), err)) << err;
    CountingSink sink;
    g_allocations = 0;
    g_counting = true;
    while (dec.step(sink)) {
    }
    g_counting = false;
    EXPECT_EQ(sink.n, 2000u) << file;
    EXPECT_EQ(g_allocations.load(), 0u) << file;
  }
}

TEST(NoAllocation, FirstPassAllocatesNothingForOrdinaryMessages) {
  // Binance messages fit the preallocated 64 KiB message buffer: even the first pass is clean.
  CaptureDecoder dec;
  std::string err;
  ASSERT_TRUE(dec.open(test::data_path("derived-loopback/binance_spot_ws_permessage_deflate_9001.pcap"), err)) << err;
  CountingSink sink;
  g_allocations = 0;
  g_counting = true;
  while (dec.step(sink)) {
  }
  g_counting = false;
  EXPECT_EQ(sink.n, 2000u);
  EXPECT_EQ(g_allocations.load(), 0u);
}

}  // namespace
}  // namespace tp::feed
