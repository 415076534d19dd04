// What the cluster link publishes about itself for /health, /metrics and the report: written by
// the link's thread only (single writer), read by any thread. No hot-path stage touches it.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

namespace tp::ops {

enum class ClusterLinkState : uint8_t { Connecting = 0, Up = 1, Down = 2, Stopped = 3 };
const char* cluster_link_state_name(ClusterLinkState s) noexcept;

struct ClusterStatus {
  std::atomic<ClusterLinkState> link{ClusterLinkState::Connecting};
  std::atomic<bool> fail_closed{false};       // REDUCING because Redis was unreachable too long
  std::atomic<int64_t> down_since_ms{0};      // wall ms the link went down (0: up)
  std::atomic<uint64_t> connects{0};
  std::atomic<uint64_t> connect_failures{0};
  std::atomic<uint64_t> heartbeats{0};        // firm sync scripts run
  std::atomic<uint64_t> records_streamed{0};  // journal records this run added to the stream
  std::atomic<uint64_t> records_skipped{0};   // already in the stream (a resumed journal, a reconnect)
  std::atomic<uint64_t> stream_acked{0};      // the stream's last record (line number)
  std::atomic<uint64_t> journal_lines{0};     // complete lines read from the journal file
  std::atomic<uint64_t> firm_gen{0};          // the firm state's generation last seen
  std::atomic<uint64_t> firm_commands_applied{0};
  std::atomic<uint64_t> firm_commands_refused{0};  // operator commands with a bad signature
  std::atomic<int64_t> firm_day_pnl_raw{0};   // the firm-wide sum at the last heartbeat
  std::atomic<uint64_t> firm_live_instances{0};

  void set_error(std::string e) {
    const std::lock_guard<std::mutex> g(mu_);
    last_error_ = std::move(e);
  }
  std::string last_error() const {
    const std::lock_guard<std::mutex> g(mu_);
    return last_error_;
  }
  void set_firm_state(std::string s) {
    const std::lock_guard<std::mutex> g(mu_);
    firm_state_ = std::move(s);
  }
  std::string firm_state() const {
    const std::lock_guard<std::mutex> g(mu_);
    return firm_state_;
  }

 private:
  mutable std::mutex mu_;
  std::string last_error_;
  std::string firm_state_ = "ACTIVE";
};

}  // namespace tp::ops
