#include "feed/pcap_reader.hpp"

#include <pcap/pcap.h>
#include <stdio_ext.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace tp::feed {
namespace {

// pcapng framing (https://www.ietf.org/archive/id/draft-tuexen-opsawg-pcapng-05.html §4.1).
constexpr uint32_t kShbType = 0x0A0D0D0A;       // the same in both byte orders
constexpr uint32_t kByteOrderMagic = 0x1A2B3C4D;
constexpr uint32_t kShbMinLength = 28;           // type, length, magic, versions, section length, length
constexpr uint32_t kShbMaxLength = 1u << 20;     // libpcap 1.10's BT_SHB_INSANE_MAX

uint32_t load32(const unsigned char* p, bool big_endian) noexcept {
  return big_endian ? (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3]
                    : (uint32_t{p[3]} << 24) | (uint32_t{p[2]} << 16) | (uint32_t{p[1]} << 8) | p[0];
}

// Whether `fp` starts with a whole, valid pcapng Section Header Block, by the checks libpcap makes
// at open (block type, byte-order magic, a sane length, version 1.0 or 1.2) plus the spec's own (a
// length that is a multiple of 4, repeated at the block's end). Used only after libpcap refused
// the file: it reads the SHB and every block up to the first Interface Description Block at open,
// so a file whose SHB is fine but whose next block is not fails there, not in next(). Leaves the
// stream at an unspecified position; false when it cannot seek (a pipe).
bool starts_with_valid_shb(std::FILE* fp) noexcept {
  unsigned char h[16];
  if (std::fseek(fp, 0, SEEK_SET) != 0 || std::fread(h, 1, sizeof h, fp) != sizeof h) return false;
  if (load32(h, false) != kShbType) return false;
  bool big_endian = false;
  if (load32(h + 8, false) != kByteOrderMagic) {
    if (load32(h + 8, true) != kByteOrderMagic) return false;
    big_endian = true;
  }
  const uint32_t length = load32(h + 4, big_endian);
  if (length < kShbMinLength || length > kShbMaxLength || length % 4 != 0) return false;
  const unsigned major = big_endian ? (h[12] << 8) | h[13] : (h[13] << 8) | h[12];
  const unsigned minor = big_endian ? (h[14] << 8) | h[15] : (h[15] << 8) | h[14];
  if (major != 1 || (minor != 0 && minor != 2)) return false;
  unsigned char trailer[4];
  if (std::fseek(fp, static_cast<long>(length) - 4, SEEK_SET) != 0 || std::fread(trailer, 1, 4, fp) != 4) return false;
  return load32(trailer, big_endian) == length;
}

}  // namespace

PcapReader::~PcapReader() { close(); }

void PcapReader::close() noexcept {
  if (handle_ != nullptr) pcap_close(handle_);
  handle_ = nullptr;
  link_type_ = -1;
  truncated_ = false;
  corrupt_ = false;
  end_reason_.clear();
}

bool PcapReader::finish_open(pcap* handle, std::FILE* fp, const char* errbuf, const std::string& what,
                             std::string& error) {
  if (handle == nullptr) {
    // libpcap leaves the stream open when it refuses it.
    const bool header_ok = fp != nullptr && starts_with_valid_shb(fp);
    if (fp != nullptr) std::fclose(fp);
    if (header_ok) {
      // A pcapng file whose Section Header Block is whole and valid but whose next block cannot be
      // read: libpcap failed at open only because it reads up to the first interface there. The
      // same bytes one block later would be a failed read, counted, the run going on; so they are
      // here: a capture of no packets whose unreadable rest is counted (truncated when libpcap
      // says the file ended: inside a block, or before any interface was described).
      const char* msg = errbuf[0] != '\0' ? errbuf : "unreadable block after the section header";
      const bool cut = std::strstr(msg, "truncated") != nullptr || std::strstr(msg, "no Interface Description") != nullptr;
      truncated_ = cut;
      corrupt_ = !cut;
      end_reason_.assign(msg, ::strnlen(msg, PCAP_ERRBUF_SIZE));
      return true;
    }
    error = "cannot open capture " + what + ": " + (errbuf[0] != '\0' ? errbuf : "unknown libpcap error");
    return false;
  }
  handle_ = handle;
  link_type_ = pcap_datalink(handle);
  end_reason_.reserve(PCAP_ERRBUF_SIZE);
  return true;
}

bool PcapReader::open(const std::string& path, std::string& error) {
  close();
  // libpcap reads a file with two fread calls per packet. On our own stream those find a large
  // buffer (fewer read system calls) and take no lock (only this thread reads it): about a tenth
  // of the per-packet cost of a replay.
  std::FILE* fp = std::fopen(path.c_str(), "rb");
  if (fp == nullptr) {
    error = "cannot open capture '" + path + "': " + std::strerror(errno);
    return false;
  }
  if (!buffer_) buffer_ = std::make_unique<char[]>(kBufferBytes);
  std::setvbuf(fp, buffer_.get(), _IOFBF, kBufferBytes);
  __fsetlocking(fp, FSETLOCKING_BYCALLER);
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap* h = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  return finish_open(h, h == nullptr ? fp : nullptr, errbuf, "'" + path + "'", error);
}

bool PcapReader::open(std::FILE* fp, std::string& error) {
  close();
  if (fp == nullptr) {
    error = "cannot open capture: no stream";
    return false;
  }
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap* h = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  return finish_open(h, h == nullptr ? fp : nullptr, errbuf, "stream", error);
}

PcapReader::Status PcapReader::next(RawPacket& out) noexcept {
  if (handle_ == nullptr) return Status::End;
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  const int rc = pcap_next_ex(handle_, &hdr, &data);
  if (rc == 1) {
    out.data = data;
    out.caplen = hdr->caplen;
    out.len = hdr->len;
    // Opened with PCAP_TSTAMP_PRECISION_NANO: tv_usec holds nanoseconds. pcapng can carry any
    // 64-bit timestamp: one beyond ~2262 saturates instead of overflowing.
    int64_t ns = 0;
    if (__builtin_mul_overflow(static_cast<int64_t>(hdr->ts.tv_sec), int64_t{1'000'000'000}, &ns) ||
        __builtin_add_overflow(ns, static_cast<int64_t>(hdr->ts.tv_usec), &ns)) {
      ns = hdr->ts.tv_sec < 0 ? INT64_MIN : INT64_MAX;
    }
    out.ts_ns = ns;
    return Status::Packet;
  }
  if (rc == PCAP_ERROR_BREAK) return Status::End;  // clean end of file
  // Offline reads fail only on a short or invalid record. libpcap says "truncated" for a record
  // cut by the end of the file; anything else (absurd caplen, bad pcapng block) is corruption.
  const char* msg = pcap_geterr(handle_);
  if (msg != nullptr && std::strstr(msg, "truncated") != nullptr) {
    truncated_ = true;
  } else {
    corrupt_ = true;
  }
  if (msg != nullptr) end_reason_.assign(msg, ::strnlen(msg, PCAP_ERRBUF_SIZE));
  // Later calls keep answering End: the position inside the file is unknown.
  pcap_close(handle_);
  handle_ = nullptr;
  return Status::End;
}

}  // namespace tp::feed
