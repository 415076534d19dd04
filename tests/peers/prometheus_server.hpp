// Starts a real Prometheus server (Debian's `prometheus` package, 2.42, /usr/bin/prometheus) on
// 127.0.0.1 for a GoogleTest test, scraping one target, and queries it through Prometheus's HTTP API
// (GET /api/v1/query). Header-only; needs TP_SOURCE_DIR (through ws_market_server.hpp, whose process
// helpers it uses), nlohmann_json, and prometheus on PATH.
//
//   tp::testing::TempDir dir;                                          // tests/app/cli_runner.hpp
//   tp::testing::PrometheusServer prom(dir.path(), "127.0.0.1:" + std::to_string(metrics_port));
//   ASSERT_TRUE(prom.wait_for("tickpipe_ticks_total", [](double v) { return v > 0; }, 15s));
//   EXPECT_EQ(prom.scalar("up{job=\"tickpipe\"}"), 1.0);
//   // ~PrometheusServer: SIGTERM, up to 5 s, SIGKILL, reaped
//
// Timing (Prometheus 2.42): /-/ready answers 200 about 0.1 s after the start, but the first scrape
// of a static target comes only about 5 s later: the discovery manager hands new targets to the scrape
// manager on a fixed 5 s tick (not configurable from the command line). Give wait_for() at least 10 s
// for the first sample.
//
// The HTTP client is a small one of its own (plain sockets, HTTP/1.1, Connection: close, every step
// bounded by poll()): Debian's libcpp-httplib-dev is not header-only (its httplib.h only declares;
// the code is in libcpp-httplib.so, built with OpenSSL/zlib/brotli support), and the test binaries
// do not link it.
#pragma once

#include "ws_market_server.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace tp::testing {

namespace prom_peer_detail {

// Concatenation by append(): GCC 12 reports false -Wrestrict errors on `"a" + s + "b"`.
inline std::string cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (const auto p : parts) out.append(p);
  return out;
}

// A failure to talk to the server at all (connect, send, receive, timeout, unparsable answer), as
// opposed to an answer that says something went wrong.
struct HttpTransportError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct HttpResponse {
  int status = 0;
  std::string body;
};

// A TCP port on 127.0.0.1 that was free a moment ago: bound to port 0, read back, closed. Someone
// else may take it before the caller binds it (PrometheusServer retries).
inline int pick_free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(cat({"socket: ", std::strerror(errno)}));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int err = errno;
    ::close(fd);
    throw std::runtime_error(cat({"bind 127.0.0.1:0: ", std::strerror(err)}));
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Percent-encoding for a query parameter value: everything but RFC 3986's unreserved characters.
inline std::string url_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xF]);
    }
  }
  return out;
}

inline int ms_until(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(std::min<long long>(left.count(), 1000 * 1000));
}

// Waits (EINTR-safe) for `events` on fd until the deadline: true when ready, false at the deadline.
inline bool poll_until(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    pollfd pfd{fd, events, 0};
    const int r = ::poll(&pfd, 1, ms_until(deadline));
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) throw HttpTransportError(cat({"poll: ", std::strerror(errno)}));
  }
}

// Case-insensitive: does the header block hold `name: value` with `value` (lower case) in it?
inline bool header_has(const std::string& head, std::string_view name, std::string_view value) {
  std::string lower(head);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  std::size_t pos = 0;
  while ((pos = lower.find("\r\n", pos)) != std::string::npos) {
    pos += 2;
    if (lower.compare(pos, name.size(), name) != 0 || lower.compare(pos + name.size(), 1, ":") != 0) continue;
    const std::size_t end = lower.find("\r\n", pos);
    return lower.substr(pos, end == std::string::npos ? std::string::npos : end - pos).find(value) != std::string::npos;
  }
  return false;
}

inline std::string decode_chunked(const std::string& raw) {
  std::string out;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t eol = raw.find("\r\n", pos);
    if (eol == std::string::npos) throw HttpTransportError("truncated chunked body");
    char* end = nullptr;
    const unsigned long size = std::strtoul(raw.c_str() + pos, &end, 16);
    if (end == raw.c_str() + pos) throw HttpTransportError("bad chunk size line");
    if (size == 0) return out;
    if (eol + 2 + size > raw.size()) throw HttpTransportError("truncated chunk");
    out.append(raw, eol + 2, size);
    pos = eol + 2 + size + 2;  // the chunk's trailing CRLF
  }
}

// GET http://127.0.0.1:port<target>: connect, send and read to the end within `timeout` in all.
// Throws HttpTransportError when that fails or does not finish in time.
inline HttpResponse http_get(int port, const std::string& target, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const std::string where = cat({"GET http://127.0.0.1:", std::to_string(port), target});
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) throw HttpTransportError(cat({where, ": socket: ", std::strerror(errno)}));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EINPROGRESS && errno != EINTR)
      throw HttpTransportError(cat({where, ": connect: ", std::strerror(errno)}));
    if (!poll_until(fd, POLLOUT, deadline)) throw HttpTransportError(cat({where, ": connect timed out"}));
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) throw HttpTransportError(cat({where, ": connect: ", std::strerror(err)}));
  }

  const std::string request =
      cat({"GET ", target, " HTTP/1.1\r\nHost: 127.0.0.1:", std::to_string(port),
           "\r\nAccept: application/json\r\nUser-Agent: tickpipe-tests\r\nConnection: close\r\n\r\n"});
  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (!poll_until(fd, POLLOUT, deadline)) throw HttpTransportError(cat({where, ": send timed out"}));
    } else {
      throw HttpTransportError(cat({where, ": send: ", std::strerror(errno)}));
    }
  }

  // Read until the server closes (Connection: close) or the body is complete.
  std::string raw;
  std::size_t body_start = std::string::npos;
  std::size_t content_length = std::string::npos;
  bool chunked = false;
  for (;;) {
    if (body_start == std::string::npos) {
      const std::size_t end = raw.find("\r\n\r\n");
      if (end != std::string::npos) {
        body_start = end + 4;
        const std::string head = raw.substr(0, end + 2);
        chunked = header_has(head, "transfer-encoding", "chunked");
        std::string lower(head);
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        const std::size_t cl = lower.find("\r\ncontent-length:");
        if (!chunked && cl != std::string::npos) content_length = std::strtoul(lower.c_str() + cl + 17, nullptr, 10);
      }
    }
    if (body_start != std::string::npos) {
      if (content_length != std::string::npos && raw.size() >= body_start + content_length) break;
      if (chunked && raw.size() >= body_start + 5 && raw.compare(raw.size() - 5, 5, "0\r\n\r\n") == 0) break;
    }
    char buf[8192];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      raw.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      if (!poll_until(fd, POLLIN, deadline))
        throw HttpTransportError(cat({where, ": no complete answer within ", std::to_string(timeout.count()), " ms"}));
    } else {
      throw HttpTransportError(cat({where, ": recv: ", std::strerror(errno)}));
    }
  }

  if (raw.compare(0, 5, "HTTP/") != 0 || body_start == std::string::npos)
    throw HttpTransportError(cat({where, ": not an HTTP answer: ", raw.substr(0, 200)}));
  HttpResponse r;
  const std::size_t sp = raw.find(' ');
  r.status = std::atoi(raw.c_str() + sp + 1);
  if (chunked) {
    r.body = decode_chunked(raw.substr(body_start));
  } else {
    r.body = raw.substr(body_start, content_length);
    if (content_length != std::string::npos && r.body.size() < content_length)
      throw HttpTransportError(cat({where, ": body cut short"}));
  }
  return r;
}

// A Prometheus duration ("1m30s500ms"), exact to the millisecond.
inline std::string prom_duration(std::chrono::milliseconds d) {
  long long ms = d.count();
  if (ms <= 0) return "0s";
  std::string out;
  const std::pair<long long, const char*> units[] = {{3600000, "h"}, {60000, "m"}, {1000, "s"}, {1, "ms"}};
  for (const auto& [size, name] : units) {
    if (ms >= size) {
      out.append(std::to_string(ms / size));
      out.append(name);
      ms %= size;
    }
  }
  return out;
}

// A YAML single-quoted scalar.
inline std::string yaml_quote(const std::string& s) {
  std::string out("'");
  for (const char c : s) {
    if (c == '\'') out.push_back('\'');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

// The last `max_lines` lines of `text`.
inline std::string tail(const std::string& text, std::size_t max_lines = 30) {
  std::size_t pos = text.size();
  if (pos > 0 && text[pos - 1] == '\n') --pos;
  for (std::size_t lines = 0; pos > 0; --pos) {
    if (text[pos - 1] == '\n' && ++lines == max_lines) break;
  }
  return text.substr(pos);
}

// This process's environment for the child.
inline std::vector<std::string> environment() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) env.emplace_back(*e);
  return env;
}

}  // namespace prom_peer_detail

// One running Prometheus. The constructor returns once it listens on 127.0.0.1:port() and
// GET /-/ready answers 200 (and the answering server is this one: its --storage.tsdb.path), or
// throws std::runtime_error with the command line and the tail of work_dir/prometheus.log (its
// stdout and stderr; in a GoogleTest test body that fails the test with that text).
class PrometheusServer {
 public:
  static constexpr int kMaxAttempts = 5;  // new ports tried when the chosen one was taken meanwhile

  PrometheusServer(const std::string& work_dir, const std::string& target_host_port,
                   std::chrono::milliseconds scrape_interval = std::chrono::milliseconds(200),
                   std::chrono::milliseconds ready_timeout = std::chrono::seconds(20))
      : work_dir_(work_dir) {
    try {
      start(target_host_port, scrape_interval, ready_timeout);
    } catch (...) {
      stop();  // whatever was started goes (a destructor does not run for a constructor that throws)
      throw;
    }
  }

  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;

  ~PrometheusServer() { stop(); }

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& command() const { return command_; }
  const std::string& config_path() const { return config_path_; }
  const std::string& log_path() const { return log_path_; }
  // What Prometheus logged so far (warnings and errors: it runs with --log.level=warn).
  std::string log_text() const { return ws_peer_detail::slurp(log_path_); }

  // The raw JSON body of GET /api/v1/query?query=<promql> (an instant query at now). Throws
  // std::runtime_error when Prometheus does not answer within 5 s or answers other than 200 (a bad
  // query: 400 with Prometheus's JSON error, included in the message).
  std::string query(const std::string& promql) const { return query_within(promql, std::chrono::seconds(5)); }

  // The value of the first sample of the instant-vector result (or the value of a scalar result);
  // nullopt when the vector is empty. Throws like query(), and for a result of another type.
  std::optional<double> scalar(const std::string& promql) const {
    return first_value(promql, query(promql));
  }

  // Polls scalar(promql) (every 50 ms at most) until it has a value that satisfies `pred`: true, or
  // false once `timeout` has passed. Query errors (a bad query, Prometheus gone) throw as in query().
  bool wait_for(const std::string& promql, std::function<bool(double)> pred, std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      try {
        const auto v = first_value(promql, query_within(promql, std::min<std::chrono::milliseconds>(
                                                                    left, std::chrono::seconds(5))));
        if (v && pred(*v)) return true;
      } catch (const prom_peer_detail::HttpTransportError&) {
        if (std::chrono::steady_clock::now() >= deadline) return false;  // cut short by our own deadline
        throw;
      }
      const auto rest = deadline - std::chrono::steady_clock::now();
      if (rest > std::chrono::steady_clock::duration::zero())
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(rest, std::chrono::milliseconds(50)));
    }
  }

  // SIGTERM, up to `grace` for it to exit, then SIGKILL; reaps it. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(5)) {
    if (reaped_ || pid_ <= 0) return;
    ws_peer_detail::terminate_child(pid_, grace, [this](bool block) { return try_reap(block); });
  }

 private:
  enum class Outcome { kReady, kExited, kTimeout };

  void start(const std::string& target_host_port, std::chrono::milliseconds scrape_interval,
             std::chrono::milliseconds ready_timeout) {
    using prom_peer_detail::cat;
    if (scrape_interval.count() <= 0) throw std::invalid_argument("PrometheusServer: scrape_interval must be > 0");
    std::filesystem::create_directories(work_dir_);
    config_path_ = cat({work_dir_, "/prometheus.yml"});
    data_path_ = cat({work_dir_, "/data"});
    log_path_ = cat({work_dir_, "/prometheus.log"});
    write_config(target_host_port, scrape_interval);
    const std::string program = ws_peer_detail::find_program("prometheus");
    const auto env = prom_peer_detail::environment();
    const auto deadline = std::chrono::steady_clock::now() + ready_timeout;

    std::string earlier;  // what the attempts that lost their port said
    for (int attempt = 1;; ++attempt) {
      port_ = prom_peer_detail::pick_free_port();
      const std::vector<std::string> argv{program,
                                          cat({"--config.file=", config_path_}),
                                          cat({"--storage.tsdb.path=", data_path_}),
                                          cat({"--web.listen-address=127.0.0.1:", std::to_string(port_)}),
                                          "--log.level=warn",
                                          "--storage.tsdb.retention.time=1d"};
      command_ = ws_peer_detail::join_args(argv);
      std::error_code ec;
      const auto log_offset = std::filesystem::exists(log_path_, ec) ? std::filesystem::file_size(log_path_, ec) : 0;
      const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (log_fd < 0)
        throw std::runtime_error(cat({"PrometheusServer: cannot open ", log_path_, ": ", std::strerror(errno)}));
      try {
        pid_ = ws_peer_detail::spawn(argv, env, log_fd, log_fd);
      } catch (...) {
        ::close(log_fd);
        throw;
      }
      ::close(log_fd);
      reaped_ = false;
      exit_status_ = 0;

      const Outcome outcome = wait_ready(deadline);
      if (outcome == Outcome::kReady) return;
      const std::string full = ws_peer_detail::slurp(log_path_);
      const std::string said = log_offset < full.size() ? full.substr(static_cast<std::size_t>(log_offset)) : "";
      if (outcome == Outcome::kExited && said.find("address already in use") != std::string::npos &&
          attempt < kMaxAttempts && std::chrono::steady_clock::now() < deadline) {
        earlier.append(cat({"port ", std::to_string(port_), " was taken; "}));
        continue;
      }
      std::string why;
      if (outcome == Outcome::kExited) {
        why = cat({"it ", ws_peer_detail::describe_status(exit_status_), " before it was ready"});
      } else {
        why = cat({"GET /-/ready did not answer 200 within ", std::to_string(ready_timeout.count()), " ms"});
        stop();
      }
      throw std::runtime_error(cat({"prometheus did not start (", command_, "): ", earlier, why, "; the tail of ",
                                    log_path_, ":\n", prom_peer_detail::tail(said)}));
    }
  }

  void write_config(const std::string& target, std::chrono::milliseconds interval) const {
    const std::string every = prom_peer_detail::prom_duration(interval);
    // scrape_timeout may not exceed scrape_interval (Prometheus refuses the config).
    const std::string timeout =
        prom_peer_detail::prom_duration(std::min<std::chrono::milliseconds>(interval, std::chrono::seconds(10)));
    std::ofstream f(config_path_, std::ios::binary | std::ios::trunc);
    f << "# Written by tests/peers/prometheus_server.hpp.\n"
      << "global:\n"
      << "  scrape_interval: " << every << "\n"
      << "  scrape_timeout: " << timeout << "\n"
      << "  evaluation_interval: " << every << "\n"
      << "scrape_configs:\n"
      << "  - job_name: tickpipe\n"
      << "    metrics_path: /metrics\n"
      << "    scheme: http\n"
      << "    static_configs:\n"
      << "      - targets: [" << prom_peer_detail::yaml_quote(target) << "]\n";
    f.flush();
    if (!f) throw std::runtime_error(prom_peer_detail::cat({"PrometheusServer: cannot write ", config_path_}));
  }

  // Polls GET /-/ready until 200 from this process (checked through /api/v1/status/flags: until
  // Prometheus gives up on a port someone else holds, that someone may be answering), the child
  // exits, or the deadline passes.
  Outcome wait_ready(std::chrono::steady_clock::time_point deadline) {
    for (;;) {
      if (try_reap(false)) return Outcome::kExited;
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return Outcome::kTimeout;
      const auto per_request = std::min<std::chrono::milliseconds>(left, std::chrono::milliseconds(500));
      try {
        if (prom_peer_detail::http_get(port_, "/-/ready", per_request).status == 200 && is_ours(per_request))
          return try_reap(false) ? Outcome::kExited : Outcome::kReady;
      } catch (const prom_peer_detail::HttpTransportError&) {
        // not listening yet
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  bool is_ours(std::chrono::milliseconds timeout) const {
    const auto r = prom_peer_detail::http_get(port_, "/api/v1/status/flags", timeout);
    if (r.status != 200) return false;
    const auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (j.is_discarded() || !j.contains("data") || !j["data"].is_object()) return false;
    const auto it = j["data"].find("storage.tsdb.path");
    return it != j["data"].end() && it->is_string() && it->get<std::string>() == data_path_;
  }

  std::string query_within(const std::string& promql, std::chrono::milliseconds timeout) const {
    using prom_peer_detail::cat;
    const auto r = prom_peer_detail::http_get(
        port_, cat({"/api/v1/query?query=", prom_peer_detail::url_encode(promql)}), timeout);
    if (r.status != 200)
      throw std::runtime_error(cat({"prometheus query '", promql, "': HTTP ", std::to_string(r.status), ": ", r.body}));
    return r.body;
  }

  static std::optional<double> first_value(const std::string& promql, const std::string& body) {
    using prom_peer_detail::cat;
    const auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || j.value("status", "") != "success" || !j.contains("data"))
      throw std::runtime_error(cat({"prometheus query '", promql, "': unexpected answer ", body}));
    const auto& data = j["data"];
    const std::string type = data.value("resultType", "");
    const auto& result = data.contains("result") ? data["result"] : nlohmann::json();
    const nlohmann::json* pair = nullptr;  // [ <unix time>, "<value>" ]
    if (type == "vector" && result.is_array()) {
      if (result.empty()) return std::nullopt;
      if (result[0].contains("value")) pair = &result[0]["value"];
    } else if (type == "scalar") {
      pair = &result;
    }
    if (pair == nullptr || !pair->is_array() || pair->size() != 2 || !(*pair)[1].is_string())
      throw std::runtime_error(cat({"prometheus query '", promql, "': not an instant vector or scalar: ", body}));
    const std::string text = (*pair)[1].get<std::string>();  // "42", "NaN", "+Inf", "-Inf", "1e+06"
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0')
      throw std::runtime_error(cat({"prometheus query '", promql, "': unparsable value ", text}));
    return v;
  }

  // Reaps the child (waiting for it when `block`, else only if it has ended); true once reaped.
  bool try_reap(bool block) {
    if (reaped_ || pid_ <= 0) return true;
    int status = 0;
    bool here = false;
    if (!ws_peer_detail::reap_child(pid_, block, status, here)) return false;
    if (here) exit_status_ = status;
    reaped_ = true;
    return true;
  }

  std::string work_dir_;
  std::string config_path_;
  std::string data_path_;
  std::string log_path_;
  std::string command_;
  pid_t pid_ = -1;
  int port_ = 0;
  bool reaped_ = true;
  int exit_status_ = 0;
};

}  // namespace tp::testing
