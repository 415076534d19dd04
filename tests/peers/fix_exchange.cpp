// fix_exchange: a small scripted FIX 4.4 exchange (acceptor) for the FIX order-entry tests, built on
// QuickFIX's real session layer (Debian libquickfix-dev 1.15.1). Options, behaviour, log format and
// faults: tests/peers/README.md.
//
// QuickFIX's SocketAcceptor binds 0.0.0.0 on a fixed port, so it is not used: this program listens on
// 127.0.0.1 itself (port 0: the kernel picks), accepts connections in a poll() loop and drives one
// FIX::Session (made by FIX::SessionFactory from SessionSettings built here, FIX::FileStoreFactory on
// --store-dir) exactly as QuickFIX's own SocketConnection does: bytes from the socket go through
// FIX::Parser into Session::next(message, now), Session::next() runs every 100 ms for heartbeats and
// timeouts, and the session writes through a FIX::Responder (the connection) of ours.
//
// C++14 on purpose: QuickFIX 1.15.1's headers use dynamic exception specifications (throw(...)), which
// C++17 removed. The Application callbacks are overridden noexcept (a stricter specification).

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <quickfix/Application.h>
#include <quickfix/FileLog.h>
#include <quickfix/FileStore.h>
#include <quickfix/Message.h>
#include <quickfix/Parser.h>
#include <quickfix/Responder.h>
#include <quickfix/Session.h>
#include <quickfix/SessionFactory.h>
#include <quickfix/SessionID.h>
#include <quickfix/SessionSettings.h>

#ifndef TP_SOURCE_DIR
#error "fix_exchange needs TP_SOURCE_DIR (the repository root) for its default --dictionary"
#endif

namespace {

const char kSoh = '\001';

volatile sig_atomic_t g_signals = 0;  // SIGTERM/SIGINT received so far

extern "C" void on_stop_signal(int) { g_signals = g_signals + 1; }

std::string g_prog = "fix_exchange";

void note(const std::string& text) {
  std::string line = g_prog;
  line.append(": ");
  line.append(text);
  line.push_back('\n');
  (void)!::write(2, line.data(), line.size());
}

long long now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

long long now_us() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

double mono_s() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// "YYYYMMDD-HH:MM:SS.sss" (UTCTimestamp with milliseconds).
std::string utc_timestamp() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  std::tm tm{};
  time_t secs = ts.tv_sec;
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d-%02d:%02d:%02d.%03ld", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long>(ts.tv_nsec / 1000000));
  return buf;
}

// ---------------------------------------------------------------------------------------------------
// Exact decimals (quantities, prices, commissions): mantissa * 10^-scale, never a double.

struct Dec {
  __int128 m = 0;
  int scale = 0;
};

bool parse_dec(const std::string& s, Dec& out) {
  Dec d;
  bool dot = false;
  int digits = 0;
  for (char c : s) {
    if (c == '.') {
      if (dot) return false;
      dot = true;
      continue;
    }
    if (c < '0' || c > '9') return false;
    if (++digits > 30) return false;
    d.m = d.m * 10 + (c - '0');
    if (dot) ++d.scale;
  }
  if (digits == 0) return false;
  out = d;
  return true;
}

__int128 pow10_i128(int n) {
  __int128 p = 1;
  for (int i = 0; i < n; ++i) p *= 10;
  return p;
}

Dec rescale(const Dec& d, int scale) {
  Dec r = d;
  if (scale > d.scale) {
    r.m = d.m * pow10_i128(scale - d.scale);
    r.scale = scale;
  }
  return r;
}

// Decimal text without trailing zeros ("0.050" -> "0.05", "0.00" -> "0").
std::string fmt_dec(const Dec& d) {
  __int128 m = d.m;
  int scale = d.scale;
  bool neg = m < 0;
  if (neg) m = -m;
  while (scale > 0 && m % 10 == 0) {
    m /= 10;
    --scale;
  }
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(m % 10)));
    m /= 10;
  } while (m != 0);
  if (scale > 0) {
    while (static_cast<int>(digits.size()) <= scale) digits.insert(digits.begin(), '0');
    digits.insert(digits.end() - scale, '.');
  }
  if (neg) digits.insert(digits.begin(), '-');
  return digits;
}

Dec dec_add(const Dec& a, const Dec& b) {
  const int s = a.scale > b.scale ? a.scale : b.scale;
  Dec r = rescale(a, s);
  r.m += rescale(b, s).m;
  return r;
}

Dec dec_sub(const Dec& a, const Dec& b) {
  const int s = a.scale > b.scale ? a.scale : b.scale;
  Dec r = rescale(a, s);
  r.m -= rescale(b, s).m;
  return r;
}

// qty * px * bps / 10000, rounded half up to 8 decimals.
std::string commission(const std::string& qty, const std::string& px, const Dec& bps) {
  Dec q, p;
  if (!parse_dec(qty, q) || !parse_dec(px, p)) return "0";
  __int128 m = 0;
  if (!__builtin_mul_overflow(q.m, p.m, &m) && !__builtin_mul_overflow(m, bps.m, &m)) {
    int scale = q.scale + p.scale + bps.scale + 4;
    if (scale > 8) {
      const __int128 div = pow10_i128(scale - 8);
      m = (m + div / 2) / div;
      scale = 8;
    }
    Dec r;
    r.m = m;
    r.scale = scale;
    return fmt_dec(r);
  }
  // Absurdly large values: long double is good enough for a test exchange.
  const long double v = std::strtold(qty.c_str(), nullptr) * std::strtold(px.c_str(), nullptr) *
                        (static_cast<long double>(bps.m) / static_cast<long double>(pow10_i128(bps.scale))) / 10000.0L;
  char buf[128];
  std::snprintf(buf, sizeof buf, "%.8Lf", v);
  Dec r;
  parse_dec(buf, r);
  return fmt_dec(r);
}

// ---------------------------------------------------------------------------------------------------
// JSON lines

std::string json_str(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out.append(buf);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
  return out;
}

class JsonLog {
 public:
  bool open(const std::string& path) {
    f_ = std::fopen(path.c_str(), "a");
    return f_ != nullptr;
  }
  ~JsonLog() {
    if (f_ != nullptr) std::fclose(f_);
  }
  // `body`: the members after "t", each starting with a comma.
  void write(const std::string& body) {
    if (f_ == nullptr) return;
    std::string line = "{\"t\":";
    line.append(std::to_string(now_ms()));
    line.append(body);
    line.append("}\n");
    std::fwrite(line.data(), 1, line.size(), f_);
    std::fflush(f_);
  }
  void event(const std::string& name, const std::string& extra = "") {
    std::string body = ",\"event\":";
    body.append(json_str(name));
    body.append(extra);
    write(body);
  }

 private:
  std::FILE* f_ = nullptr;
};

// Splits a FIX message into (tag, value) pairs (first occurrence of each tag kept).
std::map<int, std::string> split_fix(const std::string& raw) {
  std::map<int, std::string> fields;
  std::size_t pos = 0;
  while (pos < raw.size()) {
    std::size_t soh = raw.find(kSoh, pos);
    if (soh == std::string::npos) soh = raw.size();
    const std::size_t eq = raw.find('=', pos);
    if (eq != std::string::npos && eq < soh) {
      const int tag = std::atoi(raw.substr(pos, eq - pos).c_str());
      if (tag > 0 && fields.find(tag) == fields.end()) fields[tag] = raw.substr(eq + 1, soh - eq - 1);
    }
    pos = soh + 1;
  }
  return fields;
}

bool is_admin_type(const std::string& t) {
  return t == "0" || t == "1" || t == "2" || t == "3" || t == "4" || t == "5" || t == "A";
}

// The JSON line of one message: dir, type, seq, possdup, then the fields of its type (null when absent).
std::string message_json(const char* dir, const std::string& raw, bool silenced) {
  const std::map<int, std::string> f = split_fix(raw);
  auto val = [&](int tag) -> std::string {
    auto it = f.find(tag);
    return it == f.end() ? std::string("null") : json_str(it->second);
  };
  const auto type_it = f.find(35);
  const std::string type = type_it == f.end() ? std::string() : type_it->second;
  std::string body = ",\"dir\":\"";
  body.append(dir);
  body.append("\",\"type\":");
  body.append(json_str(type));
  body.append(",\"seq\":");
  const auto seq_it = f.find(34);
  body.append(seq_it == f.end() ? std::string("null") : std::to_string(std::atol(seq_it->second.c_str())));
  const auto pd = f.find(43);
  body.append(",\"possdup\":");
  body.append(pd != f.end() && pd->second == "Y" ? "true" : "false");
  std::vector<std::pair<const char*, int>> keys;
  if (type == "D") {
    keys = {{"clordid", 11}, {"side", 54}, {"qty", 38}, {"ordtype", 40}, {"price", 44}, {"symbol", 55}, {"tif", 59}};
  } else if (type == "F") {
    keys = {{"clordid", 11}, {"origclordid", 41}, {"side", 54}, {"symbol", 55}};
  } else if (type == "H") {
    keys = {{"clordid", 11}, {"side", 54}, {"symbol", 55}};
  } else if (type == "8") {
    keys = {{"exectype", 150},  {"ordstatus", 39}, {"clordid", 11},     {"origclordid", 41}, {"orderid", 37},
            {"execid", 17},     {"side", 54},      {"symbol", 55},      {"qty", 38},         {"lastqty", 32},
            {"lastpx", 31},     {"commission", 12}, {"cumqty", 14},     {"leavesqty", 151},  {"avgpx", 6},
            {"text", 58}};
  } else if (type == "9") {
    keys = {{"clordid", 11}, {"origclordid", 41}, {"orderid", 37}, {"ordstatus", 39}, {"cxlrejreason", 102},
            {"text", 58}};
  } else if (type == "3") {
    keys = {{"refseqnum", 45}, {"reftagid", 371}, {"refmsgtype", 372}, {"reason", 373}, {"text", 58}};
  } else if (type == "j") {
    keys = {{"refseqnum", 45}, {"refmsgtype", 372}, {"reason", 380}, {"text", 58}};
  } else if (type == "5") {
    keys = {{"text", 58}};
  } else if (type == "4") {
    keys = {{"newseqno", 36}, {"gapfill", 123}};
  } else if (type == "2") {
    keys = {{"beginseqno", 7}, {"endseqno", 16}};
  } else if (type == "0" || type == "1") {
    keys = {{"testreqid", 112}};
  } else if (type == "A") {
    keys = {{"heartbtint", 108}, {"resetseqnumflag", 141}};
  }
  for (const auto& k : keys) {
    body.append(",\"");
    body.append(k.first);
    body.append("\":");
    body.append(val(k.second));
  }
  if (silenced) body.append(",\"silenced\":true");
  return body;
}

// Recomputes BodyLength (9) and CheckSum (10) of a message whose body was edited; `length_delta` is
// added to the true BodyLength (bad_length), `checksum_delta` to the true CheckSum (bad_checksum).
std::string reframe(const std::string& raw, int length_delta, int checksum_delta) {
  // raw = "8=FIX.4.4<SOH>9=N<SOH>" body "10=XXX<SOH>"
  const std::size_t len_start = raw.find("\0019=");
  const std::size_t body_start = raw.find(kSoh, len_start + 1) + 1;
  const std::size_t ck_start = raw.rfind("\00110=") + 1;
  const std::string head = raw.substr(0, len_start + 1);
  const std::string body = raw.substr(body_start, ck_start - body_start);
  std::string out = head;
  out.append("9=");
  out.append(std::to_string(static_cast<long>(body.size()) + length_delta));
  out.push_back(kSoh);
  out.append(body);
  unsigned sum = 0;
  for (unsigned char c : out) sum += c;
  const unsigned ck = (sum + static_cast<unsigned>(256 + checksum_delta)) % 256;
  char buf[8];
  std::snprintf(buf, sizeof buf, "10=%03u", ck);
  out.append(buf);
  out.push_back(kSoh);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Command line

enum class FillMode { kFull, kPartial, kReject, kNone, kCancel };
enum class Fault { kNone, kDrop, kGapOut, kSeqTooLow, kBadChecksum, kBadLength, kSilent, kLogout, kExit };

struct Options {
  std::string store_dir;
  std::string log_path;
  std::string sender = "EXECUTOR";
  std::string target = "CLIENT1";
  std::string price;  // market orders' fill price; empty: market orders are rejected
  FillMode fill = FillMode::kFull;
  int partial_n = 1;
  bool commission = false;
  Dec commission_bps;
  std::string commission_bps_text;
  Fault fault = Fault::kNone;
  std::string fault_name;
  long fault_after = 0;
  int port = 0;
  long max_seconds = 300;
  std::string dictionary = std::string(TP_SOURCE_DIR) + "/tests/data/fix/FIX44.xml";
  std::string quickfix_log;
};

const char kUsage[] =
    "usage: fix_exchange --store-dir DIR [options]\n"
    "  --store-dir DIR          QuickFIX FileStore (sequence numbers, sent messages) and the order book;\n"
    "                           keep it to continue the session after a restart (required)\n"
    "  --log FILE               append one JSON line per message and session event\n"
    "  --sender ID              SenderCompID of the exchange (default EXECUTOR)\n"
    "  --target ID              TargetCompID, the client (default CLIENT1)\n"
    "  --price P                fill price of market orders (limit orders fill at their Price)\n"
    "  --fill MODE              full | partial:N | reject | none | cancel (default full)\n"
    "  --commission-bps B       Commission (12) = LastQty*LastPx*B/10000, CommType (13) = 3, on every Trade\n"
    "  --fault NAME             drop | gap_out | seq_too_low | bad_checksum | bad_length | silent | logout | exit\n"
    "  --fault-after K          application messages received before the fault fires (default 0: at logon)\n"
    "  --port N                 listen on 127.0.0.1:N (default 0: the kernel picks)\n"
    "  --max-seconds N          exit 0 after N seconds (default 300; 0: no limit)\n"
    "  --dictionary FILE        FIX 4.4 data dictionary (default tests/data/fix/FIX44.xml)\n"
    "  --quickfix-log DIR       QuickFIX's own FileLog (messages and events) in DIR\n"
    "  -h, --help               this text\n"
    "stdout: one line {\"port\":N} once listening. Details: tests/peers/README.md\n";

[[noreturn]] void usage_error(const std::string& what) {
  note(what);
  (void)!::write(2, kUsage, sizeof kUsage - 1);
  std::exit(2);
}

bool parse_long(const std::string& s, long& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (errno != 0 || end == nullptr || *end != '\0') return false;
  out = v;
  return true;
}

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      (void)!::write(1, kUsage, sizeof kUsage - 1);
      std::exit(0);
    }
    if (i + 1 >= argc) usage_error("option " + a + " needs a value");
    const std::string v = argv[++i];
    long n = 0;
    if (a == "--store-dir") {
      o.store_dir = v;
    } else if (a == "--log") {
      o.log_path = v;
    } else if (a == "--sender") {
      o.sender = v;
    } else if (a == "--target") {
      o.target = v;
    } else if (a == "--price") {
      Dec d;
      if (!parse_dec(v, d) || d.m <= 0) usage_error("--price: not a positive decimal: " + v);
      o.price = v;
    } else if (a == "--fill") {
      if (v == "full") {
        o.fill = FillMode::kFull;
      } else if (v == "reject") {
        o.fill = FillMode::kReject;
      } else if (v == "none") {
        o.fill = FillMode::kNone;
      } else if (v == "cancel") {
        o.fill = FillMode::kCancel;
      } else if (v.compare(0, 8, "partial:") == 0 && parse_long(v.substr(8), n) && n >= 1 && n <= 1000) {
        o.fill = FillMode::kPartial;
        o.partial_n = static_cast<int>(n);
      } else {
        usage_error("--fill: expected full, partial:N (1..1000), reject, none or cancel, got " + v);
      }
    } else if (a == "--commission-bps") {
      if (!parse_dec(v, o.commission_bps)) usage_error("--commission-bps: not a non-negative decimal: " + v);
      o.commission = true;
      o.commission_bps_text = v;
    } else if (a == "--fault") {
      static const std::pair<const char*, Fault> names[] = {
          {"drop", Fault::kDrop},           {"gap_out", Fault::kGapOut},       {"seq_too_low", Fault::kSeqTooLow},
          {"bad_checksum", Fault::kBadChecksum}, {"bad_length", Fault::kBadLength}, {"silent", Fault::kSilent},
          {"logout", Fault::kLogout},       {"exit", Fault::kExit},            {"none", Fault::kNone}};
      bool found = false;
      for (const auto& p : names) {
        if (v == p.first) {
          o.fault = p.second;
          found = true;
        }
      }
      if (!found) usage_error("--fault: unknown fault " + v);
      o.fault_name = v;
    } else if (a == "--fault-after") {
      if (!parse_long(v, n) || n < 0) usage_error("--fault-after: not a count: " + v);
      o.fault_after = n;
    } else if (a == "--port") {
      if (!parse_long(v, n) || n < 0 || n > 65535) usage_error("--port: not a port: " + v);
      o.port = static_cast<int>(n);
    } else if (a == "--max-seconds") {
      if (!parse_long(v, n) || n < 0) usage_error("--max-seconds: not a number of seconds: " + v);
      o.max_seconds = n;
    } else if (a == "--dictionary") {
      o.dictionary = v;
    } else if (a == "--quickfix-log") {
      o.quickfix_log = v;
    } else {
      usage_error("unknown option " + a);
    }
  }
  if (o.store_dir.empty()) usage_error("--store-dir is required");
  if (o.sender.empty() || o.target.empty()) usage_error("--sender and --target must not be empty");
  return o;
}

bool mkdir_p(const std::string& path) {
  std::string cur;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    std::size_t slash = path.find('/', pos);
    if (slash == std::string::npos) slash = path.size();
    cur = path.substr(0, slash);
    if (!cur.empty() && ::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST) return false;
    pos = slash + 1;
  }
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// ---------------------------------------------------------------------------------------------------
// The order book, persisted in <store-dir>/fix_exchange.orders (one tab-separated line per change;
// the last line of a ClOrdID wins) so that an exchange restarted on the same store still knows its
// orders for OrderStatusRequest and OrderCancelRequest.

struct Order {
  std::string clordid, orderid, symbol, side, ordtype, price, qty, tif;
  Dec qty_dec;
  Dec cum;
  std::string fill_px;  // price of the fills ("" before any)
  char status = '0';    // OrdStatus
};

class OrderBook {
 public:
  explicit OrderBook(std::string path) : path_(std::move(path)) {}

  void load() {
    std::ifstream in(path_);
    std::string line;
    while (std::getline(in, line)) {
      std::vector<std::string> f;
      std::size_t pos = 0;
      for (;;) {
        const std::size_t tab = line.find('\t', pos);
        f.push_back(line.substr(pos, tab == std::string::npos ? std::string::npos : tab - pos));
        if (tab == std::string::npos) break;
        pos = tab + 1;
      }
      if (f.size() != 11 || f[8].size() != 1) continue;
      Order o;
      o.clordid = f[0];
      o.orderid = f[1];
      o.symbol = f[2];
      o.side = f[3];
      o.ordtype = f[4];
      o.price = f[5];
      o.qty = f[6];
      if (!parse_dec(o.qty, o.qty_dec) || !parse_dec(f[7], o.cum)) continue;
      o.status = f[8][0];
      o.fill_px = f[9];
      o.tif = f[10];
      orders_[o.clordid] = o;
    }
  }

  Order* find(const std::string& clordid) {
    auto it = orders_.find(clordid);
    return it == orders_.end() ? nullptr : &it->second;
  }

  Order& add(const Order& o) { return orders_[o.clordid] = o; }

  void persist(const Order& o) {
    std::ofstream out(path_, std::ios::app);
    out << o.clordid << '\t' << o.orderid << '\t' << o.symbol << '\t' << o.side << '\t' << o.ordtype << '\t' << o.price
        << '\t' << o.qty << '\t' << fmt_dec(o.cum) << '\t' << o.status << '\t' << o.fill_px << '\t' << o.tif << '\n';
  }

  std::size_t size() const { return orders_.size(); }

 private:
  std::string path_;
  std::map<std::string, Order> orders_;
};

// ---------------------------------------------------------------------------------------------------
// The exchange: connections, the session, the application.

class Exchange;

// One accepted TCP connection; the session's Responder while it owns the session.
class Conn : public FIX::Responder {
 public:
  Conn(Exchange& ex, int fd, int id) : ex_(ex), fd(fd), id(id), accepted_at(mono_s()) {}
  bool send(const std::string& msg) override;
  void disconnect() override { closing = true; }

  // Non-blocking write of what is queued; false when the socket failed.
  bool flush();
  // Writes what is queued, waiting up to `timeout_s`.
  void flush_blocking(double timeout_s);
  // Queues bytes that bypass the session (faults) and writes what it can.
  void write_raw(const std::string& bytes) {
    out.append(bytes);
    if (!flush()) closing = true;
  }

  Exchange& ex_;
  int fd;
  int id;
  double accepted_at;
  FIX::Parser parser;
  std::string out;           // bytes not yet written
  std::string last_sent;     // the last message the session sent
  bool owner = false;        // the session's responder
  bool closing = false;      // close at the end of this loop turn
  bool peer_closed = false;  // read EOF / error
  bool silenced = false;     // fault `silent`: swallow everything the session sends
  Fault garble = Fault::kNone;  // bad_checksum / bad_length armed: garble a copy of the next message
};

class Exchange : public FIX::Application {
 public:
  explicit Exchange(const Options& o)
      : opt(o), book(o.store_dir + "/fix_exchange.orders"), id_prefix_(std::to_string(now_us())) {}

  // --- FIX::Application (noexcept: stricter than QuickFIX's dynamic exception specifications) ---
  void onCreate(const FIX::SessionID&) noexcept override {}
  void onLogon(const FIX::SessionID&) noexcept override {
    log.event("logon", std::string(",\"conn\":") + std::to_string(owner_id()));
    note("logon");
  }
  void onLogout(const FIX::SessionID&) noexcept override {
    log.event("logout", std::string(",\"conn\":") + std::to_string(owner_id()));
    note("logout");
  }
  void toAdmin(FIX::Message&, const FIX::SessionID&) noexcept override {}
  void toApp(FIX::Message&, const FIX::SessionID&) noexcept override {}
  void fromAdmin(const FIX::Message& m, const FIX::SessionID&) noexcept override {
    try {
      log.write(message_json("in", m.toString(), false));
    } catch (const std::exception& e) {
      note(std::string("fromAdmin: ") + e.what());
    }
  }
  void fromApp(const FIX::Message& m, const FIX::SessionID&) noexcept override {
    try {
      log.write(message_json("in", m.toString(), false));
      const std::string& type = m.getHeader().getField(35);
      if (type == "D") {
        on_new_order(m);
      } else if (type == "F") {
        on_cancel(m);
      } else if (type == "H") {
        on_status(m);
      } else {
        business_reject(m, "3", "unsupported message type " + type);
      }
    } catch (const std::exception& e) {
      note(std::string("fromApp: ") + e.what());
    }
  }

  int owner_id() const {
    for (const auto& c : conns)
      if (c->owner) return c->id;
    return 0;
  }

  // --- orders ---
  static std::string field(const FIX::FieldMap& m, int tag) { return m.isSetField(tag) ? m.getField(tag) : std::string(); }

  std::string next_exec_id() { return "E" + id_prefix_ + "-" + std::to_string(++exec_counter_); }
  std::string next_order_id() { return "O" + id_prefix_ + "-" + std::to_string(++order_counter_); }

  struct Extra {
    std::string last_qty, last_px, text, orig_clordid, ord_rej_reason, ord_status_req_id;
  };

  void send_er(const Order& o, const std::string& clordid, char exec_type, const Extra& x) {
    FIX::Message m;
    m.getHeader().setField(35, "8");
    m.setField(37, o.orderid.empty() ? "NONE" : o.orderid);
    m.setField(11, clordid);
    if (!x.orig_clordid.empty()) m.setField(41, x.orig_clordid);
    m.setField(17, next_exec_id());
    m.setField(150, std::string(1, exec_type));
    m.setField(39, std::string(1, o.status));
    if (!o.symbol.empty()) m.setField(55, o.symbol);
    if (!o.side.empty()) m.setField(54, o.side);
    if (!o.qty.empty()) m.setField(38, o.qty);
    if (!o.ordtype.empty()) m.setField(40, o.ordtype);
    if (!o.price.empty() && o.ordtype == "2") m.setField(44, o.price);
    if (!o.tif.empty()) m.setField(59, o.tif);
    if (!x.last_qty.empty()) {
      m.setField(32, x.last_qty);
      m.setField(31, x.last_px);
      if (opt.commission) {
        m.setField(12, commission(x.last_qty, x.last_px, opt.commission_bps));
        m.setField(13, "3");
      }
    }
    Dec leaves = dec_sub(o.qty_dec, o.cum);
    if (o.status == '2' || o.status == '4' || o.status == '8' || leaves.m < 0) leaves = Dec();
    m.setField(151, fmt_dec(leaves));
    m.setField(14, fmt_dec(o.cum));
    m.setField(6, o.cum.m > 0 && !o.fill_px.empty() ? o.fill_px : std::string("0"));
    m.setField(60, utc_timestamp());
    if (!x.ord_rej_reason.empty()) m.setField(103, x.ord_rej_reason);
    if (!x.ord_status_req_id.empty()) m.setField(790, x.ord_status_req_id);
    if (!x.text.empty()) m.setField(58, x.text);
    session->send(m);
  }

  void reject_order(Order o, const std::string& reason, const std::string& text, bool record) {
    o.status = '8';
    o.cum = Dec();
    Extra x;
    x.text = text;
    x.ord_rej_reason = reason;
    if (record) {
      book.add(o);
      book.persist(o);
    }
    send_er(o, o.clordid, '8', x);
  }

  void on_new_order(const FIX::Message& m) {
    Order o;
    o.clordid = field(m, 11);
    o.side = field(m, 54);
    o.qty = field(m, 38);
    o.ordtype = field(m, 40);
    o.price = field(m, 44);
    o.symbol = field(m, 55);
    o.tif = field(m, 59);
    if (book.find(o.clordid) != nullptr) {
      o.orderid.clear();
      Order dup = o;
      parse_dec(dup.qty, dup.qty_dec);
      reject_order(dup, "6", "duplicate ClOrdID " + o.clordid, false);
      return;
    }
    o.orderid = next_order_id();
    for (const std::string* s : {&o.clordid, &o.symbol, &o.side, &o.ordtype, &o.price, &o.qty, &o.tif}) {
      if (s->find_first_of("\t\n\r") != std::string::npos) {
        reject_order(o, "99", "tab or newline in a field", false);
        return;
      }
    }
    if (o.qty.empty() || !parse_dec(o.qty, o.qty_dec) || o.qty_dec.m <= 0) {
      reject_order(o, "13", "OrderQty must be a positive decimal", true);
      return;
    }
    std::string px;
    if (o.ordtype == "2") {
      Dec p;
      if (o.price.empty() || !parse_dec(o.price, p) || p.m <= 0) {
        reject_order(o, "99", "limit order without a positive Price", true);
        return;
      }
      px = o.price;
    } else if (o.ordtype == "1") {
      if (opt.price.empty()) {
        reject_order(o, "99", "no market price (fix_exchange runs without --price)", true);
        return;
      }
      px = opt.price;
    } else {
      reject_order(o, "11", "unsupported OrdType " + o.ordtype + " (market 1 and limit 2 only)", true);
      return;
    }
    if (opt.fill == FillMode::kReject) {
      reject_order(o, "0", "rejected by fix_exchange (--fill reject)", true);
      return;
    }
    // Split the quantity for partial:N before acknowledging, so an unsplittable one is a reject.
    std::vector<Dec> parts;
    if (opt.fill == FillMode::kFull) {
      parts.push_back(o.qty_dec);
    } else if (opt.fill == FillMode::kPartial) {
      Dec q = o.qty_dec;
      while (q.m < opt.partial_n && q.scale < 18) q = rescale(q, q.scale + 1);
      if (q.m < opt.partial_n) {
        reject_order(o, "13", "OrderQty cannot be split into " + std::to_string(opt.partial_n) + " fills", true);
        return;
      }
      const __int128 each = q.m / opt.partial_n;
      for (int i = 0; i < opt.partial_n; ++i) {
        Dec d;
        d.scale = q.scale;
        d.m = i + 1 < opt.partial_n ? each : q.m - each * (opt.partial_n - 1);
        parts.push_back(d);
      }
    }

    o.status = '0';
    Order& live = book.add(o);
    book.persist(live);
    send_er(live, live.clordid, '0', Extra());

    if (opt.fill == FillMode::kCancel) {
      live.status = '4';
      book.persist(live);
      Extra x;
      x.text = "IOC: no liquidity";
      send_er(live, live.clordid, '4', x);
      return;
    }
    for (std::size_t i = 0; i < parts.size(); ++i) {
      live.cum = dec_add(live.cum, parts[i]);
      live.fill_px = px;
      live.status = i + 1 == parts.size() ? '2' : '1';
      book.persist(live);
      Extra x;
      x.last_qty = parts.size() == 1 ? live.qty : fmt_dec(parts[i]);
      x.last_px = px;
      send_er(live, live.clordid, 'F', x);
    }
  }

  void on_cancel(const FIX::Message& m) {
    const std::string clordid = field(m, 11);
    const std::string orig = field(m, 41);
    Order* o = book.find(orig);
    if (o != nullptr && (o->status == '0' || o->status == '1')) {
      o->status = '4';
      book.persist(*o);
      Extra x;
      x.orig_clordid = orig;
      send_er(*o, clordid, '4', x);
      return;
    }
    FIX::Message r;
    r.getHeader().setField(35, "9");
    r.setField(37, o != nullptr ? o->orderid : std::string("NONE"));
    r.setField(11, clordid);
    r.setField(41, orig);
    r.setField(39, std::string(1, o != nullptr ? o->status : '8'));
    r.setField(434, "1");
    r.setField(102, o != nullptr ? "0" : "1");
    r.setField(58, o != nullptr ? std::string("too late to cancel: order is ") + status_name(o->status)
                                : std::string("unknown order"));
    session->send(r);
  }

  void on_status(const FIX::Message& m) {
    const std::string clordid = field(m, 11);
    Extra x;
    x.ord_status_req_id = field(m, 790);
    if (Order* o = book.find(clordid)) {
      send_er(*o, clordid, 'I', x);
      return;
    }
    Order unknown;
    unknown.clordid = clordid;
    unknown.side = field(m, 54);
    unknown.symbol = field(m, 55);
    unknown.status = '8';
    x.text = "unknown order";
    send_er(unknown, clordid, 'I', x);
  }

  void business_reject(const FIX::Message& m, const std::string& reason, const std::string& text) {
    FIX::Message r;
    r.getHeader().setField(35, "j");
    r.setField(45, field(m.getHeader(), 34));
    r.setField(372, field(m.getHeader(), 35));
    r.setField(380, reason);
    r.setField(58, text);
    session->send(r);
  }

  static const char* status_name(char s) {
    switch (s) {
      case '0': return "new";
      case '1': return "partially filled";
      case '2': return "filled";
      case '4': return "canceled";
      case '8': return "rejected";
      default: return "in an unknown state";
    }
  }

  // --- faults ---
  bool fault_pending() const { return opt.fault != Fault::kNone && !fault_fired; }

  void fault_event(const std::string& extra) {
    std::string body = ",\"name\":";
    body.append(json_str(opt.fault_name));
    body.append(",\"after\":");
    body.append(std::to_string(opt.fault_after));
    body.append(extra);
    log.event("fault", body);
    note("fault " + opt.fault_name + " after " + std::to_string(opt.fault_after) + " application messages");
  }

  // Faults that act before the K-th application message reaches the session (K = 0: right after the
  // logon). Returns false when the message must not be processed (drop).
  bool fire_before(Conn& c) {
    switch (opt.fault) {
      case Fault::kDrop:
        fault_fired = true;
        fault_event(",\"conn\":" + std::to_string(c.id));
        c.closing = true;
        return false;
      case Fault::kSilent:
        fault_fired = true;
        fault_event(",\"conn\":" + std::to_string(c.id));
        c.silenced = true;
        return true;
      case Fault::kGapOut: {
        fault_fired = true;
        const int skipped = session->getExpectedSenderNum();
        session->setNextSenderMsgSeqNum(skipped + 1);
        fault_event(",\"conn\":" + std::to_string(c.id) + ",\"skipped\":" + std::to_string(skipped));
        return true;
      }
      case Fault::kBadChecksum:
      case Fault::kBadLength:
        fault_fired = true;  // the event is logged when the garbled copy is written
        c.garble = opt.fault;
        return true;
      default:
        return true;
    }
  }

  // Faults that act once the K-th application message has been processed and answered.
  void fire_after(Conn& c) {
    switch (opt.fault) {
      case Fault::kSeqTooLow: {
        fault_fired = true;
        const std::map<int, std::string> f = split_fix(c.last_sent);
        const auto seq = f.find(34);
        const auto type = f.find(35);
        fault_event(",\"conn\":" + std::to_string(c.id) + ",\"seq\":" + (seq == f.end() ? "null" : seq->second) +
                    ",\"msgtype\":" + (type == f.end() ? std::string("null") : json_str(type->second)));
        c.write_raw(c.last_sent);
        break;
      }
      case Fault::kLogout:
        fault_fired = true;
        fault_event(",\"conn\":" + std::to_string(c.id));
        session->logout("fix_exchange: logout fault");
        session->next();
        break;
      case Fault::kExit:
        fault_fired = true;
        fault_event(",\"conn\":" + std::to_string(c.id));
        exit_requested = true;
        break;
      default:
        break;
    }
  }

  bool is_before_fault() const {
    return opt.fault == Fault::kDrop || opt.fault == Fault::kSilent || opt.fault == Fault::kGapOut ||
           opt.fault == Fault::kBadChecksum || opt.fault == Fault::kBadLength;
  }

  Options opt;
  OrderBook book;
  JsonLog log;
  FIX::Session* session = nullptr;
  std::vector<std::unique_ptr<Conn>> conns;
  long app_received = 0;  // application messages received on owning connections (all of them)
  bool fault_fired = false;
  bool exit_requested = false;

 private:
  std::string id_prefix_;
  long exec_counter_ = 0;
  long order_counter_ = 0;
};

bool Conn::send(const std::string& msg) {
  if (closing || peer_closed) return false;
  const std::string type = FIX::identifyType(msg);
  ex_.log.write(message_json("out", msg, silenced));
  last_sent = msg;
  if (silenced) return true;
  if (garble != Fault::kNone) {
    const bool checksum = garble == Fault::kBadChecksum;
    garble = Fault::kNone;
    const std::string bad = checksum ? reframe(msg, 0, 1) : reframe(msg, -5, 0);
    std::map<int, std::string> f = split_fix(msg);
    ex_.fault_event(",\"conn\":" + std::to_string(id) + ",\"seq\":" + f[34] + ",\"msgtype\":" + json_str(type));
    out.append(bad);
  }
  out.append(msg);
  if (!flush()) {
    closing = true;
    return false;
  }
  return true;
}

bool Conn::flush() {
  while (!out.empty()) {
    const ssize_t n = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      out.erase(0, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;
  }
  return true;
}

void Conn::flush_blocking(double timeout_s) {
  const double deadline = mono_s() + timeout_s;
  while (!out.empty()) {
    if (!flush()) return;
    if (out.empty()) return;
    const double left = deadline - mono_s();
    if (left <= 0) return;
    pollfd p{fd, POLLOUT, 0};
    ::poll(&p, 1, static_cast<int>(left * 1000) + 1);
  }
}

// ---------------------------------------------------------------------------------------------------

int listen_socket(int port, int& bound_port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 16) != 0) {
    const int e = errno;
    ::close(fd);
    errno = e;
    return -1;
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  bound_port = ntohs(addr.sin_port);
  return fd;
}

class Runner {
 public:
  Runner(Exchange& ex, int listen_fd) : ex_(ex), listen_fd_(listen_fd) {}

  int run() {
    const double started = mono_s();
    double last_tick = 0;
    double stop_deadline = 0;  // >0: stopping (SIGTERM, --max-seconds), exit by then at the latest
    int seen_signals = 0;
    int next_id = 1;
    for (;;) {
      // Stop requests.
      if (g_signals != seen_signals) {
        seen_signals = g_signals;
        if (stop_deadline > 0 || seen_signals >= 2) return 0;  // a second signal: at once
        stop_deadline = begin_stop("signal");
      }
      if (stop_deadline == 0 && ex_.opt.max_seconds > 0 && mono_s() - started >= static_cast<double>(ex_.opt.max_seconds))
        stop_deadline = begin_stop("max-seconds");
      if (stop_deadline > 0 && (owner() == nullptr || mono_s() >= stop_deadline)) return 0;
      if (ex_.exit_requested) {
        for (auto& c : ex_.conns) c->flush_blocking(1.0);
        return 0;
      }

      std::vector<pollfd> fds;
      fds.push_back(pollfd{listen_fd_, static_cast<short>(stop_deadline > 0 ? 0 : POLLIN), 0});
      for (auto& c : ex_.conns)
        fds.push_back(pollfd{c->fd, static_cast<short>(POLLIN | (c->out.empty() ? 0 : POLLOUT)), 0});
      const int r = ::poll(fds.data(), fds.size(), 100);
      if (r < 0 && errno != EINTR) {
        note(std::string("poll: ") + std::strerror(errno));
        return 1;
      }

      if (r > 0 && (fds[0].revents & POLLIN) != 0) {
        for (;;) {
          const int cfd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (cfd < 0) break;
          const int one = 1;
          ::setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          ex_.conns.emplace_back(new Conn(ex_, cfd, next_id++));
          ex_.log.event("connect", ",\"conn\":" + std::to_string(ex_.conns.back()->id));
        }
      }
      // Connections polled this turn (those accepted above come next turn).
      const std::size_t polled = fds.size() - 1;
      for (std::size_t i = 0; i < polled && i < ex_.conns.size(); ++i) {
        Conn& c = *ex_.conns[i];
        const short ev = fds[i + 1].revents;
        if ((ev & POLLOUT) != 0 && !c.flush()) c.closing = true;
        if ((ev & (POLLIN | POLLHUP | POLLERR)) != 0 && !c.closing) read_conn(c);
      }

      // Heartbeats, TestRequests, logon/logout timeouts: QuickFIX's timer, every 100 ms.
      if (mono_s() - last_tick >= 0.1) {
        last_tick = mono_s();
        try {
          ex_.session->next();
        } catch (const std::exception& e) {
          note(std::string("session timer: ") + e.what());
        }
        for (auto& c : ex_.conns) {
          if (!c->owner && !c->closing && mono_s() - c->accepted_at > 10.0) {
            ex_.log.event("logon_timeout", ",\"conn\":" + std::to_string(c->id));
            c->closing = true;
          }
        }
      }
      close_finished();
    }
  }

  void shutdown_all() {
    for (auto& c : ex_.conns) c->closing = true;
    close_finished();
  }

 private:
  Conn* owner() {
    for (auto& c : ex_.conns)
      if (c->owner) return c.get();
    return nullptr;
  }

  double begin_stop(const char* why) {
    note(std::string("stopping (") + why + ")");
    ex_.log.event("stopping", std::string(",\"reason\":") + json_str(why));
    if (ex_.session->isLoggedOn()) {
      ex_.session->logout("fix_exchange stopping");
      try {
        ex_.session->next();  // sends the Logout; the client's answer ends the session
      } catch (const std::exception&) {
      }
      return mono_s() + 0.5;
    }
    return mono_s();
  }

  void read_conn(Conn& c) {
    char buf[16384];
    const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      c.peer_closed = true;
      c.closing = true;
      return;
    }
    if (n < 0) return;
    c.parser.addToStream(buf, static_cast<std::size_t>(n));
    for (;;) {
      if (c.closing) return;
      std::string msg;
      try {
        if (!c.parser.readFixMessage(msg)) return;
      } catch (const FIX::MessageParseError& e) {
        ex_.log.event("garbled", ",\"conn\":" + std::to_string(c.id) + ",\"text\":" + json_str(e.what()));
        continue;
      }
      handle_message(c, msg);
    }
  }

  void handle_message(Conn& c, const std::string& msg) {
    std::string type;
    try {
      type = FIX::identifyType(msg);
    } catch (const std::exception&) {
    }
    if (!c.owner) {
      // The first message on a connection must be a Logon for our session (as QuickFIX's acceptor).
      const std::map<int, std::string> f = split_fix(msg);
      auto get = [&](int tag) {
        auto it = f.find(tag);
        return it == f.end() ? std::string() : it->second;
      };
      if (type != "A" || get(8) != "FIX.4.4" || get(49) != ex_.opt.target || get(56) != ex_.opt.sender) {
        ex_.log.event("refused", ",\"conn\":" + std::to_string(c.id) +
                                     ",\"text\":\"first message is not a Logon for this session\"");
        c.closing = true;
        return;
      }
      if (Conn* old = owner()) {
        // A connection that is being closed (its Logout done, its socket gone) gives the session up now.
        if (old->closing) release_session(*old);
      }
      if (owner() != nullptr) {
        ex_.log.event("refused", ",\"conn\":" + std::to_string(c.id) + ",\"text\":\"session already connected\"");
        c.closing = true;
        return;
      }
      c.owner = true;
      ex_.session->setResponder(&c);
      feed(c, msg);
      if (!c.closing && ex_.session->isLoggedOn() && ex_.fault_pending() && ex_.opt.fault_after == 0) {
        if (ex_.is_before_fault()) {
          ex_.fire_before(c);
        } else {
          ex_.fire_after(c);
        }
      }
      return;
    }
    const bool app = !type.empty() && !is_admin_type(type);
    bool fire_after = false;
    if (app) {
      ++ex_.app_received;
      if (ex_.fault_pending() && ex_.opt.fault_after > 0 && ex_.app_received == ex_.opt.fault_after) {
        if (ex_.is_before_fault()) {
          if (!ex_.fire_before(c)) return;  // drop: the message is never processed
        } else {
          fire_after = true;
        }
      }
    }
    feed(c, msg);
    if (fire_after && !c.closing) ex_.fire_after(c);
  }

  void feed(Conn& c, const std::string& msg) {
    try {
      ex_.session->next(msg, FIX::UtcTimeStamp());
    } catch (const FIX::InvalidMessage& e) {
      // Garbled (bad BodyLength/CheckSum, unparsable): ignored, as the FIX spec says; before the logon
      // the connection is dropped (QuickFIX's SocketConnection does the same).
      ex_.log.event("invalid_message", ",\"conn\":" + std::to_string(c.id) + ",\"text\":" + json_str(e.what()));
      if (!ex_.session->isLoggedOn()) c.closing = true;
    } catch (const std::exception& e) {
      note(std::string("session: ") + e.what());
    }
  }

  // Detaches the session from a connection that is going away.
  void release_session(Conn& c) {
    ex_.session->disconnect();  // calls c.disconnect(), forgets the responder, onLogout
    c.owner = false;
    if (!ex_.session->isEnabled() && !ex_.exit_requested) ex_.session->logon();  // after a logout fault
  }

  void close_finished() {
    for (std::size_t i = 0; i < ex_.conns.size();) {
      Conn& c = *ex_.conns[i];
      if (!c.closing) {
        ++i;
        continue;
      }
      if (c.owner) release_session(c);
      if (!c.peer_closed && !c.silenced) c.flush_blocking(1.0);
      // Logged before the close, so a client that sees the end of file finds the line in the log.
      ex_.log.event("disconnect",
                    ",\"conn\":" + std::to_string(c.id) + ",\"by\":" + (c.peer_closed ? "\"peer\"" : "\"exchange\""));
      ::shutdown(c.fd, SHUT_RDWR);
      ::close(c.fd);
      ex_.conns.erase(ex_.conns.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }

  Exchange& ex_;
  int listen_fd_;
};

}  // namespace

int main(int argc, char** argv) {
  g_prog = "fix_exchange[" + std::to_string(::getpid()) + "]";
  const Options opt = parse_options(argc, argv);

  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ign, nullptr);

  if (!mkdir_p(opt.store_dir)) {
    note("cannot create --store-dir " + opt.store_dir + ": " + std::strerror(errno));
    return 2;
  }
  if (::access(opt.dictionary.c_str(), R_OK) != 0) {
    note("cannot read --dictionary " + opt.dictionary);
    return 2;
  }

  Exchange ex(opt);
  if (!opt.log_path.empty() && !ex.log.open(opt.log_path)) {
    note("cannot open --log " + opt.log_path + ": " + std::strerror(errno));
    return 2;
  }
  ex.book.load();

  std::unique_ptr<FIX::FileStoreFactory> store;
  std::unique_ptr<FIX::FileLogFactory> qf_log;
  std::unique_ptr<FIX::SessionFactory> factory;
  FIX::Session* session = nullptr;
  try {
    const FIX::SessionID id(FIX::BeginString_FIX44, opt.sender, opt.target);
    FIX::Dictionary d;
    d.setString(FIX::CONNECTION_TYPE, "acceptor");
    d.setString(FIX::START_TIME, "00:00:00");
    d.setString(FIX::END_TIME, "00:00:00");
    d.setString(FIX::USE_DATA_DICTIONARY, "Y");
    d.setString(FIX::DATA_DICTIONARY, opt.dictionary);
    d.setString(FIX::VALIDATE_USER_DEFINED_FIELDS, "N");  // tags >= 5000 not in the dictionary are allowed
    d.setString(FIX::VALIDATE_FIELDS_OUT_OF_ORDER, "Y");  // header fields in the header, trailer last
    d.setString(FIX::VALIDATE_FIELDS_HAVE_VALUES, "Y");
    d.setString(FIX::VALIDATE_LENGTH_AND_CHECKSUM, "Y");
    d.setString(FIX::PERSIST_MESSAGES, "Y");
    d.setString(FIX::CHECK_LATENCY, "Y");
    d.setString(FIX::MAX_LATENCY, "120");
    d.setString(FIX::LOGON_TIMEOUT, "10");
    d.setString(FIX::LOGOUT_TIMEOUT, "2");
    d.setString(FIX::FILE_STORE_PATH, opt.store_dir);
    FIX::SessionSettings settings;
    settings.set(id, d);

    store.reset(new FIX::FileStoreFactory(opt.store_dir));
    if (!opt.quickfix_log.empty()) {
      mkdir_p(opt.quickfix_log);
      qf_log.reset(new FIX::FileLogFactory(opt.quickfix_log));
    }
    factory.reset(new FIX::SessionFactory(ex, *store, qf_log.get()));
    session = factory->create(id, settings.get(id));
  } catch (const std::exception& e) {
    note(std::string("QuickFIX session setup failed: ") + e.what());
    return 1;
  }
  ex.session = session;

  int port = 0;
  const int listen_fd = listen_socket(opt.port, port);
  if (listen_fd < 0) {
    note("cannot listen on 127.0.0.1:" + std::to_string(opt.port) + ": " + std::strerror(errno));
    factory->destroy(session);
    return 1;
  }
  const std::string port_line = "{\"port\":" + std::to_string(port) + "}\n";
  if (::write(1, port_line.data(), port_line.size()) != static_cast<ssize_t>(port_line.size())) {
    note("cannot write the port line");
  }
  ex.log.event("listening", ",\"port\":" + std::to_string(port) + ",\"next_sender_seq\":" +
                                std::to_string(session->getExpectedSenderNum()) + ",\"next_target_seq\":" +
                                std::to_string(session->getExpectedTargetNum()) + ",\"orders\":" +
                                std::to_string(ex.book.size()));
  note("listening on 127.0.0.1:" + std::to_string(port) + " as " + opt.sender + " for " + opt.target +
       ", next sender seq " + std::to_string(session->getExpectedSenderNum()) + ", next target seq " +
       std::to_string(session->getExpectedTargetNum()));

  Runner runner(ex, listen_fd);
  int rc = 0;
  try {
    rc = runner.run();
  } catch (const std::exception& e) {
    note(std::string("fatal: ") + e.what());
    rc = 1;
  }
  ::close(listen_fd);
  if (ex.exit_requested) {
    // The `exit` fault: like a crash, no Logout; the sockets close with the process.
    for (auto& c : ex.conns) {
      c->owner = false;
      ::close(c->fd);
    }
    ex.conns.clear();
  } else {
    runner.shutdown_all();
  }
  ex.log.event("exit", ",\"status\":" + std::to_string(rc));
  note("exit " + std::to_string(rc));
  // The session's responder is gone (disconnected above); the store is flushed on every change.
  factory->destroy(session);
  return rc;
}
