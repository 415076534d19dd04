// `tickpipe bench`: an end-to-end latency run. A threaded replay (pinned threads, the configured
// wait strategies) with every stage stamped (core/timing/pipeline_latency.hpp); the first messages are
// a warm-up and stay out of the histograms.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "app/latency_report.hpp"
#include "app/engine_runner.hpp"
#include "app/run_report.hpp"
#include "core/config/config.hpp"

namespace tp {

struct BenchOptions {
  std::vector<std::string> captures;  // replayed in order, `repeat` times over
  std::string config_path;            // for the report only
  std::string journal_path;
  uint64_t warmup_messages = 1000;
  int repeat = 1;
  double packet_rate = 20000;  // packets per second; 0: as fast as possible (measures queueing too)
  ReplayMode mode = ReplayMode::Threaded;
};

// run_replay with every stage timed: starts the TSC clock, stamps all but the first
// `warmup_messages` messages, and returns the report with its `latency` filled in. Throws like
// run_replay (RunError, ConfigError).
RunReport run_measured(const Config& cfg, ReplayOptions opt, uint64_t warmup_messages);

// `tickpipe bench`: run_measured over the captures `repeat` times, paced at `packet_rate`.
RunReport run_bench(const Config& cfg, const BenchOptions& opt);

}  // namespace tp
