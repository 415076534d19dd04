#include "ops/http/http_endpoint.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <stdexcept>

#include "core/threads/thread_affinity.hpp"
#include "core/timing/wall_clock.hpp"
#include "ops/health.hpp"
#include "ops/prometheus_text.hpp"

namespace tp::ops {

HttpEndpoint::HttpEndpoint(EngineView& view, const StallTracker& stalls, BearerToken token)
    : view_(view), stalls_(stalls), token_(std::move(token)), server_(std::make_unique<httplib::Server>()) {
  // Two workers: a scrape and a health probe at once; the endpoint never competes for more.
  server_->new_task_queue = [] { return new httplib::ThreadPool(2); };
  server_->set_read_timeout(5, 0);
  server_->set_write_timeout(5, 0);
  server_->set_keep_alive_max_count(100);
  server_->set_payload_max_length(4096);  // no endpoint takes a body
  // SO_REUSEADDR only: cpp-httplib's default adds SO_REUSEPORT, which would let a second engine
  // bind the same port and answer half the probes and scrapes in this one's name.
  server_->set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  routes();
}

HttpEndpoint::~HttpEndpoint() { stop(); }

std::unique_ptr<Endpoint> make_http_endpoint(EngineView& view, const StallTracker& stalls,
                                             const std::string& admin_token_env) {
  return std::make_unique<HttpEndpoint>(view, stalls, BearerToken::from_environment(admin_token_env));
}

namespace {
const char* kJson = "application/json";
}

void HttpEndpoint::routes() {
  auto health = [this](bool ready) {
    return [this, ready](const httplib::Request&, httplib::Response& res) {
      const HealthFacts facts = view_.health_facts();
      const HealthStatus h = evaluate_health(facts, stalls_, monotonic_ms(), ready);
      res.status = h.ok ? 200 : 503;
      res.set_content(health_json(h, facts), kJson);
    };
  };
  server_->Get("/health", health(false));
  server_->Get("/ready", health(true));

  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    PrometheusText out;
    view_.metrics(out);
    const int64_t now = monotonic_ms();
    out.gauge("tickpipe_stage_stalled", "1 while the stage's heartbeat has stood still for ops.stall_after_ms.");
    for (std::size_t i = 0; i < kStageCount; ++i) {
      if (view_.heartbeats().stage[i].present.load(std::memory_order_relaxed) == 0) continue;
      out.sample({{"stage", kStageNames[i]}}, uint64_t{stalls_.stalled_for_ms(static_cast<Stage>(i), now) >= 0 ? 1u : 0u});
    }
    out.counter("tickpipe_log_dropped_total", "Log lines the feed thread could not queue (its ring was full).");
    out.sample(view_.log().dropped());
    res.set_content(out.take(), std::string(PrometheusText::kContentType));
  });

  server_->Get("/state", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(view_.state_json(), kJson);
  });

  auto admin = [this](AdminAction action) {
    return [this, action](const httplib::Request& req, httplib::Response& res) {
      const std::string auth = req.get_header_value("Authorization");
      LogFields f;
      f.add("action", admin_action_name(action)).add("remote", req.remote_addr);
      if (!token_.accepts(auth)) {
        res.status = 401;
        res.set_header("WWW-Authenticate", "Bearer");
        res.set_content(token_.enabled() ? R"({"error":"unauthorized"})"
                                         : R"j({"error":"unauthorized: the admin endpoints are off (no token is set)"})j",
                        kJson);
        view_.log().write(LogLevel::Warn, "admin_unauthorized", f.add("token_given", !auth.empty()));
        return;
      }
      const AdminResult r = view_.admin(action, req.remote_addr);
      res.status = r.http_status;
      res.set_content(r.json, kJson);
      view_.log().write(LogLevel::Info, "admin_command", f.add("status", r.http_status));
    };
  };
  server_->Post("/admin/reduce", admin(AdminAction::Reduce));
  server_->Post("/admin/halt", admin(AdminAction::Halt));
  server_->Post("/admin/resume", admin(AdminAction::Resume));
}

uint16_t HttpEndpoint::start(const std::string& host, uint16_t port) {
  int bound = -1;
  if (port == 0) {
    bound = server_->bind_to_any_port(host.c_str());
  } else if (server_->bind_to_port(host.c_str(), port)) {
    bound = port;
  }
  if (bound <= 0) {
    std::string msg = "ops: cannot listen on ";
    msg.append(host).push_back(':');
    msg.append(std::to_string(port)).append(" (in use, or not an address of this machine)");
    throw std::runtime_error(msg);
  }
  port_ = static_cast<uint16_t>(bound);
  thread_ = std::thread([this] {
    // Its worker threads inherit the name: a reader of `top -H` (or a test) tells them apart.
    name_current_thread("tp-ops-http");
    server_->listen_after_bind();
  });
  return port_;
}

void HttpEndpoint::stop() {
  if (!thread_.joinable()) return;
  server_->stop();
  thread_.join();
}

}  // namespace tp::ops
