// Reads packets from a capture file (pcap with µs or ns timestamps, or pcapng) through libpcap.
//
// Timestamps always come back in nanoseconds (the file is opened with nanosecond precision, so
// libpcap scales µs files up). A file that ends in the middle of a record is not an error: the
// packets before it are delivered, then next() reports the end with truncated() set. Garbage in a
// file whose header is valid is the same wherever it starts: what comes before it is delivered,
// then next() reports the end with corrupt() (or truncated()) set. That includes garbage (or the
// end of the file) right after a pcapng Section Header Block, which libpcap itself refuses at open
// (it reads up to the first Interface Description Block there): open() succeeds and next() ends at
// once. A file without a valid pcap header or pcapng SHB is an open error.
//
// pcapng through libpcap 1.10 (Debian 12 ships 1.10.3):
//  - Several Interface Description Blocks with the same link type are fine; each keeps its own
//    if_tsresol (decimal 10^-n or binary 2^-n units) and if_tsoffset, and libpcap scales every
//    record by its own interface's resolution to the precision asked for here (ns). Timestamps
//    therefore come out right per interface (tests/feed/tshark_compare_test.cpp checks µs, ns
//    and 2^-20 s interfaces in one file).
//  - An interface whose link type differs from the first interface's is refused: pcap_next_ex()
//    fails at that block with "an interface has a type N different from the type of the first
//    interface", so nothing after that block can be read (counted as corrupt_file, the message
//    kept in end_reason()). libpcap has no per-packet link type for offline files; such a
//    capture has to be split first (editcap/tshark). pcap_datalink() is the first interface's.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

struct pcap;  // libpcap's pcap_t, kept out of this header

namespace tp::feed {

// One captured packet. data stays valid until the next call to next() or close().
struct RawPacket {
  const uint8_t* data = nullptr;
  uint32_t caplen = 0;  // bytes present at data
  uint32_t len = 0;     // bytes on the wire (>= caplen when the capture cut the packet short)
  int64_t ts_ns = 0;    // capture time, ns since the Unix epoch
};

class PcapReader {
 public:
  enum class Status : uint8_t { Packet, End };

  PcapReader() = default;
  ~PcapReader();
  PcapReader(const PcapReader&) = delete;
  PcapReader& operator=(const PcapReader&) = delete;

  // Opens a capture file; on failure returns false with a human-readable reason in `error`
  // (missing file, not a capture, unsupported format, a header cut short). Closes any file open
  // before.
  bool open(const std::string& path, std::string& error);
  // Same for an already open stream (e.g. fmemopen for the fuzzer). Takes ownership of `fp`, also
  // on failure.
  bool open(std::FILE* fp, std::string& error);
  void close() noexcept;

  // Next packet, or End at end of file / at the first unreadable record. Never throws.
  Status next(RawPacket& out) noexcept;

  bool is_open() const noexcept { return handle_ != nullptr; }
  // DLT_* value as libpcap reports it (pcap_datalink), -1 when nothing is open.
  int link_type() const noexcept { return link_type_; }
  // After End: the file stopped in the middle of a record (truncated) or held a record libpcap
  // refused (corrupt). Both false at a clean end of file.
  bool truncated() const noexcept { return truncated_; }
  bool corrupt() const noexcept { return corrupt_; }
  // libpcap's message for the truncation/corruption (empty otherwise).
  const std::string& end_reason() const noexcept { return end_reason_; }

 private:
  // `fp`: the stream libpcap refused (handle == nullptr), closed here.
  bool finish_open(pcap* handle, std::FILE* fp, const char* errbuf, const std::string& what, std::string& error);

  static constexpr std::size_t kBufferBytes = 1 << 18;
  std::unique_ptr<char[]> buffer_;  // the stdio buffer of a file opened by path (outlives handle_)
  pcap* handle_ = nullptr;
  int link_type_ = -1;
  bool truncated_ = false;
  bool corrupt_ = false;
  std::string end_reason_;  // reserved at open() so the end path does not allocate
};

}  // namespace tp::feed
