// The subscribe request a venue expects on a new market-data connection (SPEC §10.1), built from
// the configuration's symbols and streams once per connection (off the hot path).
//   Binance:  {"method":"SUBSCRIBE","params":["btcusdt@bookTicker","btcusdt@trade"],"id":1}
//   Coinbase: {"type":"subscribe","product_ids":["BTC-USD"],"channels":["ticker","matches","heartbeat"]}
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tp::feed {

// Binance stream names: the symbol in lower case, '@', the stream ("btcusdt@bookTicker").
std::vector<std::string> binance_stream_names(const std::vector<std::string>& symbols,
                                              const std::vector<std::string>& streams);

// Binance takes at most this many streams on one connection (SPEC §10.7).
inline constexpr std::size_t kBinanceStreamsPerConnection = 1024;

// The stream names of each connection when `symbols` × `streams` are spread over as few
// connections as hold them (at most `per_connection` each): a symbol's streams stay together, on
// one connection, and the connections take nearly equal shares of the symbols, in config order.
std::vector<std::vector<std::string>> binance_streams_per_connection(
    const std::vector<std::string>& symbols, const std::vector<std::string>& streams,
    std::size_t per_connection = kBinanceStreamsPerConnection);

// `params`: stream names (at most 1024 per connection: binance_streams_per_connection splits them);
// `id`: echoed by the venue's acknowledgement ({"result":null,"id":1}).
std::string binance_subscribe(const std::vector<std::string>& params, uint64_t id);

// Coinbase: {"type":"subscribe",...}, or "unsubscribe" (a product's level2 is resubscribed to get a
// new snapshot of its book: docs/order-book.md).
std::string coinbase_subscribe(const std::vector<std::string>& product_ids, const std::vector<std::string>& channels,
                               bool unsubscribe = false);

}  // namespace tp::feed
