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

#include "core/types/decimal.hpp"
#include "core/types/symbol_table.hpp"
#include "core/types/ws_url.hpp"
#include "core/threads/wait_strategy.hpp"

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

// What one market message can make the simulated venue report must fit ring C in deterministic
// mode, where ring C is drained only after the gateway is done with the message (exec asserts it).
// Touch model: one report per order it holds, so kMaxSimOrders. Book model: a walk fills each level
// it empties plus one partial level, and ends an order with a fill or a cancel, so at most
// book.levels + 2 x sim.max_orders (config validation checks it).
inline constexpr int64_t kMaxSimReportsPerMessage = 16384;
// Upper bound of sim.max_orders.
inline constexpr int64_t kMaxSimOrders = kMaxSimReportsPerMessage / 2;

// How the simulated venue fills (docs/order-book.md): Touch, at the book top (SPEC §6); Book, by
// walking the order book [book] keeps (market orders level by level, limit orders in a queue).
enum class FillModel : uint8_t { Touch, Book };

struct SimConfig {
  FillModel fill_model = FillModel::Touch;
  int64_t latency_ns = 0;
  Fixed taker_fee_bps = 10 * kScale;
  std::optional<Fixed> maker_fee_bps;  // resting limit orders; absent: taker_fee_bps. Negative: a rebate
  int64_t max_orders = 4096;           // orders the venue holds at once (waiting for latency, or resting);
                                       // 1 .. kMaxSimOrders
};

struct StrategyConfig {
  std::string entry = "none";  // as written: "none" or "momentum_breakout" (EntryConfig::kind is the parsed form)
};

// [stop_loss] (docs/configuration.md, docs/decisions.md). The table being present turns the rule on.
struct StopLossConfig {
  bool enabled = false;                 // [stop_loss] present
  Fixed loss_pct = 2 * kScale;          // > 0: fires when the loss of the position reaches this % of entry
  Fixed close_fraction = kScale;        // (0, 1]: share of |q| closed, rounded down to the lot step
  std::vector<SymbolId> symbols;        // ids ([[symbols]] order) it applies to; empty = every symbol
};

// [trailing_stop]. The table being present turns the rule on.
struct TrailingStopConfig {
  bool enabled = false;                 // [trailing_stop] present
  Fixed trail_pct = 1 * kScale;         // > 0: fires when the mark retraces this % from the best mark
  Fixed activation_pct = 0;             // >= 0: only once the best has gained this % over entry (0 = always)
  Fixed close_fraction = kScale;        // (0, 1]
  std::vector<SymbolId> symbols;        // empty = every symbol
};

enum class EntryKind : uint8_t { None = 0, MomentumBreakout = 1 };

inline constexpr int64_t kMaxEntryLookback = 10'000;  // mids kept per symbol (8 bytes each)

// [strategy] entry and [strategy.momentum_breakout].
struct EntryConfig {
  EntryKind kind = EntryKind::None;
  int64_t lookback = 20;                // 1 .. kMaxEntryLookback previous mids
  Fixed breakout_bps = 5 * kScale;      // 0 .. 10000 basis points beyond the window's max/min
  Fixed notional = 1000 * kScale;       // > 0, quote currency per entry
  bool allow_short = false;             // downside breakouts sell short
  int64_t cooldown_events = 100;        // 0 .. 1e9 book tops of the symbol after an entry with no entry
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

// When the journal reaches the disk (docs/durability.md).
enum class FsyncPolicy : uint8_t {
  Never,       // write(2) at checkpoints and batches; the kernel decides when to write back
  Checkpoint,  // fsync(2) at every checkpoint record (default)
  EveryBatch,  // fsync(2) at every flush (each drained batch in threaded mode, each checkpoint)
};

struct JournalConfig {
  int64_t checkpoint_events = 10000;  // market events between checkpoint records
  FsyncPolicy fsync = FsyncPolicy::Checkpoint;
};

// Thread placement and waiting (tickpipe's own section; SPEC §8 allows more keys).
struct ThreadsConfig {
  int feed_cpu = -1;  // -1: not pinned
  int strategy_cpu = -1;
  int gateway_cpu = -1;
  // How each stage waits on an empty input ring (`wait` is the default of the three). The default
  // spins briefly and then yields, so busy stages never starve the operating system.
  WaitKind wait = WaitKind::SpinThenYield;
  WaitKind feed_wait = WaitKind::SpinThenYield;
  WaitKind strategy_wait = WaitKind::SpinThenYield;
  WaitKind gateway_wait = WaitKind::SpinThenYield;
  int sched_fifo_priority = 0;  // 1..99: run the stage threads SCHED_FIFO at this priority; 0: off
  bool lock_memory = false;     // mlockall(MCL_CURRENT | MCL_FUTURE) before the stages start
};

// `tickpipe live` (SPEC §10): the venue's WebSocket market data.
struct LiveConfig {
  bool present = false;               // a [live] table was given (tickpipe live requires it)
  std::string url;                    // ws:// or wss:// (checked by parse_ws_url)
  // Binance: per-symbol streams ("bookTicker", "trade", "aggTrade", "depth", "depth@100ms");
  // Coinbase: channels ("ticker", "matches", "heartbeat"). Default per venue (SPEC §10).
  std::vector<std::string> streams;
  bool compression = false;           // offer permessage-deflate
  std::string ca_file;                // extra PEM trust anchor for wss ("" = the system store only)
  int64_t stale_after_ms = 5000;      // per-symbol watchdog, and silence on a connection
  int64_t reconnect_min_ms = 100;     // backoff: doubles up to the max, with jitter
  int64_t reconnect_max_ms = 30000;
};

// The operations endpoint (SPEC §12): health, metrics, state and admin over HTTP, off the hot path.
struct OpsConfig {
  bool present = false;                 // an [ops] table was given
  std::string listen_host = "127.0.0.1";  // an IPv4 address literal
  uint16_t listen_port = 9464;          // 0: the kernel picks (logged as event=ops_listening)
  std::string admin_token_env = "TICKPIPE_ADMIN_TOKEN";  // "" or an unset variable: admin is off
  int64_t stall_after_ms = 1000;        // a stage whose heartbeat stands still this long has stalled
  std::string log_level = "info";       // debug | info | warn | error
};

// [cluster] (SPEC §13, docs/cluster.md): this instance among many under one firm-wide daily loss
// limit, over Redis. The first four keys are SPEC's; the rest have defaults.
struct ClusterConfig {
  bool present = false;
  std::string redis_url = "redis://127.0.0.1:6379/0";
  RedisUrl redis;                      // redis_url, parsed
  std::string instance;                // this instance's name: 1-64 of [A-Za-z0-9._-], unique in the firm
  Fixed firm_daily_loss_limit = 0;     // > 0, quote currency, across every live instance
  int64_t fail_closed_after_ms = 5000; // Redis unreachable this long: REDUCING until it is back
  int64_t heartbeat_ms = 200;          // how often the instance publishes its figures
  int64_t instance_ttl_ms = 3000;      // an instance silent this long is no longer live
  int64_t stream_maxlen = 1'000'000;   // the journal stream is trimmed to about this many records
  int64_t timeout_ms = 1000;           // connect and command timeout
  std::string password_env;            // "" : no AUTH; else the variable holding the password
  std::string key_prefix = "tickpipe"; // every key and channel starts with this
};

// Where orders go (SPEC §10, §11).
enum class ExecVenue : uint8_t { Sim, Fix };

struct ExecConfig {
  ExecVenue venue = ExecVenue::Sim;
};

// [fix]: the FIX 4.4 session of `[exec] venue = "fix"` (SPEC §11; docs/fix.md).
struct FixConfig {
  bool present = false;                // a [fix] table was given
  std::string host = "127.0.0.1";      // a name or IPv4 address, resolved once at start
  uint16_t port = 0;                   // required
  std::string sender_comp_id;          // required: ours
  std::string target_comp_id;          // required: the acceptor's
  int heartbeat_s = 30;
  std::string store_dir = "fix-store"; // sequence numbers and sent messages, kept across restarts
  bool reset_on_logon = false;         // ResetSeqNumFlag=Y on every Logon (sequence numbers from 1)
  std::string username;                // Username (553) on the Logon; "" = not sent
  std::string password_env;            // Password (554) is read from this environment variable
  int64_t reconnect_min_ms = 100;      // backoff: doubles up to the max, with jitter
  int64_t reconnect_max_ms = 30000;
  int64_t logon_timeout_ms = 10000;    // connect + the Logon answer
  int64_t shutdown_wait_ms = 5000;     // at shutdown: how long open orders may take to finish
};

// [book]: an L2 order book per symbol from the venue's depth messages (docs/order-book.md).
struct BookConfig {
  bool enabled = false;            // [book] present and not enabled = false
  int64_t levels = 5000;           // per side, 1 .. kMaxBookLevels (a Binance REST snapshot holds up to 5000)
  int64_t buffer_diffs = 1024;     // diffs kept while a snapshot is awaited, 1 .. 1000000
  // Live Binance: where the depth snapshot is fetched, "{symbol}" replaced by the symbol's name.
  // "" = derived from live.url (docs/order-book.md).
  std::string snapshot_url;
  // Live: how long a snapshot asked for may take, 100 .. 60000. Binance: one REST fetch, connect to
  // last byte. Coinbase: a product is resubscribed at most this often (its snapshot comes with it).
  int64_t snapshot_timeout_ms = 5000;
};
inline constexpr int64_t kMaxBookLevels = 100'000;

struct Config {
  VenueFormat venue_format = VenueFormat::Binance;
  std::vector<SymbolConfig> symbols;
  std::vector<PositionConfig> positions;
  std::vector<ProfitLevel> profit_levels;
  RiskConfig risk;
  SimConfig sim;
  BookConfig book;
  StrategyConfig strategy;
  StopLossConfig stop_loss;
  TrailingStopConfig trailing_stop;
  EntryConfig entry;
  FeedConfig feed;
  JournalConfig journal;
  ThreadsConfig threads;
  LiveConfig live;
  OpsConfig ops;
  ExecConfig exec;
  FixConfig fix;
  ClusterConfig cluster;

  std::vector<std::string> symbol_names() const;
};

// Throws ConfigError. `source_name` is used in messages (usually the path).
Config parse_config(std::string_view toml_text, const std::string& source_name);
Config load_config_file(const std::string& path);

}  // namespace tp
