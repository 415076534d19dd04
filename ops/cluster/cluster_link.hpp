// ClusterLink: this instance's link to the firm (SPEC §13, docs/cluster.md), on a thread of its own
// ("tp-ops-cluster") beside the hot path: no stage ever waits for it or for Redis. Every
// heartbeat_ms it publishes the instance's figures (state, day P&L, positions: what /state shows)
// and runs the firm-wide limit in Redis (one Lua script: the sum of the live instances' day P&L,
// the firm state, a HALTED on a breach, published); it streams every complete journal line into
// the instance's Redis Stream (IDs 0-<line>, resuming after the last one Redis holds, so the stream
// equals the journal: nothing missing, nothing doubled); it listens on the firm's channel and
// applies a new firm state (HALTED: halt and flatten; REDUCING; ACTIVE after a halt it applied:
// resume) through the engine's control queue, checking an operator's signature first. With Redis
// unreachable the instance trades on its own limits, /health shows cluster "down", and after
// fail_closed_after_ms it enters REDUCING until Redis is back.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/config/config.hpp"
#include "ops/cluster/cluster_keys.hpp"
#include "ops/cluster/cluster_status.hpp"
#include "ops/cluster/journal_tail.hpp"
#include "ops/cluster/redis_connection.hpp"
#include "ops/engine_view.hpp"

namespace tp::ops {

struct ClusterLinkOptions {
  ClusterConfig cfg;
  std::string password;      // AUTH ("" : none)
  std::string admin_token;   // checks operators' firm commands ("" : they are refused)
  std::string journal_path;  // "" : nothing to stream
  bool journal_fresh = true; // a new journal: the instance's old stream is archived first (renamed)
};

class ClusterLink {
 public:
  ClusterLink(ClusterLinkOptions options, EngineView& view);
  ~ClusterLink();
  ClusterLink(const ClusterLink&) = delete;
  ClusterLink& operator=(const ClusterLink&) = delete;

  void start();
  // Streams what is left of the journal (for at most `drain`, while Redis answers), publishes a
  // last heartbeat, and ends the thread. Idempotent.
  void stop(std::chrono::milliseconds drain = std::chrono::seconds(3));
  const ClusterStatus& status() const noexcept { return status_; }

 private:
  struct FirmState {
    std::string state = "ACTIVE";
    uint64_t gen = 0;
    std::string reason, by, at_ms, sig;
  };

  void run();
  bool connect();
  void disconnect(const std::string& why);
  void heartbeat();
  static FirmState firm_state_at(const RedisReply& r, std::size_t rest);
  void read_firm_state();
  void apply_firm(const FirmState& f);
  void sync_stream_position();
  // Streams up to one batch of complete journal lines; returns how many it sent.
  std::size_t stream_batch();
  void check_fail_closed();
  void log(LogLevel level, std::string_view event, const LogFields& f) { view_.log().write(level, event, f); }
  std::string script_sha(const char* script);

  ClusterLinkOptions opt_;
  EngineView& view_;
  ClusterKeys keys_;
  std::string instance_key_, stream_key_;
  ClusterStatus status_;
  std::unique_ptr<RedisConnection> main_, sub_;
  std::unique_ptr<JournalTail> tail_;
  std::string sync_sha_, append_sha_;
  uint64_t acked_ = 0;             // the stream's last line number
  uint64_t applied_gen_ = 0;       // the last firm state generation acted on (0: none this run)
  bool firm_holds_ = false;        // the instance is halted or reducing because the firm said so
  bool archived_ = false;          // the fresh journal's old stream was dealt with
  bool stream_broken_ = false;     // the stream holds entries tickpipe did not write: not streamed
  int64_t started_ms_ = 0;
  std::chrono::steady_clock::time_point down_since_{};
  bool down_ = false;

  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::chrono::milliseconds drain_{0};
};

}  // namespace tp::ops
