// EngineView: what the operations side (ops/) sees of a running engine, and the one way it may
// act on it. The app implements it over its pipeline (app/engine_ops.cpp): ops includes no feed
// or exec header, and the engine's stages know nothing of HTTP.
//
// Every call comes from a thread that is not a hot-path stage (the HTTP endpoint's, the monitor's)
// and reads only what the stages publish for it: Counters, Seqlock snapshots, heartbeats
// (core/telemetry/). Nothing here takes a lock a stage takes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/telemetry/event_log.hpp"
#include "core/telemetry/stage_heartbeat.hpp"
#include "ops/prometheus_text.hpp"

namespace tp::ops {

struct StaleSymbol {
  std::string name;
  int64_t for_ms = 0;  // how long since its last book top
};

// The engine's side of /health and /ready (the stalls come from the monitor's StallTracker).
struct HealthFacts {
  bool started = false;   // the stages run and the first market event has been processed
  bool stopping = false;  // a stop was requested or the source ended
  std::string state;      // ACTIVE | REDUCING | HALTED
  std::string state_reason;
  std::vector<StaleSymbol> stale;
  bool has_feed_connections = false;  // live: the feed has connections to watch
  uint64_t feed_connections = 0;
  uint64_t feed_connections_open = 0;
  bool has_fix_session = false;       // orders go over FIX ([exec] venue = "fix")
  std::string fix_state;              // the session's state ("logged_on", "disconnected", ...)
  bool has_cluster = false;           // [cluster]: the link to Redis
  std::string cluster;                // "connecting", "up", "down", "stopped"
  bool cluster_fail_closed = false;   // REDUCING because Redis was unreachable too long
};

enum class AdminAction { Reduce, Halt, Resume };
const char* admin_action_name(AdminAction a) noexcept;

struct AdminResult {
  int http_status = 200;
  std::string json;  // the response body
};

class EngineView {
 public:
  virtual ~EngineView() = default;
  virtual const StageHeartbeats& heartbeats() const = 0;
  virtual HealthFacts health_facts() const = 0;
  // The engine's families; the endpoint adds its own (stalls).
  virtual void metrics(PrometheusText& out) const = 0;
  virtual std::string state_json() const = 0;
  // An authorised operator command: enters through the engine's control queue.
  virtual AdminResult admin(AdminAction action, std::string_view remote_addr) = 0;
  // A firm-wide command from the cluster link (the firm's limit or kill switch, Redis down too
  // long): queued with source "cluster", not awaited (the link must keep its heartbeat). A halt
  // also flattens (SPEC 13). False when it was not queued: the queue refused it, or a resume while
  // the instance's own daily loss limit holds its halt (SPEC 5).
  virtual bool cluster_command(AdminAction action) = 0;
  virtual EventLog& log() = 0;
};

class StallTracker;

// The HTTP side, behind an interface so that the engine runner does not link the HTTP library
// itself: the `tickpipe` binary passes make_http_endpoint (ops/http/http_endpoint.hpp); an in-process
// run without [ops] needs none (and a test binary that must not load cpp-httplib - which
// initialises OpenSSL when it is loaded - does not).
class Endpoint {
 public:
  virtual ~Endpoint() = default;
  // Binds host:port (0: the kernel picks) and starts serving; returns the port. Throws
  // std::runtime_error naming the address when it cannot.
  virtual uint16_t start(const std::string& host, uint16_t port) = 0;
  virtual void stop() = 0;
  virtual uint16_t port() const noexcept = 0;
};
// `admin_token_env`: the environment variable holding the admin token.
using EndpointFactory = std::unique_ptr<Endpoint> (*)(EngineView& view, const StallTracker& stalls,
                                                      const std::string& admin_token_env);

}  // namespace tp::ops
