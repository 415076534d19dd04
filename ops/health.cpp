#include "ops/health.hpp"

#include <nlohmann/json.hpp>

namespace tp::ops {

const char* admin_action_name(AdminAction a) noexcept {
  switch (a) {
    case AdminAction::Reduce: return "reduce";
    case AdminAction::Halt: return "halt";
    case AdminAction::Resume: return "resume";
  }
  return "unknown";
}

HealthStatus evaluate_health(const HealthFacts& f, const StallTracker& stalls, int64_t now_ms, bool ready) {
  HealthStatus h;
  auto fail = [&](std::string why) {
    h.ok = false;
    h.reasons.push_back(std::move(why));
  };
  for (std::size_t i = 0; i < kStageCount; ++i) {
    const int64_t ms = stalls.stalled_for_ms(static_cast<Stage>(i), now_ms);
    if (ms < 0) continue;
    std::string why = "stage ";
    why.append(kStageNames[i]).append(" stalled for ").append(std::to_string(ms)).append(" ms");
    fail(std::move(why));
  }
  for (const StaleSymbol& s : f.stale) {
    std::string why = "symbol ";
    why.append(s.name).append(" stale: no book top for ").append(std::to_string(s.for_ms)).append(" ms");
    fail(std::move(why));
  }
  if (f.has_feed_connections && f.feed_connections_open < f.feed_connections) {
    std::string why = "feed down: ";
    why.append(std::to_string(f.feed_connections - f.feed_connections_open))
        .append(" of ")
        .append(std::to_string(f.feed_connections))
        .append(" connections not connected");
    fail(std::move(why));
  }
  if (f.has_fix_session && f.fix_state != "logged_on") {
    std::string why = "FIX session down: ";
    why.append(f.fix_state);
    fail(std::move(why));
  }
  // Redis down alone is not a failure: the instance trades on its own limits (SPEC 13). Once it
  // has failed closed it is, until Redis is back.
  if (f.has_cluster && f.cluster_fail_closed) fail("cluster down: REDUCING until Redis is back (fail-closed)");
  if (f.state == "HALTED") {
    std::string why = "state HALTED";
    if (!f.state_reason.empty()) why.append(" (").append(f.state_reason).append(")");
    fail(std::move(why));
  }
  if (ready) {
    if (f.stopping) fail("stopping");
    else if (!f.started) fail("starting: no market event processed yet");
  }
  return h;
}

std::string health_json(const HealthStatus& status, const HealthFacts& f) {
  nlohmann::json j;
  j["status"] = status.ok ? "ok" : "fail";
  j["reasons"] = status.reasons;
  j["state"] = f.state;
  j["started"] = f.started;
  j["stopping"] = f.stopping;
  if (f.has_feed_connections) j["feed"] = {{"connections", f.feed_connections}, {"open", f.feed_connections_open}};
  if (f.has_fix_session) j["fix"] = {{"state", f.fix_state}};
  if (f.has_cluster) {
    j["cluster"] = f.cluster;
    j["cluster_fail_closed"] = f.cluster_fail_closed;
  }
  return j.dump();
}

}  // namespace tp::ops
