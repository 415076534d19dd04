// PrometheusText: the Prometheus text exposition format (version 0.0.4), written by hand - it is a
// few lines of HELP/TYPE per family and one line per sample, and the endpoint must not allocate
// per sample more than a string append. Label values are escaped as the format says (\\, \", \n);
// histograms come from the engine's own LatencyHistogram snapshots, in seconds.
//
// A family is opened with counter()/gauge()/histogram() and its samples follow; a family's name
// appears once (Prometheus rejects a family split in two).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "core/timing/latency_histogram.hpp"

namespace tp::ops {

using Label = std::pair<std::string_view, std::string_view>;
using Labels = std::initializer_list<Label>;

class PrometheusText {
 public:
  // Starts a family. `name`: [a-zA-Z_:][a-zA-Z0-9_:]*; counters end in _total.
  void counter(std::string_view name, std::string_view help) { family(name, help, "counter"); }
  void gauge(std::string_view name, std::string_view help) { family(name, help, "gauge"); }
  void histogram(std::string_view name, std::string_view help) { family(name, help, "histogram"); }

  // A sample of the current family.
  void sample(Labels labels, uint64_t value);
  void sample(Labels labels, int64_t value);
  void sample(Labels labels, double value);
  void sample(uint64_t value) { sample({}, value); }
  void sample(double value) { sample({}, value); }
  // A fixed-point number with 8 fractional digits (SPEC §1), exactly as the engine prints it.
  void sample_fixed(Labels labels, int64_t fixed);

  // One histogram of nanosecond latencies as _bucket{le=...} in seconds, _sum and _count.
  // Buckets: 100 ns to 100 ms in 1-2.5-5 steps, then +Inf; an engine bucket counts in the first
  // `le` at or above its upper bound, so a count is never placed below its true value (the engine's
  // buckets are at most 1/32 wide).
  void histogram_sample(Labels labels, const LatencySnapshot& s);

  const std::string& text() const noexcept { return out_; }
  std::string take() noexcept { return std::move(out_); }

  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  void family(std::string_view name, std::string_view help, std::string_view type);
  void series(std::string_view suffix, Labels labels, std::string_view extra_key = {}, std::string_view extra_value = {});
  void append_escaped(std::string_view v, bool help);

  std::string out_;
  std::string name_;  // the current family
};

}  // namespace tp::ops
