// /health and /ready (SPEC §12): the engine is unhealthy, with every reason named, when a stage has
// stalled, a symbol is stale, a feed connection or the FIX session is down, or the state
// is HALTED. /ready also needs the engine to have started trading (the first market event is in)
// and not to be stopping: a load balancer or an orchestrator sends nothing to an engine that is
// not ready, while /health answers "is something wrong that a person must look at".
#pragma once

#include <string>
#include <vector>

#include "ops/engine_view.hpp"
#include "ops/stall_tracker.hpp"

namespace tp::ops {

struct HealthStatus {
  bool ok = true;
  std::vector<std::string> reasons;
};

HealthStatus evaluate_health(const HealthFacts& facts, const StallTracker& stalls, int64_t now_ms, bool ready);
// {"status":"ok"|"fail","reasons":[...],"state":"ACTIVE",...}
std::string health_json(const HealthStatus& status, const HealthFacts& facts);

}  // namespace tp::ops
