// Configuration limits (docs/configuration.md "Limits"), loading a configuration path that is not a
// readable file, and error messages that quote outside bytes.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/config/config.hpp"
#include "core/strategy/profit_taker.hpp"
#include "core/types/symbol_table.hpp"

namespace tp {
namespace {

std::string error_of(const std::string& text) {
  try {
    parse_config(text, "t.toml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

std::string load_error_of(const std::string& path) {
  try {
    load_config_file(path);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// n [[symbols]] tables, three lines each: the k-th (0-based) header is on line 3k + 1.
std::string symbols_config(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += "[[symbols]]\nname = \"S" + std::to_string(i) + "\"\nlot_step = \"1\"\n";
  return s;
}

constexpr const char* kOneSymbol = "[[symbols]]\nname = \"BTCUSDT\"\nlot_step = \"0.00001\"\n";

// n levels of an inline array, one per line after the `levels = [` line (line 5 of the file).
std::string levels_config(std::size_t n) {
  std::string s = std::string(kOneSymbol) + "[profit_take]\nlevels = [\n";
  for (std::size_t i = 0; i < n; ++i)
    s += "  { gain_pct = " + std::to_string(i + 1) + ", reduce_fraction = 0.01 },\n";
  return s + "]\n";
}

bool all_printable(const std::string& s) {
  for (const char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) return false;
  return true;
}

TEST(ConfigLimits, AtMost4096Symbols) {
  static_assert(kMaxSymbols == 4096, "docs/configuration.md documents 4096");
  const Config ok = parse_config(symbols_config(kMaxSymbols), "t.toml");
  EXPECT_EQ(ok.symbols.size(), kMaxSymbols);
  EXPECT_EQ(SymbolTable(ok.symbol_names()).size(), kMaxSymbols) << "the table takes what the config accepts";

  const std::string err = error_of(symbols_config(kMaxSymbols + 1));
  ASSERT_FALSE(err.empty()) << "4097 symbols must be a ConfigError (exit 2), not a failure later";
  EXPECT_NE(err.find("key 'symbols'"), std::string::npos) << err;
  EXPECT_NE(err.find("at most 4096"), std::string::npos) << err;
  EXPECT_NE(err.find("'symbols[4096]'"), std::string::npos) << err;
  EXPECT_EQ(err.rfind("t.toml:" + std::to_string(3 * kMaxSymbols + 1) + ": ", 0), 0u)
      << "names the line of the 4097th [[symbols]]: " << err;
}

TEST(ConfigLimits, AtMost32ProfitLevels) {
  static_assert(kMaxProfitLevels == 32, "docs/configuration.md documents 32");
  const Config ok = parse_config(levels_config(kMaxProfitLevels), "t.toml");
  EXPECT_EQ(ok.profit_levels.size(), kMaxProfitLevels);

  const std::string err = error_of(levels_config(kMaxProfitLevels + 1));
  ASSERT_FALSE(err.empty()) << "33 levels must be a ConfigError (exit 2), not a failure later";
  EXPECT_NE(err.find("key 'profit_take.levels'"), std::string::npos) << err;
  EXPECT_NE(err.find("at most 32"), std::string::npos) << err;
  EXPECT_NE(err.find("'profit_take.levels[32]'"), std::string::npos) << err;
  EXPECT_EQ(err.rfind("t.toml:" + std::to_string(6 + kMaxProfitLevels) + ": ", 0), 0u)
      << "names the line of the 33rd level: " << err;
}

TEST(ConfigLimits, AtMost32ProfitLevelsAsArrayOfTables) {
  std::string text = kOneSymbol;
  for (std::size_t i = 0; i <= kMaxProfitLevels; ++i)
    text += "[[profit_take.levels]]\ngain_pct = " + std::to_string(i + 1) + "\nreduce_fraction = 0.01\n";
  const std::string err = error_of(text);
  EXPECT_NE(err.find("key 'profit_take.levels'"), std::string::npos) << err;
  EXPECT_EQ(err.rfind("t.toml:" + std::to_string(4 + 3 * kMaxProfitLevels) + ": ", 0), 0u) << err;
}

// A fresh directory under the system temp dir, removed at the end.
class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tickpipe-config-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::permissions(dir_ + "/locked.toml", std::filesystem::perms::owner_all, ec);
    std::filesystem::remove_all(dir_, ec);
  }
  std::string dir_;
};

TEST_F(ConfigFile, ADirectoryIsAConfigErrorThatSaysSo) {
  const std::string err = load_error_of(dir_);
  EXPECT_NE(err.find(dir_ + ": "), std::string::npos) << err;
  EXPECT_NE(err.find("is a directory"), std::string::npos) << err;
  EXPECT_EQ(err.find("symbols"), std::string::npos) << "not parsed as an empty document: " << err;
}

TEST_F(ConfigFile, AMissingFileNamesThePathAndTheReason) {
  const std::string path = dir_ + "/missing.toml";
  const std::string err = load_error_of(path);
  EXPECT_NE(err.find(path + ": cannot open configuration file: "), std::string::npos) << err;
  EXPECT_NE(err.find("No such file or directory"), std::string::npos) << err;
  EXPECT_THROW(load_config_file("/nonexistent/tickpipe.toml"), ConfigError);

  std::ofstream(dir_ + "/file") << kOneSymbol;
  const std::string under_file = load_error_of(dir_ + "/file/c.toml");
  EXPECT_NE(under_file.find("Not a directory"), std::string::npos) << under_file;
}

TEST_F(ConfigFile, AnUnreadableFileNamesThePathAndTheReason) {
  const std::string path = dir_ + "/locked.toml";
  std::ofstream(path) << kOneSymbol;
  ASSERT_EQ(chmod(path.c_str(), 0), 0);
  if (access(path.c_str(), R_OK) == 0) GTEST_SKIP() << "running with CAP_DAC_OVERRIDE (root): mode 000 is readable";
  const std::string err = load_error_of(path);
  EXPECT_NE(err.find(path + ": cannot open configuration file: "), std::string::npos) << err;
  EXPECT_NE(err.find("Permission denied"), std::string::npos) << err;
}

TEST_F(ConfigFile, AReadErrorNamesThePathAndTheReason) {
  // Opens fine, and reading offset 0 of the process's own memory fails (EIO): the read path.
  if (!std::filesystem::exists("/proc/self/mem")) GTEST_SKIP() << "no /proc";
  const std::string err = load_error_of("/proc/self/mem");
  EXPECT_NE(err.find("/proc/self/mem: cannot read configuration file: "), std::string::npos) << err;
}

TEST_F(ConfigFile, AReadableFileLoads) {
  std::ofstream(dir_ + "/c.toml") << kOneSymbol;
  EXPECT_EQ(load_config_file(dir_ + "/c.toml").symbols.size(), 1u);
}

TEST_F(ConfigFile, ThePathIsEscapedInMessages) {
  const std::string path = dir_ + "/\x1b]0;pwned\x07.toml";
  const std::string err = load_error_of(path);
  EXPECT_TRUE(all_printable(err)) << err;
  EXPECT_NE(err.find("\\x1b]0;pwned\\x07.toml: cannot open"), std::string::npos) << err;
}

TEST(ConfigEscaping, KeysAndValuesFromTheFileAreEscaped) {
  // TOML escapes put any code point in a key or a string; the message must not carry them raw.
  const std::string dup = error_of(
      "[[symbols]]\nname = \"\\u001b]0;pwned\\u0007\"\nlot_step = \"1\"\n"
      "[[symbols]]\nname = \"\\u001b]0;pwned\\u0007\"\nlot_step = \"1\"\n");
  EXPECT_TRUE(all_printable(dup)) << dup;
  EXPECT_NE(dup.find("symbol '\\x1b]0;pwned\\x07' is configured twice"), std::string::npos) << dup;

  const std::string key = error_of("\"\\u001b[2J\" = 1\n" + std::string(kOneSymbol));
  EXPECT_TRUE(all_printable(key)) << key;
  EXPECT_NE(key.find("unknown key '\\x1b[2J'"), std::string::npos) << key;

  const std::string val = error_of(std::string(kOneSymbol) + "[venue]\nformat = \"\\u009b2J\\u00e9\"\n");
  EXPECT_TRUE(all_printable(val)) << val;
  EXPECT_NE(val.find("key 'venue.format' = \"\\xc2\\x9b2J\\xc3\\xa9\""), std::string::npos) << val;

  const std::string pos = error_of(std::string(kOneSymbol) +
                                   "[[positions]]\nsymbol = \"\\u001b[31mBTC\"\nqty = \"1\"\nentry_price = \"1\"\n");
  EXPECT_TRUE(all_printable(pos)) << pos;
  EXPECT_NE(pos.find("\\x1b[31mBTC"), std::string::npos) << pos;
}

TEST(ConfigEscaping, ParseErrorsAreEscaped) {
  // Raw control bytes in the document: a TOML syntax error whose message may quote them.
  for (const std::string& bad : {std::string("\x1b]0;pwned\x07 = 1\n"), std::string("a = \"\x1b[2J\"\n"),
                                std::string("[[symbols]]\nname = \"\x9b\"\n")}) {
    const std::string err = error_of(bad);
    ASSERT_FALSE(err.empty());
    EXPECT_TRUE(all_printable(err)) << err;
  }
  try {
    parse_config("x = [", "\x1b[2J.toml");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_TRUE(all_printable(e.what())) << e.what();
  }
}

}  // namespace
}  // namespace tp
