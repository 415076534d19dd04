// The hot path never allocates: this binary replaces the global allocation functions, replays the
// bundled capture through the whole pipeline (feed -> strategy -> gateway -> journal) in both modes,
// and counts every allocation made, on any thread, between the end of the warm-up and the moment
// the stages stop. Start-up (building the pipeline) and the report afterwards may allocate.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <new>
#include <string>

#include "app/engine_runner.hpp"
#include "core/config/config.hpp"
#include "core/timing/pipeline_latency.hpp"
#include "core/timing/tsc_clock.hpp"

namespace {

std::atomic<bool> g_armed{false};
std::atomic<uint64_t> g_allocations{0};
std::atomic<std::size_t> g_first_size{0};

void note(std::size_t size) noexcept {
  if (!g_armed.load(std::memory_order_relaxed)) return;
  if (g_allocations.fetch_add(1, std::memory_order_relaxed) == 0) g_first_size.store(size, std::memory_order_relaxed);
}

void* allocate(std::size_t size, std::size_t align = alignof(std::max_align_t)) {
  note(size);
  void* p = nullptr;
  if (align <= alignof(std::max_align_t)) {
    p = std::malloc(size == 0 ? 1 : size);
  } else if (posix_memalign(&p, align, size == 0 ? align : size) != 0) {
    p = nullptr;
  }
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace

void* operator new(std::size_t n) { return allocate(n); }
void* operator new[](std::size_t n) { return allocate(n); }
void* operator new(std::size_t n, std::align_val_t a) { return allocate(n, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return allocate(n, static_cast<std::size_t>(a)); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return allocate(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return allocate(n);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace tp {
namespace {

const std::string kSample = std::string(TP_SOURCE_DIR) + "/samples/binance-btcusdt-3200.pcap";

void arm(void*) noexcept { g_armed.store(true, std::memory_order_relaxed); }
void disarm(void*) noexcept { g_armed.store(false, std::memory_order_relaxed); }

struct Outcome {
  uint64_t allocations;
  std::size_t first_size;
  RunReport report;
};

Outcome replay_counting(const std::string& config, ReplayMode mode, PipelineLatency* latency) {
  const Config cfg = load_config_file(std::string(TP_SOURCE_DIR) + "/" + config);
  ReplayOptions opt;
  opt.captures = {kSample};
  opt.mode = mode;
  opt.journal_path = (std::filesystem::temp_directory_path() / "tickpipe-alloc-test.jsonl").string();
  opt.latency = latency;
  opt.probe.warm = &arm;
  opt.probe.stages_done = &disarm;
  opt.probe.warm_after_messages = 500;
  g_allocations.store(0);
  g_first_size.store(0);
  Outcome out{0, 0, run_replay(cfg, opt)};
  disarm(nullptr);
  out.allocations = g_allocations.load();
  out.first_size = g_first_size.load();
  std::filesystem::remove(opt.journal_path);
  return out;
}

TEST(PipelineAllocations, CountingWorks) {
  g_allocations.store(0);
  arm(nullptr);
  auto p = std::make_unique<int>(1);
  disarm(nullptr);
  EXPECT_EQ(g_allocations.load(), 1u);
  EXPECT_EQ(*p, 1);
}

struct Case {
  const char* config;
  ReplayMode mode;
  bool latency;
};

class PipelineAllocations : public ::testing::TestWithParam<Case> {};

TEST_P(PipelineAllocations, NoneAfterWarmUp) {
  const Case c = GetParam();
  TscClock::init();
  auto lat = std::make_unique<PipelineLatency>();
  const Outcome o = replay_counting(c.config, c.mode, c.latency ? lat.get() : nullptr);
  EXPECT_EQ(o.allocations, 0u) << "first allocation after warm-up: " << o.first_size << " bytes";
  // The run did real work after the warm-up: every event, and orders.
  EXPECT_EQ(o.report.events, 3199u);
  EXPECT_GT(o.report.gateway.orders, 0u);
  if (c.latency) {
    EXPECT_GT(lat->tick_to_trade.count(), 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Modes, PipelineAllocations,
    ::testing::Values(Case{"config/sample.toml", ReplayMode::Deterministic, false},
                      Case{"config/sample.toml", ReplayMode::Threaded, false},
                      Case{"config/bench.toml", ReplayMode::Deterministic, true},
                      Case{"config/bench.toml", ReplayMode::Threaded, true}),
    [](const ::testing::TestParamInfo<Case>& i) {
      std::string name = std::string(i.param.mode == ReplayMode::Threaded ? "Threaded" : "Deterministic") +
                         (i.param.latency ? "BenchConfigWithLatency" : "SampleConfig");
      return name;
    });

}  // namespace
}  // namespace tp
