// Latency of one pipeline run, stage by stage (issue 5). Stamps are TSC readings (core/timing/tsc_clock.hpp)
// taken at six points:
//
//   t0 bytes available       feed thread: the packet holding the message has been read
//   t1 message decoded       feed thread: the normalizer produced the event
//   t2 event taken           strategy thread: popped from ring A (deterministic mode: called)
//   t3 decision made         strategy thread: the rules ran (per event), or an order was built
//   t4 order taken           gateway thread: popped from ring B
//   t5 handed to the venue   gateway thread: the order passed the pre-trade checks and is given
//                            to the venue adapter (the simulated venue: SimVenue::submit)
//
// A market event carries t0 and an order carries t0 (its origin) and t3 as 32-bit stamps
// (stamp32 | 1: never 0, so 0 means "not measured": the warm-up, or an order no market event
// caused, e.g. the kill switch). Durations are taken modulo 2^32 ticks, valid below ~1.4 s at
// 3 GHz. Each histogram has exactly one writing thread, named below; a report merges them after
// the run, off the hot path.
#pragma once

#include <cstdint>

#include "core/timing/latency_histogram.hpp"
#include "core/timing/tsc_clock.hpp"

namespace tp {

// A stamp that rides in an event or an order: never 0 (0 = not measured).
inline uint32_t ride_stamp(uint64_t ticks) noexcept { return stamp32(ticks) | 1u; }

struct PipelineLatency {
  uint64_t warmup_messages = 0;  // the feed leaves the first N messages unstamped

  LatencyHistogram decode;         // t1 - t0, feed thread
  LatencyHistogram to_strategy;    // t2 - t0, strategy thread (decode + ring A)
  LatencyHistogram strategy;       // t3 - t2 per event, strategy thread
  LatencyHistogram to_gateway;     // t4 - t3 per order, gateway thread (ring B)
  LatencyHistogram gateway;        // t5 - t4 per order, gateway thread (pre-trade checks)
  LatencyHistogram tick_to_trade;  // t5 - t0 per order, gateway thread
};

}  // namespace tp
