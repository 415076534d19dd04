// OpsMonitor: the monitor thread (not pinned, not a hot-path stage). Every few milliseconds it
// writes out what the feed thread posted to the event log, samples the stages' heartbeats for
// stalls, logs each stall and each symbol going stale or fresh as it happens, and pings systemd's
// watchdog while no stage has stalled (a stuck engine is then restarted by systemd, as the unit
// says). It runs for every live session and paced replay, with or without the HTTP endpoint.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <set>
#include <string>
#include <thread>

#include "ops/engine_view.hpp"
#include "ops/stall_tracker.hpp"
#include "ops/systemd_notify.hpp"

namespace tp::ops {

class OpsMonitor {
 public:
  OpsMonitor(EngineView& view, int64_t stall_after_ms);
  ~OpsMonitor();
  OpsMonitor(const OpsMonitor&) = delete;
  OpsMonitor& operator=(const OpsMonitor&) = delete;

  void start();
  // Stops the thread, after a last pass (the log drained).
  void stop();
  const StallTracker& stalls() const noexcept { return stalls_; }
  // The stages run: systemd hears READY=1 and, from now on, the watchdog pings.
  void set_running(const char* status) noexcept;
  // The stages are finishing: they stop beating on purpose, which is no stall.
  void set_stopping() noexcept { stopping_.store(true, std::memory_order_release); }
  const SystemdNotify& systemd() const noexcept { return systemd_; }

  // One pass, on the calling thread (the monitor thread's loop body; tests call it directly).
  void tick(int64_t now_ms);

 private:
  EngineView& view_;
  StallTracker stalls_;
  SystemdNotify systemd_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> running_{false};
  std::array<bool, kStageCount> was_stalled_{};
  std::set<std::string> stale_;  // symbols logged stale and not yet fresh
  int64_t last_facts_ms_ = 0;
  int64_t last_watchdog_ms_ = 0;
};

}  // namespace tp::ops
