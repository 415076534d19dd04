// Replaces the global allocation functions with ones that count calls, so a benchmark can report
// (and insist on) zero allocations in its timed loop. Include it in exactly one file of a benchmark
// binary: it defines the replacements, it does not declare them.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace tp::bench {
inline std::atomic<uint64_t> g_allocations{0};
// operator new calls so far, on any thread.
inline uint64_t allocations() noexcept { return g_allocations.load(std::memory_order_relaxed); }
}  // namespace tp::bench

// noinline: GCC otherwise pairs the inlined malloc/free with new/delete expressions and warns
// (-Wmismatched-new-delete).
[[gnu::noinline]] void* operator new(std::size_t n) {
  tp::bench::g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new(std::size_t n, std::align_val_t al) {
  tp::bench::g_allocations.fetch_add(1, std::memory_order_relaxed);
  const auto a = static_cast<std::size_t>(al);
  if (void* p = std::aligned_alloc(a, (n + a - 1) / a * a)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
