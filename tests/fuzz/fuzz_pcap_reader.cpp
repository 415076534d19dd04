// libFuzzer target: arbitrary bytes as a capture file, through the whole decoding chain
// (libpcap reader, link/IP/TCP/UDP decoding, reassembly, HTTP upgrade, framing, inflate).
// Seeds: tests/fuzz/corpus/fuzz_pcap_reader/ (small cuts of the real test captures).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "feed/capture_decoder.hpp"

namespace {

struct CheckingSink {
  std::size_t max_message = 0;
  uint64_t sum = 0;
  void on_message(const tp::feed::Message& m) noexcept {
    if (m.size > max_message) std::abort();
    // Read every byte and the promised padding so ASan sees any overrun.
    for (std::size_t i = 0; i < m.size + tp::feed::kPayloadPadding; ++i) sum += static_cast<uint8_t>(m.data[i]);
  }
};

tp::feed::CaptureDecoder& decoder() {
  // Small bounds so the fuzzer reaches the limits; one decoder reused across inputs also checks
  // that open() really forgets the previous capture.
  static tp::feed::CaptureDecoder dec(tp::feed::DecoderOptions{
      .max_connections = 4, .max_out_of_order_bytes = 16 << 10, .max_message_bytes = 64 << 10,
      .initial_message_bytes = 1 << 10, .max_http_head_bytes = 1 << 10});
  return dec;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // fmemopen needs a mutable buffer in some libcs; libpcap only reads it.
  std::string copy(reinterpret_cast<const char*>(data), size);
  std::FILE* fp = fmemopen(copy.data(), copy.size(), "rb");
  if (fp == nullptr) return 0;
  auto& dec = decoder();
  std::string error;
  if (!dec.open(fp, error)) return 0;  // fp is closed by open() either way
  CheckingSink sink{dec.options().max_message_bytes};
  while (dec.step(sink)) {
  }
  return 0;
}
