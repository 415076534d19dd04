// libFuzzer target: the FIX 4.4 bytes a counterparty sends (exec/fix/). The input is cut into
// pieces at positions the input itself chooses (its first byte), fed to FixFramer, and every
// message it delivers is parsed by FixMessage. Invariants: every delivered message starts with
// the BeginString, ends with a CheckSum field that matches its bytes, and what the framer keeps
// never exceeds its capacity; nothing crashes, nothing hangs. Seeds: tests/fuzz/corpus/fuzz_fix_framer
// (real session and execution messages as the encoder writes them, and garbled copies).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "exec/fix/fix_framer.hpp"
#include "exec/fix/fix_message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t step = 1 + data[0] % 97;
  const char* bytes = reinterpret_cast<const char*>(data + 1);
  const std::size_t len = size - 1;
  tp::fix::FixFramer framer(4096);
  uint64_t delivered = 0;
  for (std::size_t at = 0; at < len; at += step) {
    const std::size_t n = at + step <= len ? step : len - at;
    framer.feed(bytes + at, n, [&](std::string_view m) {
      ++delivered;
      if (m.substr(0, 12) != std::string_view("8=FIX.4.4\x01" "9=", 12)) std::abort();
      if (m.size() < 7 || m.substr(m.size() - 7, 3) != "10=" || m.back() != '\x01') std::abort();
      unsigned sum = 0;
      for (std::size_t i = 0; i + 7 < m.size(); ++i) sum += static_cast<unsigned char>(m[i]);
      const unsigned given = static_cast<unsigned>((m[m.size() - 4] - '0') * 100 + (m[m.size() - 3] - '0') * 10 +
                                                   (m[m.size() - 2] - '0'));
      if ((sum & 0xff) != given) std::abort();
      tp::fix::FixMessage msg;
      if (msg.parse(m)) {
        if (msg.seq() == 0 || msg.msg_type().empty()) std::abort();
        (void)msg.get_fixed(tp::fix::tag::LastPx);
        (void)msg.get_uint(tp::fix::tag::NewSeqNo);
      } else if (msg.error()[0] == '\0') {
        std::abort();
      }
    });
    if (framer.buffered() > 4096) std::abort();
  }
  if (framer.stats().messages != delivered) std::abort();
  return 0;
}
