// StageHeartbeat: how a monitor that is not a hot-path stage (ops/) tells a stage that stopped
// making progress from one that is merely quiet. Each stage bumps its heartbeat once per time round
// its loop; every loop comes round within about a millisecond even with nothing to do (a blocked
// wait is bounded: Waiter::kBlockTimeout, the live feed's 1 ms poll, the replay pacer's 20 ms
// naps), so a heartbeat that stands still for `stall_after_ms` means the stage is stuck.
// `waiting` covers the one legitimate long wait, a live connection being (re)established, which
// is reported as "feed down", not as a stall.
//
// One writer per heartbeat, one relaxed store per loop on a line of its own: the stage never
// waits for, or shares a cache line with, anyone reading it.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tp {

enum class Stage : uint8_t { Feed = 0, Strategy = 1, Gateway = 2, Journal = 3 };
inline constexpr std::size_t kStageCount = 4;
inline constexpr std::array<std::string_view, kStageCount> kStageNames = {"feed", "strategy", "gateway", "journal"};

struct alignas(64) StageHeartbeat {
  std::atomic<uint64_t> beats{0};
  std::atomic<uint32_t> waiting{0};  // 1 while the stage waits on purpose (a connect)
  std::atomic<uint32_t> present{0};  // 1 once the stage runs on a thread of its own

  void beat() noexcept { beats.store(beats.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed); }
  void set_waiting(bool w) noexcept { waiting.store(w ? 1 : 0, std::memory_order_relaxed); }
};

struct StageHeartbeats {
  std::array<StageHeartbeat, kStageCount> stage{};
  StageHeartbeat& operator[](Stage s) noexcept { return stage[static_cast<std::size_t>(s)]; }
  const StageHeartbeat& operator[](Stage s) const noexcept { return stage[static_cast<std::size_t>(s)]; }
};

}  // namespace tp
