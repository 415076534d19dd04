#include "core/types/printable.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace tp {
namespace {

using namespace std::string_literals;

TEST(Printable, PrintableAsciiPassesUnchanged) {
  std::string all;
  for (int c = 0x20; c <= 0x7e; ++c)
    if (c != '\\') all += static_cast<char>(c);
  EXPECT_EQ(printable(all), all);
  EXPECT_EQ(printable(""), "");
  EXPECT_EQ(printable("BTCUSDT"), "BTCUSDT");
}

TEST(Printable, ControlBytesDelAndHighBytesAreHexEscaped) {
  EXPECT_EQ(printable("\x1b]0;pwned\x07"), "\\x1b]0;pwned\\x07");
  EXPECT_EQ(printable("\x1b[2J"), "\\x1b[2J");
  EXPECT_EQ(printable("a\nb\rc\td"), "a\\x0ab\\x0dc\\x09d");
  EXPECT_EQ(printable("\x7f"), "\\x7f");
  EXPECT_EQ(printable("\x80\x9b\xff"), "\\x80\\x9b\\xff");
  EXPECT_EQ(printable("\xc2\x9b"), "\\xc2\\x9b") << "C1 CSI in UTF-8";
  EXPECT_EQ(printable("\xe2\x82\xac"), "\\xe2\\x82\\xac") << "valid UTF-8 is escaped too";
  EXPECT_EQ(printable("a\0b"s), "a\\x00b") << "an embedded NUL is a byte like any other";
}

TEST(Printable, BackslashIsDoubledSoTheEscapingIsUnambiguous) {
  EXPECT_EQ(printable("\\"), "\\\\");
  EXPECT_EQ(printable("\\x1b"), "\\\\x1b") << "a literal \\x1b must not read as an escaped ESC";
  EXPECT_NE(printable("\\x1b"), printable("\x1b"));
}

TEST(Printable, EveryByteMapsToPrintableAsciiAndDecodesBack) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  const std::string out = printable(all);
  for (const char c : out) {
    const auto b = static_cast<unsigned char>(c);
    EXPECT_TRUE(b >= 0x20 && b <= 0x7e) << static_cast<int>(b);
  }
  // Decode: \\ -> \, \xNN -> the byte; everything else as is.
  std::string back;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] != '\\') {
      back += out[i];
    } else if (out[i + 1] == '\\') {
      back += '\\';
      i += 1;
    } else {
      ASSERT_EQ(out[i + 1], 'x');
      back += static_cast<char>(std::stoi(out.substr(i + 2, 2), nullptr, 16));
      i += 3;
    }
  }
  EXPECT_EQ(back, all);
}

TEST(Printable, AppendVariantAppends) {
  std::string out = "sample: ";
  append_printable(out, "x\x1by");
  EXPECT_EQ(out, "sample: x\\x1by");
}

}  // namespace
}  // namespace tp
