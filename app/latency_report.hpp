// The latency report: per-stage histograms of the pipeline, taken off the hot path, presented as
// a text table, as JSON, and as one self-contained HTML page with SVG percentile plots (no
// scripts, no external resources, so it opens offline and can be attached to a ticket as is).
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "core/timing/latency_histogram.hpp"

namespace tp {

struct LatencyStage {
  std::string name;         // e.g. "decode", "tick_to_trade"
  std::string description;  // e.g. "bytes available -> message decoded (feed thread)"
  LatencySnapshot hist;
};

struct LatencyReport {
  std::string clock_source;   // e.g. "tsc (invariant, 2.995 GHz calibrated)" or "steady_clock"
  std::string wait_strategy;  // e.g. "feed=busy_spin strategy=busy_spin gateway=spin_then_yield"
  std::string machine;        // e.g. cpu model, cores
  uint64_t warmup_events = 0;  // events excluded from the histograms
  uint64_t measured_events = 0;
  std::vector<LatencyStage> stages;
};

// "812ns" up to 9999 ns, then "12.34us", "12.34ms", "12.34s" (two decimals, rounded half up).
std::string format_latency(uint64_t ns);

// One row per stage: count, p50, p90, p99, p99.9, p99.99, max, mean; "-" for an empty stage.
void print_latency_report(const LatencyReport& r, std::ostream& out);

// {clock_source, wait_strategy, machine, warmup_events, measured_events, stages: [{name,
// description, count, min_ns, max_ns, mean_ns, p50_ns, p90_ns, p99_ns, p999_ns, p9999_ns,
// buckets: [[lower_ns, upper_ns (inclusive), count], ...non-empty only]}]}.
nlohmann::json latency_report_json(const LatencyReport& r);

std::string latency_html(const LatencyReport& r);

// Both throw std::runtime_error naming the path when the file cannot be written.
void write_latency_json(const LatencyReport& r, const std::string& path);
void write_latency_html(const LatencyReport& r, const std::string& path);

}  // namespace tp
