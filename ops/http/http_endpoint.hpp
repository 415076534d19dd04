// HttpEndpoint: the operations endpoint of SPEC §12 on cpp-httplib, on threads of its own (two
// workers), bound to `[ops] listen` (127.0.0.1 by default):
//   GET  /health  /ready   200 {"status":"ok",...} or 503 {"status":"fail","reasons":[...]}
//   GET  /metrics          Prometheus text exposition
//   GET  /state            positions, P&L, state, open orders, feed as JSON
//   POST /admin/reduce | /admin/halt | /admin/resume
//        `Authorization: Bearer <token>`; anything else is 401 and changes nothing.
// Every handler reads what the stages publish (ops/engine_view.hpp); none can stall a stage.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "ops/http/bearer_token.hpp"
#include "ops/engine_view.hpp"
#include "ops/stall_tracker.hpp"

namespace httplib {
class Server;
}

namespace tp::ops {

class HttpEndpoint final : public Endpoint {
 public:
  HttpEndpoint(EngineView& view, const StallTracker& stalls, BearerToken token);
  ~HttpEndpoint();
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  uint16_t start(const std::string& host, uint16_t port) override;
  void stop() override;
  uint16_t port() const noexcept override { return port_; }

 private:
  void routes();

  EngineView& view_;
  const StallTracker& stalls_;
  BearerToken token_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  uint16_t port_ = 0;
};

// The EndpointFactory the `tickpipe` binary uses.
std::unique_ptr<Endpoint> make_http_endpoint(EngineView& view, const StallTracker& stalls,
                                             const std::string& admin_token_env);

}  // namespace tp::ops
