// Engine configuration (SPEC §8): the TOML file a user writes, validated into plain values.
//
// Loading is start-up code: it allocates and throws ConfigError with a message that names the
// key (and the line, where the TOML parser knows it). The engine turns that into exit status 2.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/decimal.hpp"
#include "core/wait_strategy.hpp"

namespace tp {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class VenueFormat : uint8_t { Binance, Coinbase };

struct SymbolConfig {
  std::string name;      // as the venue spells it
  Fixed lot_step = 0;    // > 0; order quantities are multiples of it
  Fixed min_qty = 0;     // default: lot_step
  Fixed min_notional = 0;
};

struct PositionConfig {
  std::string symbol;
  Fixed qty = 0;          // signed: negative is a short
  Fixed entry_price = 0;  // > 0
};

struct ProfitLevel {
  Fixed gain_pct = 0;         // percent, e.g. 5.0 -> 5_00000000
  Fixed reduce_fraction = 0;  // (0, 1], e.g. 0.30 -> 30000000
};

struct RiskConfig {
  std::optional<Fixed> daily_loss_limit;  // quote currency; absent = no limit
  int day_reset_minutes = 0;              // minutes after 00:00 UTC
  bool flatten_on_halt = true;
  Fixed max_order_qty = 100 * kScale;
  Fixed max_order_notional = 1'000'000 * kScale;
  int64_t max_orders_per_sec = 100;
  int64_t duplicate_window_ms = 0;
  Fixed price_band_pct = 5 * kScale;  // a limit price within +-this percent of the order's ref_px; > 0
  int64_t max_open_orders = 50;       // accepted by the gateway and not yet finished; >= 1
};

// Upper bound of sim.max_orders: everything one book top can make the simulated venue report
// (one report per order it holds) must fit ring C in deterministic mode (exec asserts it).
inline constexpr int64_t kMaxSimOrders = 8192;

struct SimConfig {
  int64_t latency_ns = 0;
  Fixed taker_fee_bps = 10 * kScale;
  std::optional<Fixed> maker_fee_bps;  // resting limit orders; absent: taker_fee_bps. Negative: a rebate
  int64_t max_orders = 4096;           // orders the venue holds at once (waiting for latency, or resting);
                                       // 1 .. kMaxSimOrders
};

struct StrategyConfig {
  std::string entry = "none";
};

// Limits of the feed's decoding chain (tickpipe's own section; SPEC 8 allows more keys).
struct FeedConfig {
  int64_t max_message_bytes = 16 << 20;       // larger WebSocket messages are dropped and counted
  int64_t max_out_of_order_bytes = 4 << 20;   // per TCP direction, buffered ahead of a hole
  int64_t max_connections = 64;               // TCP connections tracked at once
  int64_t max_resync_bytes = 1 << 20;         // per direction: bytes searched for a frame boundary after a hole
  int64_t max_ip_fragment_datagrams = 16;     // IP datagrams being reassembled at once
  int64_t max_ip_fragment_bytes = 1 << 20;    // bytes held for them in all
  int64_t ip_fragment_timeout_ms = 30'000;    // by capture time
};

// Thread placement and waiting (tickpipe's own section; SPEC §8 allows more keys).
struct ThreadsConfig {
  int feed_cpu = -1;  // -1: not pinned
  int strategy_cpu = -1;
  int gateway_cpu = -1;
  WaitKind wait = WaitKind::SpinThenYield;
};

struct Config {
  VenueFormat venue_format = VenueFormat::Binance;
  std::vector<SymbolConfig> symbols;
  std::vector<PositionConfig> positions;
  std::vector<ProfitLevel> profit_levels;
  RiskConfig risk;
  SimConfig sim;
  StrategyConfig strategy;
  FeedConfig feed;
  ThreadsConfig threads;

  std::vector<std::string> symbol_names() const;
};

// Throws ConfigError. `source_name` is used in messages (usually the path).
Config parse_config(std::string_view toml_text, const std::string& source_name);
Config load_config_file(const std::string& path);

}  // namespace tp
