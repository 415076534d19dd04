// Configuration text for the config tests: one symbol, and what parsing it with more makes.
#pragma once

#include <string>

#include "core/config/config.hpp"

namespace tp::testing {

inline constexpr const char* kOneSymbol = "[[symbols]]\nname = \"BTCUSDT\"\nlot_step = \"0.00001\"\n";

// kOneSymbol followed by `extra`, parsed.
inline Config parse_one_symbol(const std::string& extra) {
  return parse_config(std::string(kOneSymbol) + extra, "t.toml");
}

// The ConfigError message for kOneSymbol followed by `extra` ("" when it parses).
inline std::string one_symbol_error(const std::string& extra) {
  try {
    parse_one_symbol(extra);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace tp::testing
