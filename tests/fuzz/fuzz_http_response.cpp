// libFuzzer target: HttpResponseReader, the parser of the REST depth snapshot's HTTP answer. The
// first input bytes choose how the rest is cut into chunks (as reads off a socket would), so a
// response split at any point is fed too. Arbitrary bytes must end in a clear error, a response
// consistent with itself, or a reader still waiting for more - never a crash, never a body past the
// bound, never a missing error sentence or unzeroed padding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "feed/live/http_response_reader.hpp"

namespace {

void check(const tp::feed::HttpResponseReader& r, std::size_t max_body) {
  if (r.body_size() > max_body) std::abort();
  if (r.failed() && r.error().empty()) std::abort();
  if (!r.failed() && !r.error().empty()) std::abort();
  if (r.done()) {
    if (r.status() < 200 || r.status() > 999) std::abort();
    for (std::size_t i = 0; i < tp::feed::HttpResponseReader::kBodyPadding; ++i)
      if (r.body_data()[r.body_size() + i] != 0) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  // Byte 0: chunk lengths come from a small generator seeded with it; byte 1: the body bound.
  uint32_t seed = data[0] | 1u;
  const std::size_t max_body = 16u + (static_cast<std::size_t>(data[1]) << 4);
  data += 2;
  size -= 2;
  tp::feed::HttpResponseReader reader(max_body, 1024);
  for (int round = 0; round < 2; ++round) {  // the second round checks that reset() starts afresh
    std::size_t at = 0;
    while (at < size) {
      seed = seed * 1103515245u + 12345u;
      const std::size_t n = 1 + (seed >> 16) % 64;
      const std::size_t take = n < size - at ? n : size - at;
      reader.feed(data + at, take);
      check(reader, max_body);
      at += take;
    }
    reader.finish();
    check(reader, max_body);
    if (!reader.done() && !reader.failed()) std::abort();  // finish() always decides
    reader.reset();
  }
  return 0;
}
