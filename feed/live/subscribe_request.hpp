// The subscribe request a venue expects on a new market-data connection (SPEC §10.1), built from
// the configuration's symbols and streams once per connection (off the hot path).
//   Binance:  {"method":"SUBSCRIBE","params":["btcusdt@bookTicker","btcusdt@trade"],"id":1}
//   Coinbase: {"type":"subscribe","product_ids":["BTC-USD"],"channels":["ticker","matches","heartbeat"]}
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tp::feed {

// Binance stream names: the symbol in lower case, '@', the stream ("btcusdt@bookTicker").
std::vector<std::string> binance_stream_names(const std::vector<std::string>& symbols,
                                              const std::vector<std::string>& streams);

// `params`: stream names (at most 1024 per connection, Binance's limit: the caller splits them);
// `id`: echoed by the venue's acknowledgement ({"result":null,"id":1}).
std::string binance_subscribe(const std::vector<std::string>& params, uint64_t id);

std::string coinbase_subscribe(const std::vector<std::string>& product_ids, const std::vector<std::string>& channels);

}  // namespace tp::feed
