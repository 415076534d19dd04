#include "feed/pcap_reader.hpp"

#include <pcap/pcap.h>
#include <stdio_ext.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace tp::feed {

PcapReader::~PcapReader() { close(); }

void PcapReader::close() noexcept {
  if (handle_ != nullptr) pcap_close(handle_);
  handle_ = nullptr;
  link_type_ = -1;
  truncated_ = false;
  corrupt_ = false;
  end_reason_.clear();
}

bool PcapReader::finish_open(pcap* handle, const char* errbuf, const std::string& what, std::string& error) {
  if (handle == nullptr) {
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
  if (h == nullptr) std::fclose(fp);  // libpcap leaves the stream open when it refuses it
  return finish_open(h, errbuf, "'" + path + "'", error);
}

bool PcapReader::open(std::FILE* fp, std::string& error) {
  close();
  if (fp == nullptr) {
    error = "cannot open capture: no stream";
    return false;
  }
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap* h = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (h == nullptr) std::fclose(fp);  // libpcap leaves the stream open when it refuses it
  return finish_open(h, errbuf, "stream", error);
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
