#include "ops/ops_monitor.hpp"

#include <chrono>

#include "core/threads/thread_affinity.hpp"
#include "core/timing/wall_clock.hpp"

namespace tp::ops {

OpsMonitor::OpsMonitor(EngineView& view, int64_t stall_after_ms) : view_(view), stalls_(stall_after_ms) {}

OpsMonitor::~OpsMonitor() { stop(); }

void OpsMonitor::start() {
  thread_ = std::thread([this] {
    name_current_thread("tp-ops-monitor");
    while (!stop_.load(std::memory_order_acquire)) {
      tick(monotonic_ms());
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
}

void OpsMonitor::stop() {
  if (!thread_.joinable()) return;
  stop_.store(true, std::memory_order_release);
  thread_.join();
  view_.log().drain();
}

void OpsMonitor::set_running(const char* status) noexcept {
  systemd_.ready(status);
  running_.store(true, std::memory_order_release);
}

void OpsMonitor::tick(int64_t now_ms) {
  EventLog& log = view_.log();
  log.drain();
  if (stopping_.load(std::memory_order_acquire)) return;
  stalls_.sample(view_.heartbeats(), now_ms);
  for (std::size_t i = 0; i < kStageCount; ++i) {
    const int64_t ms = stalls_.stalled_for_ms(static_cast<Stage>(i), now_ms);
    const bool stalled = ms >= 0;
    if (stalled == was_stalled_[i]) continue;
    was_stalled_[i] = stalled;
    LogFields f;
    f.add("stage", kStageNames[i]);
    if (stalled) {
      f.add("for_ms", ms);
      log.write(LogLevel::Error, "stage_stalled", f);
    } else {
      log.write(LogLevel::Info, "stage_recovered", f);
    }
  }
  // Staleness changes on the scale of stale_after_ms: ten looks a second are plenty.
  if (now_ms - last_facts_ms_ >= 100) {
    last_facts_ms_ = now_ms;
    const HealthFacts facts = view_.health_facts();
    std::set<std::string> now_stale;
    for (const StaleSymbol& s : facts.stale) {
      now_stale.insert(s.name);
      if (stale_.count(s.name) == 0) {
        LogFields f;
        log.write(LogLevel::Warn, "symbol_stale", f.add("symbol", s.name).add("no_book_top_for_ms", s.for_ms));
      }
    }
    for (const std::string& name : stale_) {
      if (now_stale.count(name) == 0) {
        LogFields f;
        log.write(LogLevel::Info, "symbol_fresh", f.add("symbol", name));
      }
    }
    stale_.swap(now_stale);
  }
  if (running_.load(std::memory_order_acquire) && systemd_.watchdog_interval_ms() > 0 && now_ms - last_watchdog_ms_ >= systemd_.watchdog_interval_ms() &&
      !stalls_.any_stalled()) {
    last_watchdog_ms_ = now_ms;
    systemd_.watchdog();
  }
}

}  // namespace tp::ops
