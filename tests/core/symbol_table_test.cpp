// SymbolTable (core/types/symbol_table.hpp): dense ids in configured order, allocation-free lookup by
// string_view, unknown -> kNoSymbol, invalid configurations throw.
#include "core/types/symbol_table.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tp {
namespace {

// "S<i>", built by appending (GCC 12 -Wrestrict misfires on `"S" + std::to_string(i)` at -O3).
std::string sym(std::size_t i) {
  std::string s = "S";
  s += std::to_string(i);
  return s;
}

TEST(SymbolTable, IdsFollowConfiguredOrder) {
  const SymbolTable t({"BTCUSDT", "ETHUSDT", "BTC-USD", "SOLUSDT"});
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t.find("BTCUSDT"), 0u);
  EXPECT_EQ(t.find("ETHUSDT"), 1u);
  EXPECT_EQ(t.find("BTC-USD"), 2u);
  EXPECT_EQ(t.find("SOLUSDT"), 3u);
  for (SymbolId id = 0; id < t.size(); ++id) EXPECT_EQ(t.find(t.name(id)), id);
  EXPECT_EQ(t.name(2), "BTC-USD");
}

TEST(SymbolTable, FindFromANonOwningBuffer) {
  const SymbolTable t({"BTCUSDT", "ETHUSDT"});
  // A view into the middle of a message buffer, not NUL-terminated, followed by other bytes.
  const char msg[] = R"({"s":"ETHUSDTX","x":1})";
  const char* at = std::strstr(msg, "ETHUSDT");
  EXPECT_EQ(t.find(std::string_view(at, 7)), 1u);
  EXPECT_EQ(t.find(std::string_view(at, 8)), kNoSymbol);  // "ETHUSDTX"
  EXPECT_EQ(t.find(std::string_view(at, 6)), kNoSymbol);  // "ETHUSD": a prefix is not a match
}

TEST(SymbolTable, UnknownIsNoSymbol) {
  const SymbolTable t({"BTCUSDT"});
  EXPECT_EQ(t.find("ETHUSDT"), kNoSymbol);
  EXPECT_EQ(t.find("btcusdt"), kNoSymbol);  // exact, case-sensitive
  EXPECT_EQ(t.find(""), kNoSymbol);
  EXPECT_EQ(t.find(std::string_view("BTCUSDT\0", 8)), kNoSymbol);
  const SymbolTable empty;
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_EQ(empty.find("BTCUSDT"), kNoSymbol);
  const SymbolTable none(std::vector<std::string>{});
  EXPECT_EQ(none.find("BTCUSDT"), kNoSymbol);
}

TEST(SymbolTable, DuplicateEmptyOrTooManyThrow) {
  EXPECT_THROW(SymbolTable({"BTCUSDT", "ETHUSDT", "BTCUSDT"}), std::invalid_argument);
  EXPECT_THROW(SymbolTable({"BTCUSDT", ""}), std::invalid_argument);
  EXPECT_THROW(SymbolTable({""}), std::invalid_argument);
  std::vector<std::string> many;
  for (std::size_t i = 0; i <= kMaxSymbols; ++i) many.push_back(sym(i));
  EXPECT_THROW(SymbolTable{many}, std::invalid_argument);
  many.pop_back();
  const SymbolTable max(many);  // exactly kMaxSymbols is fine
  EXPECT_EQ(max.size(), kMaxSymbols);
  for (std::size_t i = 0; i < kMaxSymbols; ++i) ASSERT_EQ(max.find(sym(i)), i);
  EXPECT_EQ(max.find("S4096"), kNoSymbol);
}

TEST(SymbolTable, ManySimilarNamesAllDistinct) {
  // Names that share prefixes and lengths exercise hash collisions and linear probing.
  std::vector<std::string> names;
  for (char a = 'A'; a <= 'Z'; ++a)
    for (char b = 'A'; b <= 'Z'; ++b) {
      std::string n = "X";
      n += a;
      n += b;
      n += "USDT";
      names.push_back(n);
    }
  const SymbolTable t(names);
  for (std::size_t i = 0; i < names.size(); ++i) ASSERT_EQ(t.find(names[i]), i) << names[i];
  EXPECT_EQ(t.find("XAAUSD"), kNoSymbol);
  EXPECT_EQ(t.find("XZZUSDTT"), kNoSymbol);
}

}  // namespace
}  // namespace tp
