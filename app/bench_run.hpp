// `tickpipe bench`: an end-to-end latency run. A threaded replay (pinned threads, the configured
// wait strategies) with every stage stamped (core/pipeline_latency.hpp); the first messages are
// a warm-up and stay out of the histograms.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "app/latency_report.hpp"
#include "app/replay_engine.hpp"
#include "app/run_report.hpp"
#include "core/config.hpp"

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

struct BenchResult {
  RunReport run;
  LatencyReport latency;
};

// Throws like run_replay (RunError, ConfigError).
BenchResult run_bench(const Config& cfg, const BenchOptions& opt);

// The stages of `lat` as a report (names and what each measures), merged off the hot path.
LatencyReport latency_report_of(const PipelineLatency& lat, const ThreadsConfig& threads, ReplayMode mode);

// "AMD EPYC 9R14 (2 CPUs online, 2 allowed)": /proc/cpuinfo's model name and the CPU counts.
std::string describe_machine();

}  // namespace tp
