// Starts a real Redis server (Debian's `redis-server` package, 7.0, /usr/bin/redis-server) on
// 127.0.0.1 for a GoogleTest test, without persistence, in a temporary directory of its own, and
// talks to it with a minimal synchronous RESP2 client (no hiredis). Header-only; needs TP_SOURCE_DIR
// and nlohmann/json.hpp on the include path (through prometheus_server.hpp, whose port picker, poll
// and process helpers it uses), and redis-server on PATH.
//
//   tp::testing::RedisServer redis;                                    // ready: PING and INFO answered
//   ... "url = \"" + redis.url() + "\"" ...                            // redis://127.0.0.1:N/0
//   EXPECT_EQ(redis.command({"SET", "k", "v"}), "OK");
//   EXPECT_EQ(redis.xrange_values("ticks", "px"), expected_lines);
//   redis.kill();                                                      // a crash: SIGKILL, reaped
//   redis.restart();                                                   // same port, empty (no persistence)
//   // ~RedisServer: SIGTERM, up to 5 s, SIGKILL, reaped; the work directory removed
//
// The server runs as
//   redis-server --bind 127.0.0.1 --port N --save "" --appendonly no --dir WORK --daemonize no
//                --protected-mode yes --logfile WORK/redis.log --loglevel notice
// (each a separate argv entry; `--save ""` is an empty one), with stdout/stderr appended to
// WORK/redis.stderr (Redis writes there only what comes before its log file is open: a bad command
// line). It is ready when a TCP connection to 127.0.0.1:N answers PING with +PONG and INFO server
// reports process_id:<the pid started here>, so a Redis that someone else runs on that port is never
// taken for ours. Started from the thread that constructs (or restarts) it, it gets SIGTERM when that
// thread dies (PR_SET_PDEATHSIG, ws_peer_detail::spawn).
//
// command() renders a reply as text:
//   simple string +OK          -> OK
//   error -ERR x               -> throws RedisReplyError("redis: ERR x")
//   integer :5                 -> 5
//   bulk string $3 abc         -> abc            (the bytes as they are)
//   nil bulk $-1, nil array *-1 -> (nil)
//   array                      -> a JSON-like list, no spaces: ["a","b",["c"],5,null]
//                                 strings (bulk or simple) quoted with nlohmann's JSON escapes
//                                 (\" \\ \n \r \t \b \f, other bytes below 0x20 as \u00XX; bytes
//                                 that are not UTF-8 become U+FFFD),
//                                 integers bare, nil as null, nested arrays nested, an error element
//                                 (inside an EXEC result, say) as {"error":"ERR x"} (not thrown).
// Only RESP2 (what Redis speaks unless a connection sends HELLO 3; each command has a fresh
// connection, so it never does): a RESP3 type byte is a protocol error. Only the first reply is
// read: commands that answer more than once on a connection (SUBSCRIBE a b, MONITOR) are not for it.
#pragma once

#include "peer_process.hpp"
#include "prometheus_server.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace tp::testing {

// An error reply from Redis ("-ERR ..."): what() is "redis: " + the error line.
struct RedisReplyError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Redis could not be talked to: connect refused, connection closed, timeout, a reply that is not RESP2.
struct RedisTransportError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

namespace redis_peer_detail {

using prom_peer_detail::cat;

// One RESP2 reply.
struct RespValue {
  enum class Type { kSimple, kError, kInteger, kBulk, kNil, kArray };
  Type type = Type::kNil;
  std::string str;               // kSimple, kError, kBulk; kInteger: the digits as sent
  std::vector<RespValue> elems;  // kArray
};

// The command as a RESP array of bulk strings.
inline std::string encode_command(const std::vector<std::string>& args) {
  std::string out;
  out.push_back('*');
  out.append(std::to_string(args.size()));
  out.append("\r\n");
  for (const auto& a : args) {
    out.push_back('$');
    out.append(std::to_string(a.size()));
    out.append("\r\n");
    out.append(a);
    out.append("\r\n");
  }
  return out;
}

inline RedisTransportError protocol_error(std::string_view what) {
  return RedisTransportError(cat({"redis: protocol error: ", what}));
}

inline long long parse_integer(std::string_view text) {
  long long v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    throw protocol_error(cat({"not an integer: '", text, "'"}));
  return v;
}

constexpr int kMaxDepth = 64;

// Parses one reply at buf[pos...]: the value (pos moved past it), or nullopt when buf ends before it
// does, with `needed` raised to a size buf must reach before trying again (a lower bound). Throws
// RedisTransportError for bytes that are not RESP2.
inline std::optional<RespValue> parse_reply(const std::string& buf, std::size_t& pos, std::size_t& needed,
                                            int depth = 0) {
  if (depth > kMaxDepth) throw protocol_error("arrays nested too deep");
  if (pos >= buf.size()) {
    needed = std::max(needed, pos + 1);
    return std::nullopt;
  }
  const std::size_t eol = buf.find("\r\n", pos + 1);
  if (eol == std::string::npos) {
    needed = std::max(needed, buf.size() + 1);
    return std::nullopt;
  }
  const char type = buf[pos];
  const std::string_view line(buf.data() + pos + 1, eol - pos - 1);
  std::size_t next = eol + 2;
  RespValue v;
  switch (type) {
    case '+':
      v.type = RespValue::Type::kSimple;
      v.str.assign(line);
      break;
    case '-':
      v.type = RespValue::Type::kError;
      v.str.assign(line);
      break;
    case ':':
      parse_integer(line);
      v.type = RespValue::Type::kInteger;
      v.str.assign(line);
      break;
    case '$': {
      const long long len = parse_integer(line);
      if (len == -1) {
        v.type = RespValue::Type::kNil;
        break;
      }
      if (len < 0) throw protocol_error(cat({"bulk length ", line}));
      const std::size_t n = static_cast<std::size_t>(len);
      if (buf.size() < next + n + 2) {
        needed = std::max(needed, next + n + 2);
        return std::nullopt;
      }
      if (buf[next + n] != '\r' || buf[next + n + 1] != '\n') throw protocol_error("bulk string not ended by CRLF");
      v.type = RespValue::Type::kBulk;
      v.str.assign(buf, next, n);
      next += n + 2;
      break;
    }
    case '*': {
      const long long count = parse_integer(line);
      if (count == -1) {
        v.type = RespValue::Type::kNil;
        break;
      }
      if (count < 0) throw protocol_error(cat({"array length ", line}));
      v.type = RespValue::Type::kArray;
      v.elems.reserve(static_cast<std::size_t>(std::min<long long>(count, 1024)));
      for (long long i = 0; i < count; ++i) {
        auto elem = parse_reply(buf, next, needed, depth + 1);
        if (!elem) return std::nullopt;
        v.elems.push_back(std::move(*elem));
      }
      break;
    }
    default: {
      const char hex[] = "0123456789abcdef";
      const unsigned char c = static_cast<unsigned char>(type);
      const char code[] = {'0', 'x', hex[c >> 4], hex[c & 0xF], '\0'};
      throw protocol_error(cat({"unexpected type byte ", code, " (only RESP2 is understood)"}));
    }
  }
  pos = next;
  return v;
}

// A JSON string literal for `s` (nlohmann's escaping; bytes that are not UTF-8 become U+FFFD).
inline void append_quoted(std::string& out, const std::string& s) {
  out.append(nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// An array element (or the array itself) in the JSON-like rendering.
inline void append_element(std::string& out, const RespValue& v) {
  switch (v.type) {
    case RespValue::Type::kSimple:
    case RespValue::Type::kBulk:
      append_quoted(out, v.str);
      break;
    case RespValue::Type::kInteger:
      out.append(v.str);
      break;
    case RespValue::Type::kNil:
      out.append("null");
      break;
    case RespValue::Type::kError:
      out.append("{\"error\":");
      append_quoted(out, v.str);
      out.push_back('}');
      break;
    case RespValue::Type::kArray: {
      out.push_back('[');
      bool first = true;
      for (const auto& e : v.elems) {
        if (!first) out.push_back(',');
        first = false;
        append_element(out, e);
      }
      out.push_back(']');
      break;
    }
  }
}

// A reply as command() returns it; an error reply throws RedisReplyError.
inline std::string render(const RespValue& v) {
  switch (v.type) {
    case RespValue::Type::kSimple:
    case RespValue::Type::kBulk:
    case RespValue::Type::kInteger:
      return v.str;
    case RespValue::Type::kNil:
      return "(nil)";
    case RespValue::Type::kError:
      throw RedisReplyError(cat({"redis: ", v.str}));
    case RespValue::Type::kArray:
      break;
  }
  std::string out;
  append_element(out, v);
  return out;
}

// Sends `args` as one command on a fresh connection to 127.0.0.1:port and reads its reply, all
// within `timeout` (connect, send and every read bounded by poll()). The reply as parsed (an error
// reply is returned, not thrown); throws RedisTransportError when Redis cannot be talked to in time.
inline RespValue request(int port, const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  if (args.empty()) throw std::invalid_argument("redis: a command needs at least its name");
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const std::string where = cat({"redis 127.0.0.1:", std::to_string(port), " ", args[0]});
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) throw RedisTransportError(cat({where, ": socket: ", std::strerror(errno)}));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  const auto wait_for = [&](short events) {
    try {
      return prom_peer_detail::poll_until(fd, events, deadline);
    } catch (const prom_peer_detail::HttpTransportError& e) {
      throw RedisTransportError(cat({where, ": ", e.what()}));
    }
  };

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EINPROGRESS && errno != EINTR)
      throw RedisTransportError(cat({where, ": connect: ", std::strerror(errno)}));
    if (!wait_for(POLLOUT)) throw RedisTransportError(cat({where, ": connect timed out"}));
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) throw RedisTransportError(cat({where, ": connect: ", std::strerror(err)}));
  }

  const std::string wire = encode_command(args);
  std::size_t sent = 0;
  while (sent < wire.size()) {
    const ssize_t n = ::send(fd, wire.data() + sent, wire.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (!wait_for(POLLOUT)) throw RedisTransportError(cat({where, ": send timed out"}));
    } else {
      throw RedisTransportError(cat({where, ": send: ", std::strerror(errno)}));
    }
  }

  // Read what is there, try to parse once enough has come (see parse_reply's `needed`), wait for more.
  std::string buf;
  std::size_t needed = 1;
  for (;;) {
    bool eof = false;
    for (;;) {
      char chunk[65536];
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n > 0) {
        buf.append(chunk, static_cast<std::size_t>(n));
        if (std::chrono::steady_clock::now() >= deadline) break;
      } else if (n == 0) {
        eof = true;
        break;
      } else if (errno == EINTR) {
        continue;
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        break;
      } else {
        throw RedisTransportError(cat({where, ": recv: ", std::strerror(errno)}));
      }
    }
    if (buf.size() >= needed) {
      std::size_t pos = 0;
      std::optional<RespValue> reply;
      try {
        reply = parse_reply(buf, pos, needed);
      } catch (const RedisTransportError& e) {
        throw RedisTransportError(cat({where, ": ", e.what()}));
      }
      if (reply) return std::move(*reply);
    }
    if (eof)
      throw RedisTransportError(cat({where, ": connection closed after ", std::to_string(buf.size()),
                                     " bytes, before a complete reply"}));
    if (!wait_for(POLLIN))
      throw RedisTransportError(cat({where, ": no complete reply within ", std::to_string(timeout.count()),
                                     " ms (", std::to_string(buf.size()), " bytes so far)"}));
  }
}

// The value of `key` in an INFO reply ("key:value" lines), or nullopt.
inline std::optional<std::string> info_field(const std::string& info, std::string_view key) {
  std::size_t pos = 0;
  while (pos < info.size()) {
    std::size_t end = info.find('\n', pos);
    if (end == std::string::npos) end = info.size();
    std::string_view line(info.data() + pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > key.size() && line.compare(0, key.size(), key) == 0 && line[key.size()] == ':')
      return std::string(line.substr(key.size() + 1));
    pos = end + 1;
  }
  return std::nullopt;
}

// A new directory under the system's temporary directory.
inline std::string make_temp_dir(const std::string& prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr)
    throw std::runtime_error(cat({"RedisServer: mkdtemp ", tmpl, ": ", std::strerror(errno)}));
  return tmpl;
}

// The bytes of `path` from `offset` on ("" when it is shorter or missing).
inline std::string slurp_from(const std::string& path, std::uintmax_t offset) {
  const std::string all = ws_peer_detail::slurp(path);
  return offset < all.size() ? all.substr(static_cast<std::size_t>(offset)) : std::string();
}

inline std::uintmax_t size_of(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

}  // namespace redis_peer_detail

// One running redis-server on 127.0.0.1 (see the top of this file). The constructor returns once it
// is ready, or throws std::runtime_error with the command line and the tail of its log (in a
// GoogleTest test body that fails the test with that text). Not thread-safe: use it from one thread
// (command() and xrange_values() only read the port and may run concurrently with each other).
class RedisServer {
 public:
  static constexpr int kMaxAttempts = 5;  // new ports tried when the chosen one was taken meanwhile
  static constexpr std::chrono::milliseconds kRestartBindWindow{5000};  // restart(): retrying the same port

  explicit RedisServer(std::chrono::milliseconds ready_timeout = std::chrono::seconds(10))
      : ready_timeout_(ready_timeout) {
    work_dir_ = redis_peer_detail::make_temp_dir("tickpipe-redis");
    log_path_ = prom_peer_detail::cat({work_dir_, "/redis.log"});
    stderr_path_ = prom_peer_detail::cat({work_dir_, "/redis.stderr"});
    try {
      program_ = ws_peer_detail::find_program("redis-server");
      start_on_new_port();
    } catch (...) {
      stop(std::chrono::milliseconds(0));  // a destructor does not run for a constructor that throws
      remove_work_dir();
      throw;
    }
  }

  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  ~RedisServer() {
    stop();
    remove_work_dir();
  }

  int port() const { return port_; }
  // The process last started (still this number after it ended).
  pid_t pid() const { return pid_; }
  // redis://127.0.0.1:N/db
  std::string url(int db = 0) const {
    return prom_peer_detail::cat({"redis://127.0.0.1:", std::to_string(port_), "/", std::to_string(db)});
  }
  const std::string& work_dir() const { return work_dir_; }
  // The last command line, for messages (the empty argument shown as "").
  const std::string& command_line() const { return command_; }
  const std::string& log_path() const { return log_path_; }
  // Redis's log over all starts (--loglevel notice).
  std::string log_text() const { return ws_peer_detail::slurp(log_path_); }

  // True while the process started last has not been seen to end (reaps it if it has).
  bool running() const { return pid_ > 0 && !try_reap(false); }

  // SIGTERM, up to `grace` for it to exit, then SIGKILL; reaps it. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(5)) {
    if (reaped_ || pid_ <= 0) return;
    ws_peer_detail::terminate_child(pid_, grace, [this](bool block) { return try_reap(block); });
  }

  // A crash: SIGKILL at once, reaped. Nothing to do when it has already ended.
  void kill() { stop(std::chrono::milliseconds(0)); }

  // Starts Redis again on the same port (stopping it first if it still runs), in the same work
  // directory; it starts empty (no persistence). While the port is taken (by a socket the old process
  // left, or by someone else) it retries for up to kRestartBindWindow; each start waits up to the
  // constructor's ready_timeout. Throws like the constructor.
  void restart() {
    stop();
    const auto bind_deadline = std::chrono::steady_clock::now() + kRestartBindWindow;
    std::string earlier;
    for (;;) {
      const Attempt a = attempt(port_);
      if (a.outcome == Outcome::kReady) return;
      if (a.port_taken && std::chrono::steady_clock::now() < bind_deadline) {
        if (earlier.empty()) earlier = prom_peer_detail::cat({"port ", std::to_string(port_), " was taken; "});
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      fail(a, earlier);
    }
  }

  // One command (e.g. {"XADD", "s", "0-1", "f", "v"}) on a fresh connection; the reply rendered as
  // text (see the top of this file). Throws RedisReplyError (a std::runtime_error, "redis: ERR ...")
  // for an error reply and RedisTransportError (also one) when Redis cannot be reached or does not
  // answer within `timeout` (e.g. "...: connect: Connection refused" after kill()).
  std::string command(const std::vector<std::string>& args,
                      std::chrono::milliseconds timeout = std::chrono::seconds(2)) const {
    return redis_peer_detail::render(redis_peer_detail::request(port_, args, timeout));
  }

  // XRANGE stream - +: the value of `field` in each entry, in stream order ({} for a missing key).
  // An entry without `field` throws std::runtime_error naming its ID (so a comparison with a file
  // never silently shifts); when an entry has `field` more than once, the first counts. Errors as in
  // command().
  std::vector<std::string> xrange_values(const std::string& stream, const std::string& field,
                                         std::chrono::milliseconds timeout = std::chrono::seconds(5)) const {
    using prom_peer_detail::cat;
    using Type = redis_peer_detail::RespValue::Type;
    const auto reply = redis_peer_detail::request(port_, {"XRANGE", stream, "-", "+"}, timeout);
    if (reply.type == Type::kError) throw RedisReplyError(cat({"redis: ", reply.str}));
    const std::string what = cat({"redis: XRANGE ", stream, " - +: "});
    if (reply.type != Type::kArray) throw RedisTransportError(cat({what, "the reply is not an array"}));
    std::vector<std::string> values;
    values.reserve(reply.elems.size());
    for (const auto& entry : reply.elems) {
      if (entry.type != Type::kArray || entry.elems.size() != 2 || entry.elems[0].type != Type::kBulk ||
          entry.elems[1].type != Type::kArray || entry.elems[1].elems.size() % 2 != 0) {
        std::string shown;
        redis_peer_detail::append_element(shown, entry);
        throw RedisTransportError(cat({what, "an entry is not [id, [field, value, ...]]: ", shown}));
      }
      const std::string& id = entry.elems[0].str;
      const auto& pairs = entry.elems[1].elems;
      const std::string* value = nullptr;
      for (std::size_t i = 0; i + 1 < pairs.size(); i += 2) {
        if (pairs[i].type != Type::kBulk || pairs[i + 1].type != Type::kBulk)
          throw RedisTransportError(cat({what, "entry ", id, " has a field or value that is not a bulk string"}));
        if (pairs[i].str == field) {
          value = &pairs[i + 1].str;
          break;
        }
      }
      if (value == nullptr) throw std::runtime_error(cat({what, "entry ", id, " has no field '", field, "'"}));
      values.push_back(*value);
    }
    return values;
  }

 private:
  enum class Outcome { kReady, kExited, kTimeout };
  struct Attempt {
    Outcome outcome = Outcome::kTimeout;
    bool port_taken = false;  // it exited saying the address is in use
    std::string said;         // its log and stderr from this attempt
  };

  void start_on_new_port() {
    std::string earlier;  // what the attempts that lost their port said
    for (int attempt_no = 1;; ++attempt_no) {
      const Attempt a = attempt(prom_peer_detail::pick_free_port());
      if (a.outcome == Outcome::kReady) return;
      if (a.port_taken && attempt_no < kMaxAttempts) {
        earlier.append(prom_peer_detail::cat({"port ", std::to_string(port_), " was taken; "}));
        continue;
      }
      fail(a, earlier);
    }
  }

  // Starts redis-server on `port` and waits until it is ready, has exited, or ready_timeout passed
  // (then it is stopped).
  Attempt attempt(int port) {
    using prom_peer_detail::cat;
    port_ = port;
    const std::vector<std::string> argv{program_,    "--bind",          "127.0.0.1", "--port",
                                        std::to_string(port_),          "--save",    "",
                                        "--appendonly", "no",           "--dir",     work_dir_,
                                        "--daemonize", "no",            "--protected-mode", "yes",
                                        "--logfile",   log_path_,       "--loglevel", "notice"};
    std::vector<std::string> shown(argv);  // the command line for messages, `--save ""` visible
    for (auto& a : shown)
      if (a.empty()) a = "\"\"";
    command_ = ws_peer_detail::join_args(shown);
    const auto log_offset = redis_peer_detail::size_of(log_path_);
    const auto stderr_offset = redis_peer_detail::size_of(stderr_path_);
    const int out_fd = ::open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out_fd < 0)
      throw std::runtime_error(cat({"RedisServer: cannot open ", stderr_path_, ": ", std::strerror(errno)}));
    try {
      pid_ = ws_peer_detail::spawn(argv, prom_peer_detail::environment(), out_fd, out_fd);
    } catch (...) {
      ::close(out_fd);
      throw;
    }
    ::close(out_fd);
    reaped_ = false;
    exit_status_ = 0;

    Attempt a;
    a.outcome = wait_ready(std::chrono::steady_clock::now() + ready_timeout_);
    if (a.outcome == Outcome::kReady) return a;
    if (a.outcome == Outcome::kTimeout) stop(std::chrono::milliseconds(500));
    const std::string log = redis_peer_detail::slurp_from(log_path_, log_offset);
    const std::string err = redis_peer_detail::slurp_from(stderr_path_, stderr_offset);
    a.port_taken = a.outcome == Outcome::kExited && (log.find("Address already in use") != std::string::npos ||
                                                     err.find("Address already in use") != std::string::npos);
    a.said = log.empty() ? std::string("(nothing)") : prom_peer_detail::tail(log);
    if (!err.empty()) a.said.append(cat({"\n(its stdout/stderr:)\n", prom_peer_detail::tail(err)}));
    return a;
  }

  [[noreturn]] void fail(const Attempt& a, const std::string& earlier) const {
    using prom_peer_detail::cat;
    std::string why;
    if (a.outcome == Outcome::kExited) {
      why = cat({"it ", ws_peer_detail::describe_status(exit_status_), " before it was ready"});
    } else {
      why = cat({"no +PONG and INFO process_id:", std::to_string(pid_), " on 127.0.0.1:", std::to_string(port_),
                 " within ", std::to_string(ready_timeout_.count()), " ms"});
    }
    throw std::runtime_error(cat({"redis-server did not start (", command_, "): ", earlier, why, "; the tail of ",
                                  log_path_, ":\n", a.said}));
  }

  // Polls PING, then INFO server, until this process answers both, it exits, or the deadline passes.
  Outcome wait_ready(std::chrono::steady_clock::time_point deadline) {
    using Type = redis_peer_detail::RespValue::Type;
    const std::string expected_pid = std::to_string(pid_);
    for (;;) {
      if (try_reap(false)) return Outcome::kExited;
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return Outcome::kTimeout;
      const auto per_request = std::min<std::chrono::milliseconds>(left, std::chrono::milliseconds(500));
      try {
        const auto pong = redis_peer_detail::request(port_, {"PING"}, per_request);
        if (pong.type == Type::kSimple && pong.str == "PONG") {
          const auto info = redis_peer_detail::request(port_, {"INFO", "server"}, per_request);
          if (info.type == Type::kBulk && redis_peer_detail::info_field(info.str, "process_id") == expected_pid)
            return try_reap(false) ? Outcome::kExited : Outcome::kReady;
        }
      } catch (const RedisTransportError&) {
        // not listening yet (or someone else's server that does not speak RESP)
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  // Reaps the child (waiting for it when `block`, else only if it has ended); true once reaped.
  bool try_reap(bool block) const {
    if (reaped_) return true;
    int status = 0;
    bool here = false;
    if (!ws_peer_detail::reap_child(pid_, block, status, here)) return false;
    if (here) exit_status_ = status;
    reaped_ = true;
    return true;
  }

  void remove_work_dir() noexcept {
    std::error_code ec;
    if (!work_dir_.empty()) std::filesystem::remove_all(work_dir_, ec);
  }

  std::chrono::milliseconds ready_timeout_;
  std::string program_;
  std::string work_dir_;
  std::string log_path_;
  std::string stderr_path_;
  std::string command_;
  int port_ = 0;
  pid_t pid_ = -1;
  mutable bool reaped_ = true;
  mutable int exit_status_ = 0;
};

}  // namespace tp::testing
