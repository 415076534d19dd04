// Outside text made safe for a terminal.
//
// Bytes that come from outside the program (capture payloads, names and values from the
// configuration, paths, the kernel's strings) must not reach the operator's terminal raw: ESC and
// BEL sequences can set the window title, clear the screen or rewrite lines, and C1 controls
// (U+0080..U+009F, two bytes in UTF-8) act the same on many terminals. Every such text in the
// text report and in configuration errors goes through printable().
//
// The rule is byte-wise and deliberately simple: printable ASCII (0x20 ' ' .. 0x7e '~') passes
// unchanged, except the backslash, which becomes "\\"; every other byte (0x00..0x1f, 0x7f,
// 0x80..0xff) becomes "\xNN" with two lower-case hex digits. Valid UTF-8 is escaped too (a non-ASCII
// symbol name shows as its bytes): deciding which code points are harmless (C1 controls, bidi
// overrides, ...) is not worth the risk in a diagnostic. Escaping the backslash makes the result
// unambiguous: it can be decoded back to exactly the original bytes, and a literal "\x1b" in the
// input shows as "\\x1b", never as an escaped ESC.
#pragma once

#include <string>
#include <string_view>

namespace tp {

// Appends the escaped form of `bytes` to `out`.
inline void append_printable(std::string& out, std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    if (b == '\\') {
      out += "\\\\";
    } else if (b >= 0x20 && b <= 0x7e) {
      out += c;
    } else {
      const char esc[4] = {'\\', 'x', kHex[b >> 4], kHex[b & 0xf]};
      out.append(esc, sizeof esc);
    }
  }
}

// `bytes` with every byte outside 0x20..0x7e written as \xNN and the backslash as \\.
inline std::string printable(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  append_printable(out, bytes);
  return out;
}

}  // namespace tp
