#include "core/config/config.hpp"

#include <arpa/inet.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <set>
#include <span>
#include <sstream>
#include <system_error>
#include <toml++/toml.h>

#include "core/types/printable.hpp"
#include "core/types/ws_url.hpp"
#include "core/strategy/profit_taker.hpp"

namespace tp {
namespace {

// Prefixes every message with "<file>:<line>: " when the node knows its line. Messages quote keys
// and values from the file (and its path), which may hold any byte: the whole message goes through
// printable() so that an error printed on a terminal cannot carry control sequences.
[[noreturn]] void fail(const std::string& src, const toml::node* node, const std::string& msg) {
  std::ostringstream os;
  os << src;
  if (node != nullptr && node->source().begin.line > 0) os << ":" << node->source().begin.line;
  os << ": " << msg;
  throw ConfigError(printable(os.str()));
}

class Reader {
 public:
  Reader(const std::string& src, const toml::table& table, std::string path)
      : src_(src), table_(table), path_(std::move(path)) {}

  std::string key(std::string_view k) const { return path_.empty() ? std::string(k) : path_ + "." + std::string(k); }

  // Rejects keys the engine does not know: a misspelt key must not be silently ignored.
  void only(std::initializer_list<std::string_view> allowed) const {
    const std::set<std::string_view> ok(allowed);
    for (const auto& [k, v] : table_) {
      if (ok.count(k.str()) == 0) fail(src_, &v, "unknown key '" + key(k.str()) + "'");
    }
  }

  const toml::node* node(std::string_view k) const { return table_.get(k); }

  const toml::node& required(std::string_view k) const {
    const toml::node* n = table_.get(k);
    if (n == nullptr) fail(src_, &table_, "missing required key '" + key(k) + "'");
    return *n;
  }

  std::optional<std::string> string(std::string_view k) const {
    const toml::node* n = node(k);
    if (n == nullptr) return std::nullopt;
    if (!n->is_string()) fail(src_, n, "key '" + key(k) + "' must be a string");
    return std::string(*n->value<std::string_view>());
  }

  std::optional<int64_t> integer(std::string_view k) const {
    const toml::node* n = node(k);
    if (n == nullptr) return std::nullopt;
    if (!n->is_integer()) fail(src_, n, "key '" + key(k) + "' must be an integer");
    return *n->value<int64_t>();
  }

  // An integer key within [lo, hi] into `out` (left as it is when the key is absent).
  void bounded(std::string_view k, int64_t lo, int64_t hi, int64_t& out) const {
    if (auto v = integer(k)) {
      if (*v < lo || *v > hi)
        fail(src_, node(k), "key '" + key(k) + "' must be between " + std::to_string(lo) + " and " + std::to_string(hi));
      out = *v;
    }
  }

  std::optional<bool> boolean(std::string_view k) const {
    const toml::node* n = node(k);
    if (n == nullptr) return std::nullopt;
    if (!n->is_boolean()) fail(src_, n, "key '" + key(k) + "' must be true or false");
    return *n->value<bool>();
  }

  // A decimal may be written as a string ("0.00001", exact) or a TOML number (5.0, 100). A float
  // is rounded to 8 fractional digits (SPEC §9.7) through its shortest correctly rounded decimal.
  std::optional<Fixed> decimal(std::string_view k, bool allow_negative = false) const {
    const toml::node* n = node(k);
    if (n == nullptr) return std::nullopt;
    std::string text;
    if (n->is_string()) {
      text = std::string(*n->value<std::string_view>());
    } else if (n->is_integer()) {
      text = std::to_string(*n->value<int64_t>());
    } else if (n->is_floating_point()) {
      const double d = *n->value<double>();
      if (!std::isfinite(d) || std::fabs(d) > 9.2e10)
        fail(src_, n, "key '" + key(k) + "' is out of range");
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.8f", d);
      text = buf;
    } else {
      fail(src_, n, "key '" + key(k) + "' must be a decimal (a string like \"0.001\" or a number)");
    }
    Fixed v = 0;
    const bool ok = allow_negative ? parse_fixed_signed(text, v) : parse_fixed(text, v);
    if (!ok)
      fail(src_, n, "key '" + key(k) + "' = \"" + text + "\" is not a valid decimal" +
                        (allow_negative ? "" : " (digits, optional '.', at most 8 decimals, no sign)"));
    return v;
  }

  const toml::table* table(std::string_view k) const {
    const toml::node* n = node(k);
    if (n == nullptr) return nullptr;
    if (!n->is_table()) fail(src_, n, "key '" + key(k) + "' must be a table");
    return n->as_table();
  }

  const toml::array* array(std::string_view k) const {
    const toml::node* n = node(k);
    if (n == nullptr) return nullptr;
    if (!n->is_array()) fail(src_, n, "key '" + key(k) + "' must be an array");
    return n->as_array();
  }

  const std::string& src() const { return src_; }
  const toml::table& self() const { return table_; }

 private:
  const std::string& src_;
  const toml::table& table_;
  std::string path_;
};

const toml::table& element_table(const std::string& src, const toml::node& n, const std::string& path) {
  if (!n.is_table()) fail(src, &n, "'" + path + "' must be a table");
  return *n.as_table();
}

int parse_hhmm(const std::string& src, const toml::node* n, const std::string& text) {
  // Exactly HH:MM, 00:00 .. 23:59.
  if (text.size() == 5 && text[2] == ':' && std::isdigit(static_cast<unsigned char>(text[0])) &&
      std::isdigit(static_cast<unsigned char>(text[1])) && std::isdigit(static_cast<unsigned char>(text[3])) &&
      std::isdigit(static_cast<unsigned char>(text[4]))) {
    const int h = (text[0] - '0') * 10 + (text[1] - '0');
    const int m = (text[3] - '0') * 10 + (text[4] - '0');
    if (h < 24 && m < 60) return h * 60 + m;
  }
  fail(src, n, "key 'risk.day_reset_utc' = \"" + text + "\" must be HH:MM (UTC, 00:00 to 23:59)");
}

WaitKind parse_wait(const std::string& src, const toml::node* n, const std::string& key, const std::string& text) {
  WaitKind k{};
  if (parse_wait_kind(text, k)) return k;
  fail(src, n, "key '" + key + "' = \"" + text + "\" must be \"spin_then_yield\", \"busy_spin\" or \"blocking\"");
}

// `close_fraction` of a stop rule: (0, 1].
std::optional<Fixed> close_fraction(const Reader& r) {
  auto v = r.decimal("close_fraction");
  if (v && (*v <= 0 || *v > kScale))
    fail(r.src(), r.node("close_fraction"), "key '" + r.key("close_fraction") + "' must be in (0, 1]");
  return v;
}

// `symbols` of a stop rule: configured names, each once, at least one; absent = every symbol
// (an empty result). Returns the symbols' ids ([[symbols]] order), ascending.
std::vector<SymbolId> rule_symbols(const Reader& r, const std::vector<SymbolConfig>& configured) {
  std::vector<SymbolId> ids;
  const toml::array* a = r.array("symbols");
  if (a == nullptr) return ids;
  if (a->empty())
    fail(r.src(), a, "key '" + r.key("symbols") + "' must list at least one symbol (leave it out for every symbol)");
  for (std::size_t i = 0; i < a->size(); ++i) {
    const toml::node* n = a->get(i);
    const std::string k = r.key("symbols") + "[" + std::to_string(i) + "]";
    if (!n->is_string()) fail(r.src(), n, "key '" + k + "' must be a string (a configured symbol)");
    const std::string name(*n->value<std::string_view>());
    SymbolId id = kNoSymbol;
    for (std::size_t s = 0; s < configured.size(); ++s)
      if (configured[s].name == name) id = static_cast<SymbolId>(s);
    if (id == kNoSymbol)
      fail(r.src(), n, "key '" + k + "' = \"" + name + "\" is not a configured symbol (add it under [[symbols]])");
    for (SymbolId prev : ids)
      if (prev == id) fail(r.src(), n, "key '" + k + "': symbol '" + name + "' is listed twice");
    ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace

std::vector<std::string> Config::symbol_names() const {
  std::vector<std::string> out;
  out.reserve(symbols.size());
  for (const auto& s : symbols) out.push_back(s.name);
  return out;
}

Config parse_config(std::string_view toml_text, const std::string& src) {
  toml::table root;
  try {
    root = toml::parse(toml_text, src);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << src << ":" << e.source().begin.line << ":" << e.source().begin.column << ": " << e.description();
    throw ConfigError(printable(os.str()));
  }

  Config cfg;
  const Reader top(src, root, "");
  top.only({"venue", "symbols", "positions", "profit_take", "risk", "sim", "book", "strategy", "stop_loss",
            "trailing_stop", "feed", "journal", "threads", "live", "exec", "fix", "ops", "cluster"});

  if (const toml::table* t = top.table("venue")) {
    const Reader r(src, *t, "venue");
    r.only({"format"});
    if (auto f = r.string("format")) {
      if (*f == "binance") cfg.venue_format = VenueFormat::Binance;
      else if (*f == "coinbase") cfg.venue_format = VenueFormat::Coinbase;
      else fail(src, r.node("format"), "key 'venue.format' = \"" + *f + "\" must be \"binance\" or \"coinbase\"");
    }
  }

  const toml::array* syms = top.array("symbols");
  if (syms == nullptr || syms->empty())
    fail(src, &root, "missing required key 'symbols': at least one [[symbols]] table with name and lot_step");
  // Symbol ids are 16 bits and the symbol table is sized for kMaxSymbols (core/types/symbol_table.hpp).
  if (syms->size() > kMaxSymbols)
    fail(src, syms->get(kMaxSymbols),
         "key 'symbols' lists " + std::to_string(syms->size()) + " symbols; at most " + std::to_string(kMaxSymbols) +
             " are supported ('symbols[" + std::to_string(kMaxSymbols) + "]' is the first one too many)");
  for (std::size_t i = 0; i < syms->size(); ++i) {
    const std::string path = "symbols[" + std::to_string(i) + "]";
    const Reader r(src, element_table(src, *syms->get(i), path), path);
    r.only({"name", "lot_step", "min_qty", "min_notional"});
    SymbolConfig s;
    r.required("name");
    s.name = *r.string("name");
    if (s.name.empty()) fail(src, r.node("name"), "key '" + r.key("name") + "' must not be empty");
    for (const auto& prev : cfg.symbols)
      if (prev.name == s.name) fail(src, r.node("name"), "symbol '" + s.name + "' is configured twice");
    r.required("lot_step");
    s.lot_step = *r.decimal("lot_step");
    if (s.lot_step <= 0) fail(src, r.node("lot_step"), "key '" + r.key("lot_step") + "' must be > 0");
    s.min_qty = r.decimal("min_qty").value_or(s.lot_step);
    s.min_notional = r.decimal("min_notional").value_or(0);
    cfg.symbols.push_back(std::move(s));
  }

  if (const toml::array* pos = top.array("positions")) {
    for (std::size_t i = 0; i < pos->size(); ++i) {
      const std::string path = "positions[" + std::to_string(i) + "]";
      const Reader r(src, element_table(src, *pos->get(i), path), path);
      r.only({"symbol", "qty", "entry_price"});
      PositionConfig p;
      r.required("symbol");
      p.symbol = *r.string("symbol");
      bool known = false;
      for (const auto& s : cfg.symbols) known = known || s.name == p.symbol;
      if (!known)
        fail(src, r.node("symbol"), "key '" + r.key("symbol") + "' = \"" + p.symbol +
                                        "\" is not a configured symbol (add it under [[symbols]])");
      for (const auto& prev : cfg.positions)
        if (prev.symbol == p.symbol) fail(src, r.node("symbol"), "two [[positions]] for symbol '" + p.symbol + "'");
      r.required("qty");
      p.qty = *r.decimal("qty", /*allow_negative=*/true);
      r.required("entry_price");
      p.entry_price = *r.decimal("entry_price");
      if (p.qty != 0 && p.entry_price <= 0)
        fail(src, r.node("entry_price"), "key '" + r.key("entry_price") + "' must be > 0");
      cfg.positions.push_back(std::move(p));
    }
  }

  if (const toml::table* t = top.table("profit_take")) {
    const Reader r(src, *t, "profit_take");
    r.only({"levels"});
    if (const toml::array* lv = r.array("levels")) {
      // The rule keeps the fired levels of a position as a 32-bit mask (core/strategy/profit_taker.hpp).
      if (lv->size() > kMaxProfitLevels)
        fail(src, lv->get(kMaxProfitLevels),
             "key 'profit_take.levels' lists " + std::to_string(lv->size()) + " levels; at most " +
                 std::to_string(kMaxProfitLevels) + " are supported ('profit_take.levels[" +
                 std::to_string(kMaxProfitLevels) + "]' is the first one too many)");
      for (std::size_t i = 0; i < lv->size(); ++i) {
        const std::string path = "profit_take.levels[" + std::to_string(i) + "]";
        const Reader lr(src, element_table(src, *lv->get(i), path), path);
        lr.only({"gain_pct", "reduce_fraction"});
        lr.required("gain_pct");
        lr.required("reduce_fraction");
        ProfitLevel l{*lr.decimal("gain_pct"), *lr.decimal("reduce_fraction")};
        if (l.gain_pct <= 0) fail(src, lr.node("gain_pct"), "key '" + lr.key("gain_pct") + "' must be > 0");
        if (l.reduce_fraction <= 0 || l.reduce_fraction > kScale)
          fail(src, lr.node("reduce_fraction"), "key '" + lr.key("reduce_fraction") + "' must be in (0, 1]");
        if (!cfg.profit_levels.empty() && l.gain_pct <= cfg.profit_levels.back().gain_pct)
          fail(src, lr.node("gain_pct"), "key '" + lr.key("gain_pct") + "': levels must be listed in strictly ascending gain_pct");
        cfg.profit_levels.push_back(l);
      }
    } else {
      cfg.profit_levels.push_back({5 * kScale, 30'000'000});
    }
  } else {
    cfg.profit_levels.push_back({5 * kScale, 30'000'000});
  }

  if (const toml::table* t = top.table("risk")) {
    const Reader r(src, *t, "risk");
    r.only({"daily_loss_limit", "day_reset_utc", "flatten_on_halt", "max_order_qty", "max_order_notional",
            "max_orders_per_sec", "duplicate_window_ms", "price_band_pct", "max_open_orders"});
    cfg.risk.daily_loss_limit = r.decimal("daily_loss_limit");
    if (auto s = r.string("day_reset_utc")) cfg.risk.day_reset_minutes = parse_hhmm(src, r.node("day_reset_utc"), *s);
    if (auto b = r.boolean("flatten_on_halt")) cfg.risk.flatten_on_halt = *b;
    if (auto v = r.decimal("max_order_qty")) cfg.risk.max_order_qty = *v;
    if (auto v = r.decimal("max_order_notional")) cfg.risk.max_order_notional = *v;
    if (auto v = r.integer("max_orders_per_sec")) {
      if (*v <= 0) fail(src, r.node("max_orders_per_sec"), "key 'risk.max_orders_per_sec' must be > 0");
      cfg.risk.max_orders_per_sec = *v;
    }
    if (auto v = r.integer("duplicate_window_ms")) {
      if (*v < 0) fail(src, r.node("duplicate_window_ms"), "key 'risk.duplicate_window_ms' must be >= 0");
      cfg.risk.duplicate_window_ms = *v;
    }
    if (auto v = r.decimal("price_band_pct")) {
      if (*v <= 0) fail(src, r.node("price_band_pct"), "key 'risk.price_band_pct' must be > 0 (percent)");
      cfg.risk.price_band_pct = *v;
    }
    if (auto v = r.integer("max_open_orders")) {
      if (*v < 1 || *v > 1'000'000)
        fail(src, r.node("max_open_orders"), "key 'risk.max_open_orders' must be between 1 and 1000000");
      cfg.risk.max_open_orders = *v;
    }
  }

  if (const toml::table* t = top.table("sim")) {
    const Reader r(src, *t, "sim");
    r.only({"fill_model", "latency_ns", "taker_fee_bps", "maker_fee_bps", "max_orders"});
    if (auto v = r.string("fill_model")) {
      if (*v == "touch") cfg.sim.fill_model = FillModel::Touch;
      else if (*v == "book") cfg.sim.fill_model = FillModel::Book;
      else fail(src, r.node("fill_model"), "key 'sim.fill_model' = \"" + *v + "\" must be \"touch\" or \"book\"");
    }
    if (auto v = r.integer("latency_ns")) {
      if (*v < 0) fail(src, r.node("latency_ns"), "key 'sim.latency_ns' must be >= 0");
      cfg.sim.latency_ns = *v;
    }
    if (auto v = r.decimal("taker_fee_bps")) cfg.sim.taker_fee_bps = *v;
    if (auto v = r.decimal("maker_fee_bps", /*allow_negative=*/true)) {
      if (*v < -10'000 * kScale || *v > 10'000 * kScale)
        fail(src, r.node("maker_fee_bps"), "key 'sim.maker_fee_bps' must be between -10000 and 10000 (basis points)");
      cfg.sim.maker_fee_bps = *v;
    }
    if (auto v = r.integer("max_orders")) {
      if (*v < 1 || *v > kMaxSimOrders)
        fail(src, r.node("max_orders"), "key 'sim.max_orders' must be between 1 and " + std::to_string(kMaxSimOrders));
      cfg.sim.max_orders = *v;
    }
  }

  if (const toml::table* t = top.table("book")) {
    const Reader r(src, *t, "book");
    r.only({"enabled", "levels", "buffer_diffs", "snapshot_url", "snapshot_timeout_ms"});
    if (auto v = r.integer("snapshot_timeout_ms")) {
      if (*v < 100 || *v > 60'000)
        fail(src, r.node("snapshot_timeout_ms"), "key 'book.snapshot_timeout_ms' must be between 100 and 60000");
      cfg.book.snapshot_timeout_ms = *v;
    }
    cfg.book.enabled = r.boolean("enabled").value_or(true);
    if (auto v = r.string("snapshot_url")) {
      const bool scheme = v->rfind("https://", 0) == 0 || v->rfind("http://", 0) == 0;
      if (!scheme || v->find("{symbol}") == std::string::npos)
        fail(src, r.node("snapshot_url"),
             "key 'book.snapshot_url' must be an http:// or https:// URL holding {symbol} (the venue's symbol name "
             "goes there), e.g. \"https://api.binance.com/api/v3/depth?symbol={symbol}&limit=1000\"");
      cfg.book.snapshot_url = *v;
    }
    if (auto v = r.integer("levels")) {
      if (*v < 1 || *v > kMaxBookLevels)
        fail(src, r.node("levels"), "key 'book.levels' must be between 1 and " + std::to_string(kMaxBookLevels));
      cfg.book.levels = *v;
    }
    if (auto v = r.integer("buffer_diffs")) {
      if (*v < 1 || *v > 1'000'000) fail(src, r.node("buffer_diffs"), "key 'book.buffer_diffs' must be between 1 and 1000000");
      cfg.book.buffer_diffs = *v;
    }
  }
  if (cfg.sim.fill_model == FillModel::Book && !cfg.book.enabled) {
    fail(src, &root, "key 'sim.fill_model' = \"book\" needs an order book: add a [book] table (docs/order-book.md)");
  }
  if (cfg.sim.fill_model == FillModel::Book && cfg.book.levels + 2 * cfg.sim.max_orders > kMaxSimReportsPerMessage) {
    fail(src, &root,
         "book.levels + 2 x sim.max_orders = " + std::to_string(cfg.book.levels + 2 * cfg.sim.max_orders) +
             " is over " + std::to_string(kMaxSimReportsPerMessage) +
             " with sim.fill_model = \"book\": what one market message can make the simulated venue report must fit "
             "its report ring (lower book.levels or sim.max_orders)");
  }

  if (const toml::table* t = top.table("strategy")) {
    const Reader r(src, *t, "strategy");
    r.only({"entry", "momentum_breakout"});
    if (auto e = r.string("entry")) {
      if (*e == "none") cfg.entry.kind = EntryKind::None;
      else if (*e == "momentum_breakout") cfg.entry.kind = EntryKind::MomentumBreakout;
      else
        fail(src, r.node("entry"),
             "key 'strategy.entry' = \"" + *e + "\" must be \"none\" or \"momentum_breakout\"");
      cfg.strategy.entry = *e;
    }
    // Read and validated whenever present, used only with entry = "momentum_breakout".
    if (const toml::table* mt = r.table("momentum_breakout")) {
      const Reader m(src, *mt, "strategy.momentum_breakout");
      m.only({"lookback", "breakout_bps", "notional", "allow_short", "cooldown_events"});
      m.bounded("lookback", 1, kMaxEntryLookback, cfg.entry.lookback);
      m.bounded("cooldown_events", 0, 1'000'000'000, cfg.entry.cooldown_events);
      if (auto v = m.decimal("breakout_bps")) {
        if (*v > 10'000 * kScale)
          fail(src, m.node("breakout_bps"), "key '" + m.key("breakout_bps") + "' must be between 0 and 10000 (basis points)");
        cfg.entry.breakout_bps = *v;
      }
      if (auto v = m.decimal("notional")) {
        if (*v <= 0) fail(src, m.node("notional"), "key '" + m.key("notional") + "' must be > 0 (quote currency)");
        cfg.entry.notional = *v;
      }
      if (auto b = m.boolean("allow_short")) cfg.entry.allow_short = *b;
    }
  }

  if (const toml::table* t = top.table("stop_loss")) {
    const Reader r(src, *t, "stop_loss");
    r.only({"loss_pct", "close_fraction", "symbols"});
    cfg.stop_loss.enabled = true;
    r.required("loss_pct");
    cfg.stop_loss.loss_pct = *r.decimal("loss_pct");
    if (cfg.stop_loss.loss_pct <= 0) fail(src, r.node("loss_pct"), "key 'stop_loss.loss_pct' must be > 0 (percent)");
    cfg.stop_loss.close_fraction = close_fraction(r).value_or(kScale);
    cfg.stop_loss.symbols = rule_symbols(r, cfg.symbols);
  }

  if (const toml::table* t = top.table("trailing_stop")) {
    const Reader r(src, *t, "trailing_stop");
    r.only({"trail_pct", "activation_pct", "close_fraction", "symbols"});
    cfg.trailing_stop.enabled = true;
    r.required("trail_pct");
    cfg.trailing_stop.trail_pct = *r.decimal("trail_pct");
    if (cfg.trailing_stop.trail_pct <= 0)
      fail(src, r.node("trail_pct"), "key 'trailing_stop.trail_pct' must be > 0 (percent)");
    cfg.trailing_stop.activation_pct = r.decimal("activation_pct").value_or(0);
    cfg.trailing_stop.close_fraction = close_fraction(r).value_or(kScale);
    cfg.trailing_stop.symbols = rule_symbols(r, cfg.symbols);
  }

  if (const toml::table* t = top.table("feed")) {
    const Reader r(src, *t, "feed");
    r.only({"max_message_bytes", "max_out_of_order_bytes", "max_connections", "max_resync_bytes",
            "max_ip_fragment_datagrams", "max_ip_fragment_bytes", "ip_fragment_timeout_ms"});
    r.bounded("max_message_bytes", 1024, int64_t{1} << 30, cfg.feed.max_message_bytes);
    r.bounded("max_out_of_order_bytes", 0, int64_t{1} << 30, cfg.feed.max_out_of_order_bytes);
    r.bounded("max_connections", 1, 65536, cfg.feed.max_connections);
    r.bounded("max_resync_bytes", 0, int64_t{1} << 30, cfg.feed.max_resync_bytes);
    r.bounded("max_ip_fragment_datagrams", 1, 65536, cfg.feed.max_ip_fragment_datagrams);
    r.bounded("max_ip_fragment_bytes", 65536, int64_t{1} << 30, cfg.feed.max_ip_fragment_bytes);
    r.bounded("ip_fragment_timeout_ms", 1, 3'600'000, cfg.feed.ip_fragment_timeout_ms);
  }

  if (const toml::table* t = top.table("journal")) {
    const Reader r(src, *t, "journal");
    r.only({"checkpoint_events", "fsync"});
    if (auto v = r.integer("checkpoint_events")) {
      if (*v < 1 || *v > 1'000'000'000)
        fail(src, r.node("checkpoint_events"), "key 'journal.checkpoint_events' must be between 1 and 1000000000");
      cfg.journal.checkpoint_events = *v;
    }
    if (auto f = r.string("fsync")) {
      if (*f == "never") cfg.journal.fsync = FsyncPolicy::Never;
      else if (*f == "checkpoint") cfg.journal.fsync = FsyncPolicy::Checkpoint;
      else if (*f == "every_batch") cfg.journal.fsync = FsyncPolicy::EveryBatch;
      else fail(src, r.node("fsync"), "key 'journal.fsync' = \"" + *f + "\" must be \"never\", \"checkpoint\" or \"every_batch\"");
    }
  }

  if (const toml::table* t = top.table("live")) {
    const Reader r(src, *t, "live");
    r.only({"url", "streams", "compression", "ca_file", "stale_after_ms", "reconnect_min_ms", "reconnect_max_ms"});
    LiveConfig& lc = cfg.live;
    lc.present = true;
    r.required("url");
    lc.url = *r.string("url");
    std::string why;
    if (!parse_ws_url(lc.url, why)) fail(src, r.node("url"), "key 'live.url' = \"" + lc.url + "\" " + why);
    const bool binance = cfg.venue_format == VenueFormat::Binance;
    static constexpr std::string_view kBinanceStreams[] = {"bookTicker", "trade", "aggTrade", "depth", "depth@100ms"};
    static constexpr std::string_view kCoinbaseChannels[] = {"ticker", "matches", "heartbeat", "level2", "level2_batch"};
    if (const toml::node* n = r.node("streams")) {
      const toml::array* a = n->as_array();
      if (a == nullptr || a->empty()) fail(src, n, "key 'live.streams' must be a non-empty array of strings");
      for (std::size_t i = 0; i < a->size(); ++i) {
        const toml::node& e = *a->get(i);
        const std::string key = "live.streams[" + std::to_string(i) + "]";
        if (!e.is_string()) fail(src, &e, "key '" + key + "' must be a string");
        const std::string name(*e.value<std::string_view>());
        bool known = false;
        std::string list;
        auto check = [&](std::span<const std::string_view> names) {
          for (const std::string_view k : names) {
            known = known || k == name;
            list += list.empty() ? "" : ", ";
            list += k;
          }
        };
        if (binance) check(kBinanceStreams);
        else check(kCoinbaseChannels);
        if (!known)
          fail(src, &e, "key '" + key + "' = \"" + name + "\" is not a " + (binance ? "Binance stream" : "Coinbase channel") +
                            " tickpipe reads (one of: " + list + ")");
        if (std::find(lc.streams.begin(), lc.streams.end(), name) != lc.streams.end())
          fail(src, &e, "key '" + key + "' = \"" + name + "\" is listed twice");
        lc.streams.push_back(name);
      }
    } else if (binance) {
      lc.streams = {"bookTicker", "trade"};
    } else {
      lc.streams = {"ticker", "matches", "heartbeat"};
    }
    lc.compression = r.boolean("compression").value_or(false);
    lc.ca_file = r.string("ca_file").value_or("");
    r.bounded("stale_after_ms", 1, 86'400'000, lc.stale_after_ms);
    r.bounded("reconnect_min_ms", 1, 3'600'000, lc.reconnect_min_ms);
    r.bounded("reconnect_max_ms", 1, 3'600'000, lc.reconnect_max_ms);
    if (lc.reconnect_max_ms < lc.reconnect_min_ms)
      fail(src, r.node("reconnect_max_ms") ? r.node("reconnect_max_ms") : r.node("reconnect_min_ms"),
           "key 'live.reconnect_max_ms' must not be below 'live.reconnect_min_ms'");
  }

  if (const toml::table* t = top.table("ops")) {
    const Reader r(src, *t, "ops");
    r.only({"listen", "admin_token_env", "stall_after_ms", "log_level"});
    OpsConfig& oc = cfg.ops;
    oc.present = true;
    if (auto v = r.string("listen")) {
      // host:port, the host an IPv4 address literal (the endpoint binds exactly there).
      const std::size_t colon = v->rfind(':');
      in_addr addr{};
      const std::string host = colon == std::string::npos ? std::string() : v->substr(0, colon);
      const std::string port = colon == std::string::npos ? std::string() : v->substr(colon + 1);
      const bool port_ok = !port.empty() && port.size() <= 5 &&
                           std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
                           std::stoul(port) <= 65535;
      if (host.empty() || inet_pton(AF_INET, host.c_str(), &addr) != 1 || !port_ok)
        fail(src, r.node("listen"),
             "key 'ops.listen' = \"" + *v + "\" must be an IPv4 address and a port, e.g. \"127.0.0.1:9464\" (port 0: any free port)");
      oc.listen_host = host;
      oc.listen_port = static_cast<uint16_t>(std::stoul(port));
    }
    if (auto v = r.string("admin_token_env")) oc.admin_token_env = *v;
    if (auto v = r.integer("stall_after_ms")) {
      if (*v < 10 || *v > 3'600'000) fail(src, r.node("stall_after_ms"), "key 'ops.stall_after_ms' must be between 10 and 3600000");
      oc.stall_after_ms = *v;
    }
    if (auto v = r.string("log_level")) {
      if (*v != "debug" && *v != "info" && *v != "warn" && *v != "error")
        fail(src, r.node("log_level"), "key 'ops.log_level' = \"" + *v + "\" must be \"debug\", \"info\", \"warn\" or \"error\"");
      oc.log_level = *v;
    }
  }

  if (const toml::table* t = top.table("exec")) {
    const Reader r(src, *t, "exec");
    r.only({"venue"});
    if (auto v = r.string("venue")) {
      if (*v == "sim") cfg.exec.venue = ExecVenue::Sim;
      else if (*v == "fix") cfg.exec.venue = ExecVenue::Fix;
      else fail(src, r.node("venue"), "key 'exec.venue' = \"" + *v + "\" must be \"sim\" or \"fix\"");
    }
  }

  if (const toml::table* t = top.table("fix")) {
    const Reader r(src, *t, "fix");
    r.only({"host", "port", "sender_comp_id", "target_comp_id", "heartbeat_s", "store_dir", "reset_on_logon", "username",
            "password_env", "reconnect_min_ms", "reconnect_max_ms", "logon_timeout_ms", "shutdown_wait_ms"});
    FixConfig& fc = cfg.fix;
    fc.present = true;
    auto comp_id = [&](std::string_view k, std::string& out) {
      r.required(k);
      out = *r.string(k);
      // Printable ASCII without '=' or SOH: the value goes into every message header as written.
      const bool ok = !out.empty() && out.size() <= 64 &&
                      std::all_of(out.begin(), out.end(), [](char c) { return c > ' ' && c < 127 && c != '='; });
      if (!ok) fail(src, r.node(k), "key '" + r.key(k) + "' must be 1 to 64 printable characters without spaces or '='");
    };
    comp_id("sender_comp_id", fc.sender_comp_id);
    comp_id("target_comp_id", fc.target_comp_id);
    if (auto v = r.string("host")) {
      if (v->empty()) fail(src, r.node("host"), "key 'fix.host' must not be empty");
      fc.host = *v;
    }
    r.required("port");
    if (auto v = r.integer("port")) {
      if (*v < 1 || *v > 65535) fail(src, r.node("port"), "key 'fix.port' must be between 1 and 65535");
      fc.port = static_cast<uint16_t>(*v);
    }
    if (auto v = r.integer("heartbeat_s")) {
      if (*v < 1 || *v > 3600) fail(src, r.node("heartbeat_s"), "key 'fix.heartbeat_s' must be between 1 and 3600");
      fc.heartbeat_s = static_cast<int>(*v);
    }
    if (auto v = r.string("store_dir")) {
      if (v->empty()) fail(src, r.node("store_dir"), "key 'fix.store_dir' must not be empty");
      fc.store_dir = *v;
    }
    fc.reset_on_logon = r.boolean("reset_on_logon").value_or(false);
    fc.username = r.string("username").value_or("");
    fc.password_env = r.string("password_env").value_or("");
    r.bounded("reconnect_min_ms", 1, 3'600'000, fc.reconnect_min_ms);
    r.bounded("reconnect_max_ms", 1, 3'600'000, fc.reconnect_max_ms);
    r.bounded("logon_timeout_ms", 100, 600'000, fc.logon_timeout_ms);
    r.bounded("shutdown_wait_ms", 0, 600'000, fc.shutdown_wait_ms);
    if (fc.reconnect_max_ms < fc.reconnect_min_ms)
      fail(src, r.node("reconnect_max_ms") ? r.node("reconnect_max_ms") : r.node("reconnect_min_ms"),
           "key 'fix.reconnect_max_ms' must not be below 'fix.reconnect_min_ms'");
  }
  if (cfg.exec.venue == ExecVenue::Fix && !cfg.fix.present)
    fail(src, top.node("exec"), "[exec] venue = \"fix\" needs a [fix] table (host, port, sender_comp_id, target_comp_id: docs/fix.md)");

  if (const toml::table* t = top.table("cluster")) {
    const Reader r(src, *t, "cluster");
    r.only({"redis_url", "instance", "firm_daily_loss_limit", "fail_closed_after_ms", "heartbeat_ms", "instance_ttl_ms",
            "stream_maxlen", "timeout_ms", "password_env", "key_prefix"});
    ClusterConfig& cc = cfg.cluster;
    cc.present = true;
    if (auto v = r.string("redis_url")) cc.redis_url = *v;
    std::string why;
    const auto url = parse_redis_url(cc.redis_url, why);
    if (!url) fail(src, r.node("redis_url"), "key 'cluster.redis_url' = \"" + cc.redis_url + "\" " + why);
    cc.redis = *url;
    auto name_ok = [](std::string_view n, std::size_t max) {
      return !n.empty() && n.size() <= max && std::all_of(n.begin(), n.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
               c == '-';
      });
    };
    r.required("instance");
    cc.instance = *r.string("instance");
    if (!name_ok(cc.instance, 64))
      fail(src, r.node("instance"), "key 'cluster.instance' = \"" + cc.instance +
                                        "\" must be 1 to 64 letters, digits, '.', '_' or '-' (it names Redis keys)");
    r.required("firm_daily_loss_limit");
    cc.firm_daily_loss_limit = *r.decimal("firm_daily_loss_limit");
    if (cc.firm_daily_loss_limit <= 0)
      fail(src, r.node("firm_daily_loss_limit"), "key 'cluster.firm_daily_loss_limit' must be above 0");
    r.bounded("fail_closed_after_ms", 100, 3'600'000, cc.fail_closed_after_ms);
    r.bounded("heartbeat_ms", 10, 60'000, cc.heartbeat_ms);
    r.bounded("instance_ttl_ms", 100, 3'600'000, cc.instance_ttl_ms);
    r.bounded("stream_maxlen", 1000, 1'000'000'000, cc.stream_maxlen);
    r.bounded("timeout_ms", 10, 60'000, cc.timeout_ms);
    if (cc.instance_ttl_ms < 3 * cc.heartbeat_ms)
      fail(src, r.node("instance_ttl_ms") ? r.node("instance_ttl_ms") : r.node("heartbeat_ms"),
           "key 'cluster.instance_ttl_ms' must be at least 3 x 'cluster.heartbeat_ms' (an instance must not expire "
           "between two heartbeats)");
    cc.password_env = r.string("password_env").value_or("");
    if (auto v = r.string("key_prefix")) {
      if (!name_ok(*v, 32))
        fail(src, r.node("key_prefix"), "key 'cluster.key_prefix' must be 1 to 32 letters, digits, '.', '_' or '-'");
      cc.key_prefix = *v;
    }
  }

  if (const toml::table* t = top.table("threads")) {
    const Reader r(src, *t, "threads");
    r.only({"feed_cpu", "strategy_cpu", "gateway_cpu", "wait", "feed_wait", "strategy_wait", "gateway_wait",
            "sched_fifo_priority", "lock_memory"});
    auto cpu = [&](std::string_view k, int& out) {
      if (auto v = r.integer(k)) {
        if (*v < -1 || *v > 4095) fail(src, r.node(k), "key '" + r.key(k) + "' must be -1 (not pinned) or a CPU number");
        out = static_cast<int>(*v);
      }
    };
    cpu("feed_cpu", cfg.threads.feed_cpu);
    cpu("strategy_cpu", cfg.threads.strategy_cpu);
    cpu("gateway_cpu", cfg.threads.gateway_cpu);
    ThreadsConfig& th = cfg.threads;
    if (auto w = r.string("wait")) th.wait = parse_wait(src, r.node("wait"), r.key("wait"), *w);
    auto stage_wait = [&](std::string_view k, WaitKind& out) {
      out = th.wait;
      if (auto w = r.string(k)) out = parse_wait(src, r.node(k), r.key(k), *w);
    };
    stage_wait("feed_wait", th.feed_wait);
    stage_wait("strategy_wait", th.strategy_wait);
    stage_wait("gateway_wait", th.gateway_wait);
    if (auto v = r.integer("sched_fifo_priority")) {
      if (*v < 0 || *v > 99)
        fail(src, r.node("sched_fifo_priority"), "key 'threads.sched_fifo_priority' must be 0 (off) or 1..99");
      th.sched_fifo_priority = static_cast<int>(*v);
    }
    if (auto v = r.boolean("lock_memory")) th.lock_memory = *v;
  }
  return cfg;
}

// Every failure names the path and the operating system's reason: a directory, a missing or
// unreadable file must not reach the parser as an empty document ("missing key 'symbols'").
Config load_config_file(const std::string& path) {
  auto os_error = [&](const char* what, int err) {
    return ConfigError(printable(path) + ": " + what + ": " + std::system_category().message(err));
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw os_error("cannot open configuration file", errno);
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw os_error("cannot read configuration file", errno);
  if (S_ISDIR(st.st_mode)) throw ConfigError(printable(path) + ": is a directory, not a configuration file");
  std::string text;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw os_error("cannot read configuration file", errno);
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  return parse_config(text, path);
}

}  // namespace tp
