// The engine runner: wires feed -> strategy -> gateway (and the journal writer) for every byte
// source - `tickpipe replay` (captures), `tickpipe live` (a venue's WebSocket feed) and `tickpipe
// bench` - in one of two modes (DESIGN.md):
//  - deterministic: every stage on the calling thread, one market event at a time; the journal is
//    byte-identical run after run.
//  - threaded: feed, strategy and gateway each on their own thread (pinned where the config says),
//    joined by SpscRings; the calling thread writes the journal.
#pragma once

#include <atomic>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/run_report.hpp"
#include "core/config/config.hpp"
#include "core/threads/control_queue.hpp"
#include "core/timing/pipeline_latency.hpp"
#include "ops/engine_view.hpp"

namespace tp {

enum class ReplayMode { Deterministic, Threaded };

// Hooks into a run for tests that watch the hot path from outside (the allocation test arms its
// counter at `warm` and disarms it at `stages_done`). Null functions are never called.
struct RunProbe {
  void (*warm)(void* ctx) noexcept = nullptr;  // once, on the feed thread, after warm_after_messages
  void (*stages_done)(void* ctx) noexcept = nullptr;  // once, on the calling thread, all stages stopped
  void* ctx = nullptr;
  uint64_t warm_after_messages = 0;
};

struct ReplayOptions {
  std::vector<std::string> captures;  // replayed in the order given
  ReplayMode mode = ReplayMode::Deterministic;
  std::string journal_path;
  std::optional<std::string> dump_messages_path;
  std::string config_path;  // for the report only
  double speed = 0;          // capture seconds per wall second; 0 = as fast as possible (--speed max)
  double packet_rate = 0;    // > 0: packets released at this fixed rate instead (tickpipe bench --rate)
  // Operator commands (the kill switch) for this run. Null: the engine makes its own queue and
  // feeds it from SIGUSR1 (REDUCING) and SIGUSR2 (HALTED and flatten), whose handlers main installs
  // (core/threads/process_signals.hpp).
  ControlQueue* control = nullptr;
  // Stop request: the run stops reading at the next packet once it is non-zero (the value names
  // the signal), then finishes like at the end of the captures and reports it was interrupted.
  // Null: the process's SIGINT/SIGTERM flag (process_signals::stop_flag()).
  const std::atomic<int>* stop = nullptr;
  // --resume: continue the journal at journal_path from its last checkpoint. The replay re-derives
  // everything before that checkpoint and must reproduce the journal's lines exactly (JournalMismatch
  // otherwise), then appends. Deterministic mode only.
  bool resume = false;
  // Latency measurement (tickpipe bench): stamps and per-stage histograms, written here. Null: off
  // (no stamp is taken). TscClock::init() must have run.
  PipelineLatency* latency = nullptr;
  // Cancel every open order when the source ends (a live session stops, SPEC §10.6); a replay
  // leaves them open and the report counts them.
  bool cancel_open_at_end = false;
  // Makes the [ops] HTTP endpoint (ops/http/http_endpoint.hpp: ops::make_http_endpoint, what the
  // tickpipe binary passes). Null: a configuration with [ops] is an error.
  ops::EndpointFactory ops_endpoint = nullptr;
  RunProbe probe;
};

// Parses --speed: "max" -> 0, "realtime" -> 1, "<N>x" (N > 0, e.g. "10x", "0.5x") -> N.
// Returns false for anything else.
bool parse_speed(const std::string& text, double& out);

// The run could not be done (a capture that cannot be opened, an unwritable output): exit 1.
class RunError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A stop signal arrived before the run started producing: nothing was written (exit 0).
class StoppedBeforeStart : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The command line asks for something that cannot be done as asked (an output that is also an
// input, --resume of a file that is not a journal): exit 2, nothing was changed.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

RunReport run_replay(const Config& cfg, const ReplayOptions& opt);

// `tickpipe live` (SPEC §10): the same pipeline on the venue's WebSocket feed ([live]), paper
// trading on the simulated venue. Runs until a stop signal (opt.stop) or the duration.
// `opt.captures`, `speed` and `resume` do not apply.
struct LiveRunOptions {
  double duration_seconds = 0;  // stop after this long (0: until a stop signal)
  std::string record_path;      // --record: a pcapng of the session ("" = none)
};
RunReport run_live(const Config& cfg, const ReplayOptions& opt, const LiveRunOptions& live = {});

}  // namespace tp
