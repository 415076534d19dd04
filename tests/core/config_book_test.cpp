// [book] and [sim] fill_model (docs/configuration.md, docs/order-book.md): defaults, ranges, and the
// rules that tie them together.
#include <gtest/gtest.h>

#include <string>

#include "config_snippets.hpp"
#include "core/config/config.hpp"

namespace tp {
namespace {

Config parse(const std::string& extra) { return testing::parse_one_symbol(extra); }
std::string error_of(const std::string& extra) { return testing::one_symbol_error(extra); }

TEST(ConfigBook, AbsentMeansNoBookAndTheTouchModel) {
  const Config c = parse("");
  EXPECT_FALSE(c.book.enabled);
  EXPECT_EQ(c.sim.fill_model, FillModel::Touch);
}

TEST(ConfigBook, ATableTurnsTheBookOnWithDefaults) {
  const Config c = parse("[book]\n");
  EXPECT_TRUE(c.book.enabled);
  EXPECT_EQ(c.book.levels, 5000);
  EXPECT_EQ(c.book.buffer_diffs, 1024);
  EXPECT_EQ(c.sim.fill_model, FillModel::Touch);
}

TEST(ConfigBook, KeysAreRead) {
  const Config c = parse("[book]\nlevels = 200\nbuffer_diffs = 16\n[sim]\nfill_model = \"book\"\n");
  EXPECT_TRUE(c.book.enabled);
  EXPECT_EQ(c.book.levels, 200);
  EXPECT_EQ(c.book.buffer_diffs, 16);
  EXPECT_EQ(c.sim.fill_model, FillModel::Book);
  EXPECT_FALSE(parse("[book]\nenabled = false\n").book.enabled);
  EXPECT_EQ(parse("[sim]\nfill_model = \"touch\"\n").sim.fill_model, FillModel::Touch);
}

TEST(ConfigBook, OutOfRangeAndUnknownKeysAreErrorsNamingTheKey) {
  EXPECT_NE(error_of("[book]\nlevels = 0\n").find("'book.levels' must be between 1 and 100000"), std::string::npos);
  EXPECT_NE(error_of("[book]\nlevels = 100001\n").find("'book.levels'"), std::string::npos);
  EXPECT_NE(error_of("[book]\nbuffer_diffs = 0\n").find("'book.buffer_diffs'"), std::string::npos);
  EXPECT_NE(error_of("[book]\ndepth = 5\n").find("depth"), std::string::npos);
  EXPECT_NE(error_of("[book]\nenabled = \"yes\"\n").find("book.enabled"), std::string::npos);
  EXPECT_NE(error_of("[sim]\nfill_model = \"vwap\"\n").find("must be \"touch\" or \"book\""), std::string::npos);
}

TEST(ConfigBook, TheSnapshotUrlMustBeHttpAndNameTheSymbol) {
  EXPECT_EQ(parse("[book]\n").book.snapshot_url, "");
  EXPECT_EQ(parse("[book]\n").book.snapshot_timeout_ms, 5000);
  EXPECT_EQ(parse("[book]\nsnapshot_timeout_ms = 250\n").book.snapshot_timeout_ms, 250);
  EXPECT_NE(error_of("[book]\nsnapshot_timeout_ms = 99\n").find("'book.snapshot_timeout_ms' must be between 100 and 60000"),
            std::string::npos);
  const std::string url = "https://fapi.binance.com/fapi/v1/depth?symbol={symbol}&limit=1000";
  EXPECT_EQ(parse("[book]\nsnapshot_url = \"" + url + "\"\n").book.snapshot_url, url);
  for (const char* bad : {"wss://api.binance.com/api/v3/depth?symbol={symbol}", "https://api.binance.com/api/v3/depth",
                          "api.binance.com/{symbol}"}) {
    const std::string e = error_of(std::string("[book]\nsnapshot_url = \"") + bad + "\"\n");
    EXPECT_NE(e.find("'book.snapshot_url' must be an http:// or https:// URL holding {symbol}"), std::string::npos)
        << bad << ": " << e;
  }
}

TEST(ConfigBook, TheBookFillModelNeedsABook) {
  const std::string e = error_of("[sim]\nfill_model = \"book\"\n");
  EXPECT_NE(e.find("needs an order book: add a [book] table"), std::string::npos) << e;
  EXPECT_NE(error_of("[book]\nenabled = false\n[sim]\nfill_model = \"book\"\n").find("[book]"), std::string::npos);
}

TEST(ConfigBook, WhatOneMessageCanMakeTheVenueReportMustFitItsRing) {
  // levels + 2 x max_orders <= 16384.
  EXPECT_EQ(error_of("[book]\nlevels = 8192\n[sim]\nfill_model = \"book\"\nmax_orders = 4096\n"), "");
  const std::string e = error_of("[book]\nlevels = 8193\n[sim]\nfill_model = \"book\"\nmax_orders = 4096\n");
  EXPECT_NE(e.find("book.levels + 2 x sim.max_orders = 16385 is over 16384"), std::string::npos) << e;
  // The touch model does not walk the book: no such bound.
  EXPECT_EQ(error_of("[book]\nlevels = 100000\n[sim]\nmax_orders = 8192\n"), "");
}

}  // namespace
}  // namespace tp
