#include "core/journal/journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <stdexcept>

namespace tp {
namespace {

// Tiny append-only formatter over a caller buffer; every journal line is well under
// kMaxJournalLine (fixed keys, <= 21-char decimals, <= 20-digit integers, symbol names are short
// and escaped below).
struct Out {
  char* p;
  void raw(const char* s) noexcept {
    while (*s) *p++ = *s++;
  }
  // `{"event":"<event>","ts":<ts>`: how every line starts.
  void begin(const char* event, int64_t ts) noexcept {
    raw("{\"event\":");
    str(event);
    raw(",\"ts\":");
    i64(ts);
  }
  // `,"<k>":` before each further field.
  void key(const char* k) noexcept {
    raw(",\"");
    raw(k);
    raw("\":");
  }
  void i64(int64_t v) noexcept { p += std::snprintf(p, 24, "%lld", static_cast<long long>(v)); }
  void u64(uint64_t v) noexcept { p += std::snprintf(p, 24, "%llu", static_cast<unsigned long long>(v)); }
  void dec(Fixed v) noexcept {
    *p++ = '"';
    p += format_fixed(v, p);
    *p++ = '"';
  }
  void str(const char* s) noexcept {
    *p++ = '"';
    raw(s);
    *p++ = '"';
  }
  // Symbol names come from the configuration; escape what JSON requires and cap the length.
  void name(const std::string& s) noexcept {
    *p++ = '"';
    std::size_t n = 0;
    for (const char c : s) {
      if (++n > 64) break;
      if (c == '"' || c == '\\') {
        *p++ = '\\';
        *p++ = c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        p += std::snprintf(p, 7, "\\u%04x", static_cast<unsigned>(c));
      } else {
        *p++ = c;
      }
    }
    *p++ = '"';
  }
};

}  // namespace

std::size_t format_journal_line(const JournalRecord& r, const SymbolTable& symbols, char* buf) noexcept {
  Out o{buf};
  // The fields an order and its fills both name, in this order.
  auto what = [&] {
    o.key("symbol");
    o.name(symbols.name(r.symbol_id));
    o.key("side");
    o.str(side_name(r.side));
    o.key("qty");
    o.dec(r.qty);
  };
  switch (r.kind) {
    case JournalKind::Order:
      o.begin("order", r.ts_ns);
      what();
      o.key("order_type");
      o.str(order_type_name(r.order_type));
      if (r.order_type == OrderType::Limit) {
        o.key("price");
        o.dec(r.price);
      }
      o.key("reason");
      o.str(order_reason_name(r.order_reason));
      if (r.level != 0) {
        o.key("level");
        o.u64(r.level);
      }
      o.key("client_order_id");
      o.u64(r.client_order_id);
      break;
    case JournalKind::Fill:
      o.begin("fill", r.ts_ns);
      o.key("client_order_id");
      o.u64(r.client_order_id);
      what();
      o.key("price");
      o.dec(r.price);
      o.key("fee");
      o.dec(r.fee);
      break;
    case JournalKind::Reject:
      o.begin("reject", r.ts_ns);
      o.key("client_order_id");
      o.u64(r.client_order_id);
      o.key("reason");
      o.str(reject_reason_name(r.reject_reason));
      break;
    case JournalKind::State:
      o.begin("state", r.ts_ns);
      o.key("from");
      o.str(trading_state_name(r.from_state));
      o.key("to");
      o.str(trading_state_name(r.to_state));
      o.key("reason");
      o.str(state_reason_name(r.state_reason));
      break;
    case JournalKind::Cancel:
      o.begin("cancel", r.ts_ns);
      o.key("client_order_id");
      o.u64(r.client_order_id);
      o.key("filled_qty");
      o.dec(r.qty);
      break;
    case JournalKind::Checkpoint:
      o.begin("checkpoint", r.ts_ns);
      o.key("events");
      o.u64(r.client_order_id);
      break;
    case JournalKind::Command:
      o.begin("command", r.ts_ns);
      o.key("events");
      o.u64(r.client_order_id);
      o.key("state");
      o.str(trading_state_name(r.to_state));
      o.key("flatten");
      o.raw(r.flatten ? "true" : "false");
      o.key("source");
      o.str(command_source_name(r.command_source));
      break;
    case JournalKind::Day:
      o.begin("day", r.ts_ns);
      o.key("day_pnl");
      o.dec(r.pnl);
      break;
  }
  o.raw("}\n");
  return static_cast<std::size_t>(o.p - buf);
}

namespace {

constexpr std::string_view kLineStart = "{\"event\":\"";

// The value of `"key":` in a journal line, up to the next ',' or '}' (quotes kept); empty if absent.
std::string_view field(std::string_view line, std::string_view key) {
  std::string k;
  k.reserve(key.size() + 3);
  k.push_back('"');
  k.append(key);
  k.append("\":");
  const std::size_t at = line.find(k);
  if (at == std::string_view::npos) return {};
  const std::size_t from = at + k.size();
  const std::size_t to = line.find_first_of(",}", from);
  return line.substr(from, to == std::string_view::npos ? std::string_view::npos : to - from);
}

// A `command` line back into the command it journaled; false when a field is not one we write.
bool parse_command(std::string_view line, JournaledCommand& out) {
  const std::string_view events = field(line, "events");
  if (events.empty() || events.find_first_not_of("0123456789") != std::string_view::npos) return false;
  out.events = std::strtoull(std::string(events).c_str(), nullptr, 10);
  const std::string_view state = field(line, "state");
  if (state == "\"HALTED\"") out.command.state = TradingState::Halted;
  else if (state == "\"REDUCING\"") out.command.state = TradingState::Reducing;
  else if (state == "\"ACTIVE\"") out.command.state = TradingState::Active;
  else return false;
  const std::string_view flatten = field(line, "flatten");
  if (flatten != "true" && flatten != "false") return false;
  out.command.flatten = flatten == "true";
  const std::string_view source = field(line, "source");
  if (source == "\"SIGUSR1\"") out.command.source = CommandSource::Sigusr1;
  else if (source == "\"SIGUSR2\"") out.command.source = CommandSource::Sigusr2;
  else if (source == "\"admin\"") out.command.source = CommandSource::Admin;
  else if (source == "\"cluster\"") out.command.source = CommandSource::Cluster;
  else if (source == "\"operator\"") out.command.source = CommandSource::Operator;
  else return false;
  return true;
}

}  // namespace

JournalResume prepare_resume(const std::string& path) {
  JournalResume out;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    if (errno == ENOENT) return out;
    throw std::runtime_error("cannot open journal '" + path + "' to resume: " + std::strerror(errno));
  }
  std::string text;
  char buf[1 << 16];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) throw std::runtime_error("cannot read journal '" + path + "': " + std::strerror(errno));

  static constexpr std::string_view kCheckpoint = "{\"event\":\"checkpoint\",";
  static constexpr std::string_view kCommand = "{\"event\":\"command\",";
  auto not_a_journal = [&](std::size_t line_no) {
    return NotAJournal("--resume: '" + path + "' is not a tickpipe journal (line " + std::to_string(line_no) +
                       " is not a journal record); it was left as it is");
  };
  std::vector<std::string> lines;
  std::vector<JournaledCommand> commands;
  std::size_t keep_lines = 0;
  std::size_t keep_commands = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) break;  // a torn last line: never part of the prefix
    std::string_view line(text.data() + pos, nl - pos);
    if (line.substr(0, kLineStart.size()) != kLineStart || line.back() != '}') throw not_a_journal(lines.size() + 1);
    if (line.substr(0, kCommand.size()) == kCommand) {
      JournaledCommand c;
      if (!parse_command(line, c)) throw not_a_journal(lines.size() + 1);
      commands.push_back(c);
    }
    lines.emplace_back(line);
    pos = nl + 1;
    if (line.substr(0, kCheckpoint.size()) == kCheckpoint) {
      out.keep_bytes = pos;
      keep_lines = lines.size();
      keep_commands = commands.size();
      const std::string_view ev = field(line, "events");
      out.checkpoint_events = std::strtoull(std::string(ev).c_str(), nullptr, 10);
    }
  }
  // A torn tail must at least be the start of a record (a crash mid-write), not foreign bytes.
  if (pos < text.size()) {
    const std::string_view tail(text.data() + pos, text.size() - pos);
    const std::size_t k = std::min(tail.size(), kLineStart.size());
    if (tail.substr(0, k) != kLineStart.substr(0, k)) throw not_a_journal(lines.size() + 1);
  }
  lines.resize(keep_lines);
  commands.resize(keep_commands);
  out.lines = std::move(lines);
  out.commands = std::move(commands);
  return out;
}

JournalWriter::JournalWriter(const std::string& path, const SymbolTable& symbols, FsyncPolicy fsync,
                             JournalResume resume)
    : path_(path), target_(path), symbols_(symbols), fsync_(fsync), resume_(std::move(resume)) {
  buffer_ = std::make_unique<char[]>(kBufferBytes);
  if (!resume_.lines.empty()) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error("cannot open journal '" + path + "': " + std::strerror(errno));
    return;
  }
  struct stat st{};
  mode_t mode = 0666;  // less the umask, as for any new file
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) throw std::runtime_error("cannot open journal '" + path + "': it is a directory");
    if (!S_ISREG(st.st_mode)) {
      // A device or FIFO (/dev/null, a pipe to a log shipper): written in place, never replaced.
      fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd_ < 0) throw std::runtime_error("cannot open journal '" + path + "': " + std::strerror(errno));
      return;
    }
    mode = st.st_mode & 07777;
    std::error_code ec;
    if (std::filesystem::is_symlink(path, ec)) target_ = std::filesystem::canonical(path, ec).string();
    if (ec || target_.empty()) target_ = path;
  }
  const std::filesystem::path t(target_);
  const std::filesystem::path dir = t.has_parent_path() ? t.parent_path() : std::filesystem::path(".");
  std::string name = ".";
  name += t.filename().string();
  name += ".tmp-";
  name += std::to_string(::getpid());
  temp_ = (dir / name).string();
  fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd_ >= 0) {
    if (mode != 0666) (void)::fchmod(fd_, mode);  // keep the permissions of the journal it replaces
    return;
  }
  const std::string reason = std::strerror(errno);
  temp_.clear();
  // A directory we may not create files in, holding a journal we may write: write that file in
  // place, cut only at start().
  fd_ = ::open(target_.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd_ < 0)
    throw std::runtime_error("cannot create journal '" + path + "' in '" + dir.string() + "': " + reason);
  truncate_at_start_ = true;
}

JournalWriter::~JournalWriter() {
  if (hook_.flush_fn != nullptr) JournalFlushHook::uninstall(&hook_);
  if (fd_ >= 0) ::close(fd_);
  if (!started_ && !temp_.empty()) ::unlink(temp_.c_str());
}

void JournalWriter::start() {
  if (started_) return;
  if (!temp_.empty()) {
    if (::rename(temp_.c_str(), target_.c_str()) != 0)
      throw std::runtime_error("cannot put journal '" + path_ + "' in place: " + std::strerror(errno));
    temp_.clear();
  } else if (truncate_at_start_ || !resume_.lines.empty()) {
    // Lines after the last checkpoint (or a torn last line) are regenerated by this run.
    if (::ftruncate(fd_, static_cast<off_t>(resume_.keep_bytes)) != 0)
      throw std::runtime_error("cannot cut journal '" + path_ + "' at its last checkpoint: " + std::strerror(errno));
  }
  started_ = true;
  hook_ = JournalFlushHook{&JournalWriter::emergency_flush, this};
  JournalFlushHook::install(&hook_);
}

void JournalWriter::emergency_flush(void* self) noexcept {
  auto* w = static_cast<JournalWriter*>(self);
  if (w->error_.empty()) {
    (void)w->write_out();
    (void)::fsync(w->fd_);
  }
}

void JournalWriter::fail(std::string message, bool mismatch) noexcept {
  if (!error_.empty()) return;
  try {
    error_ = std::move(message);
  } catch (...) {
    error_ = "journal failure";
  }
  mismatch_ = mismatch;
}

void JournalWriter::throw_if_failed() const {
  if (error_.empty()) return;
  if (mismatch_) throw JournalMismatch(error_);
  throw std::runtime_error(error_);
}

bool JournalWriter::write_out() noexcept {
  std::size_t done = 0;
  while (done < used_) {
    const ssize_t n = ::write(fd_, buffer_.get() + done, used_ - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      // Keep what was not written, so the error is reported once and nothing is written twice.
      std::memmove(buffer_.get(), buffer_.get() + done, used_ - done);
      used_ -= done;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  used_ = 0;
  return true;
}

void JournalWriter::write(const JournalRecord& r) noexcept {
  if (failed()) return;
  JournalFlushHook::enter();
  char line[kMaxJournalLine];
  const std::size_t n = format_journal_line(r, symbols_, line);
  ++records_;
  if (verified_ < resume_.lines.size()) {
    // Catching up after --resume: the line is already in the file and must be the same.
    const std::string_view text(line, n - 1);
    if (text != resume_.lines[verified_]) {
      fail("journal '" + path_ + "' line " + std::to_string(verified_ + 1) +
               " does not match this run: the journal has\n  " + resume_.lines[verified_] +
               "\nbut the replay produced\n  " + std::string(text) +
               "\n(was it written with another capture or configuration?)",
           true);
    } else {
      ++verified_;
    }
    JournalFlushHook::leave();
    return;
  }
  if (used_ + n > kBufferBytes && !write_out()) {
    fail("cannot write journal '" + path_ + "': " + std::strerror(errno), false);
    JournalFlushHook::leave();
    return;
  }
  std::memcpy(buffer_.get() + used_, line, n);
  used_ += n;
  JournalFlushHook::leave();
  if (r.kind == JournalKind::Checkpoint) {
    flush();
    if (fsync_ == FsyncPolicy::Checkpoint) sync();
  }
}

void JournalWriter::flush() noexcept {
  if (failed()) return;
  JournalFlushHook::enter();
  const bool ok = write_out();
  if (!ok) fail("cannot write journal '" + path_ + "': " + std::strerror(errno), false);
  JournalFlushHook::leave();
  if (ok && fsync_ == FsyncPolicy::EveryBatch) sync();
}

void JournalWriter::flush_and_sync() noexcept {
  flush();
  if (!failed() && fsync_ != FsyncPolicy::EveryBatch) sync();
}

void JournalWriter::sync() noexcept {
  if (failed()) return;
  // /dev/null and pipes cannot be synced; that is not a failure of the journal.
  if (::fsync(fd_) != 0 && errno != EINVAL && errno != EROFS)
    fail("cannot fsync journal '" + path_ + "': " + std::strerror(errno), false);
}

}  // namespace tp
