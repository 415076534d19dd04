#include "feed/live/subscribe_request.hpp"

#include <algorithm>
#include <cctype>
#include <cstddef>

namespace tp::feed {
namespace {

// A JSON string literal. Symbol names come from the configuration: escape what JSON requires.
void append_json_string(std::string& out, const std::string& s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (b < 0x20) {
      out += "\\u00";
      out += kHex[b >> 4];
      out += kHex[b & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
}

void append_array(std::string& out, const std::vector<std::string>& items) {
  out += '[';
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i != 0) out += ',';
    append_json_string(out, items[i]);
  }
  out += ']';
}

}  // namespace

std::vector<std::string> binance_stream_names(const std::vector<std::string>& symbols,
                                              const std::vector<std::string>& streams) {
  std::vector<std::string> out;
  out.reserve(symbols.size() * streams.size());
  for (const auto& sym : symbols) {
    std::string lower;
    lower.reserve(sym.size());
    for (const char c : sym) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const auto& st : streams) out.push_back(lower + "@" + st);
  }
  return out;
}

std::vector<std::vector<std::string>> binance_streams_per_connection(const std::vector<std::string>& symbols,
                                                                   const std::vector<std::string>& streams,
                                                                   std::size_t per_connection) {
  std::vector<std::vector<std::string>> out;
  if (symbols.empty() || streams.empty()) return out;
  // Whole symbols per connection: at most this many fit.
  const std::size_t fit = std::max<std::size_t>(per_connection / streams.size(), 1);
  const std::size_t connections = (symbols.size() + fit - 1) / fit;
  // Near-equal shares: the first `symbols % connections` connections take one symbol more.
  const std::size_t base = symbols.size() / connections;
  const std::size_t extra = symbols.size() % connections;
  std::size_t at = 0;
  for (std::size_t c = 0; c < connections; ++c) {
    const std::size_t n = base + (c < extra ? 1 : 0);
    const std::vector<std::string> share(symbols.begin() + static_cast<std::ptrdiff_t>(at),
                                         symbols.begin() + static_cast<std::ptrdiff_t>(at + n));
    out.push_back(binance_stream_names(share, streams));
    at += n;
  }
  return out;
}

std::string binance_subscribe(const std::vector<std::string>& params, uint64_t id) {
  std::string out = R"({"method":"SUBSCRIBE","params":)";
  append_array(out, params);
  out += ",\"id\":";
  out += std::to_string(id);
  out += '}';
  return out;
}

std::string coinbase_subscribe(const std::vector<std::string>& product_ids, const std::vector<std::string>& channels,
                               bool unsubscribe) {
  std::string out = unsubscribe ? R"({"type":"unsubscribe","product_ids":)" : R"({"type":"subscribe","product_ids":)";
  append_array(out, product_ids);
  out += ",\"channels\":";
  append_array(out, channels);
  out += '}';
  return out;
}

}  // namespace tp::feed
