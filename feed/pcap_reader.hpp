// Reads packets from a capture file (pcap with µs or ns timestamps, or pcapng) through libpcap.
//
// Timestamps always come back in nanoseconds (the file is opened with nanosecond precision, so
// libpcap scales µs files up). A file that ends in the middle of a record is not an error: the
// packets before it are delivered, then next() reports the end with truncated() set.
#pragma once

#include <cstdint>
#include <cstdio>
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
  // (missing file, not a capture, unsupported format). Closes any file open before.
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
  bool finish_open(pcap* handle, const char* errbuf, const std::string& what, std::string& error);

  pcap* handle_ = nullptr;
  int link_type_ = -1;
  bool truncated_ = false;
  bool corrupt_ = false;
  std::string end_reason_;  // reserved at open() so the end path does not allocate
};

}  // namespace tp::feed
