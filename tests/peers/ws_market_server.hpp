// Starts tests/peers/ws_market_server.js (a venue's WebSocket market-data endpoint on 127.0.0.1) for
// a GoogleTest test, and makes self-signed certificates for its --tls option. Header-only; needs
// TP_SOURCE_DIR (the test binaries define it), node on PATH and Debian's node-ws. Options and the
// server's behaviour: tests/peers/README.md.
//
//   tp::testing::TempDir dir;                                         // tests/app/cli_runner.hpp
//   const auto cert = tp::testing::make_localhost_cert(dir.path());
//   tp::testing::WsMarketServer server({"--messages", data_file, "--tls", cert.pem_pair(), "--fault", "drop"});
//   ... "url = \"" + server.url("/stream") + "\"" ... ca_file = cert.cert ...
//   // ~WsMarketServer: SIGTERM, up to 5 s, SIGKILL, reaped
#pragma once

#include "peer_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#ifndef TP_SOURCE_DIR
#error "tests/peers/ws_market_server.hpp needs TP_SOURCE_DIR (the repository root), as the test binaries define it"
#endif

namespace tp::testing {


// How the server process ended (PeerProcess).
using WsServerExit = PeerExit;

// One running tests/peers/ws_market_server.js. The constructor returns once the server listens
// (its {"port":N} line read) or throws std::runtime_error with the command line and the server's
// stderr (in a GoogleTest test body that fails the test with that text).
class WsMarketServer {
 public:
  explicit WsMarketServer(std::vector<std::string> args,
                          std::chrono::milliseconds ready_timeout = std::chrono::seconds(10)) {
    for (const auto& a : args)
      if (a == "--tls") tls_ = true;
    const std::string script = std::string(TP_SOURCE_DIR) + "/tests/peers/ws_market_server.js";
    std::vector<std::string> argv{ws_peer_detail::find_program("node"), script};
    argv.insert(argv.end(), args.begin(), args.end());
    proc_.start(argv, ws_peer_detail::node_environment(), ready_timeout);
  }

  int port() const { return proc_.port(); }
  pid_t pid() const { return proc_.pid(); }
  bool tls() const { return tls_; }
  // "ws://127.0.0.1:PORT/path" (wss:// when started with --tls).
  std::string url(const std::string& path = "/") const {
    return std::string(tls_ ? "wss" : "ws") + "://127.0.0.1:" + std::to_string(port()) +
           (path.empty() || path[0] != '/' ? "/" : "") + path;
  }
  const std::string& command() const { return proc_.command(); }
  // Everything the server wrote to stderr so far (its log; the file goes when this object does).
  std::string stderr_text() const { return proc_.stderr_text(); }
  const std::string& stderr_path() const { return proc_.stderr_path(); }
  // REST requests answered so far (--rest-depth): the `rest` events in its log.
  int rest_requests() const {
    const std::string log = stderr_text();
    int n = 0;
    for (std::size_t at = 0; (at = log.find("{\"event\":\"rest\"", at)) != std::string::npos; ++at) ++n;
    return n;
  }
  // Sends `sig` to the server (SIGKILL: a crashed venue). False once it has been reaped.
  bool send_signal(int sig) { return proc_.send_signal(sig); }
  // Waits up to `timeout` for the server to end by itself (--max-seconds, a signal sent before).
  bool wait_for_exit(std::chrono::milliseconds timeout) { return proc_.wait_for_exit(timeout); }
  // SIGTERM, up to `grace` for it to exit, then SIGKILL; reaps it. Idempotent.
  WsServerExit stop(std::chrono::milliseconds grace = std::chrono::seconds(5)) { return proc_.stop(grace); }
  WsServerExit exit_status() const { return proc_.exit_status(); }

 private:
  PeerProcess proc_{"ws-server"};
  bool tls_ = false;
};

// A certificate and its key, PEM files. The certificate is self-signed and is its own trust anchor:
// give `cert` to the client as its CA file (tickpipe: [live] ca_file).
struct TlsCertFiles {
  std::string cert;
  std::string key;
  // "CERT,KEY", the server's --tls argument.
  std::string pem_pair() const { return cert + "," + key; }
};

// Makes `<dir>/<stem>-cert.pem` and `<dir>/<stem>-key.pem` with the openssl CLI: P-256 key, valid
// 30 days from now, CN = names[0], subjectAltName = every name (IP: for an IPv4/IPv6 address, DNS:
// otherwise; OpenSSL's host name check looks only at the SAN when there is one), basicConstraints
// CA:TRUE, keyUsage digitalSignature+keyCertSign, extendedKeyUsage serverAuth. Its own config file
// (`<stem>.cnf`), so the system openssl.cnf does not matter. Throws with openssl's output on failure.
inline TlsCertFiles make_self_signed_cert(const std::string& dir, const std::vector<std::string>& names,
                                          const std::string& stem = "server") {
  if (names.empty()) throw std::invalid_argument("make_self_signed_cert: no names");
  std::string san;
  for (const auto& n : names) {
    unsigned char addr[16];
    const bool ip = ::inet_pton(AF_INET, n.c_str(), addr) == 1 || ::inet_pton(AF_INET6, n.c_str(), addr) == 1;
    if (!san.empty()) san += ",";
    san += (ip ? "IP:" : "DNS:") + n;
  }
  const std::string cnf = dir + "/" + stem + ".cnf";
  {
    std::ofstream f(cnf, std::ios::trunc);
    f << "[req]\ndistinguished_name = dn\nx509_extensions = v3\nprompt = no\n"
      << "[dn]\nCN = " << names[0] << "\n"
      << "[v3]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,digitalSignature,keyCertSign\n"
      << "extendedKeyUsage = serverAuth\nsubjectKeyIdentifier = hash\nsubjectAltName = " << san << "\n";
    if (!f) throw std::runtime_error("make_self_signed_cert: cannot write " + cnf);
  }
  TlsCertFiles out{dir + "/" + stem + "-cert.pem", dir + "/" + stem + "-key.pem"};
  const std::vector<std::string> argv{ws_peer_detail::find_program("openssl"),
                                      "req", "-x509", "-config", cnf, "-newkey", "ec",
                                      "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                      "-keyout", out.key, "-out", out.cert, "-days", "30"};
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) throw std::runtime_error("make_self_signed_cert: pipe failed");
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e)
    if (std::strncmp(*e, "OPENSSL_CONF=", 13) != 0) env.emplace_back(*e);
  pid_t pid = -1;
  try {
    pid = ws_peer_detail::spawn(argv, env, pipefd[1], pipefd[1]);
  } catch (...) {
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    throw;
  }
  ::close(pipefd[1]);
  std::string output;
  char buf[1024];
  for (;;) {
    const ssize_t n = ::read(pipefd[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buf, static_cast<std::size_t>(n));
  }
  ::close(pipefd[0]);
  int status = 0;
  if (ws_peer_detail::wait_child(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
      !std::filesystem::exists(out.cert) || !std::filesystem::exists(out.key))
    throw std::runtime_error("make_self_signed_cert: " + ws_peer_detail::join_args(argv) + " " +
                             ws_peer_detail::describe_status(status) + ":\n" + output);
  return out;
}

// For 127.0.0.1 and localhost: verifies when the client checks the host (IP SAN and DNS SAN).
inline TlsCertFiles make_localhost_cert(const std::string& dir) {
  return make_self_signed_cert(dir, {"127.0.0.1", "localhost"}, "localhost");
}

// For "wrong.example" only: a client connecting to 127.0.0.1 or localhost must refuse it.
inline TlsCertFiles make_wrong_host_cert(const std::string& dir) {
  return make_self_signed_cert(dir, {"wrong.example"}, "wrong-host");
}

}  // namespace tp::testing
