// Helpers shared by the feed tests: message collection, expected-payload files, temp files and a
// tiny pcap writer for hand-built packets.
#pragma once

#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <iterator>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "feed/capture_decoder.hpp"
#include "feed/message.hpp"

namespace tp::feed::test {

inline std::string data_path(std::string_view rel) { return std::string(TP_TEST_DATA_DIR) + "/" + std::string(rel); }

struct Collected {
  std::string payload;
  int64_t ts_ns;
};

// A sink that keeps copies of every message (tests only: it allocates).
struct CollectSink {
  std::vector<Collected> messages;
  bool padding_ok = true;
  void on_message(const Message& m) {
    messages.push_back({std::string(m.data, m.size), m.recv_ts_ns});
    // Touch the promised padding: ASan flags it if it is not there.
    volatile char sink = 0;
    for (std::size_t i = 0; i < kPayloadPadding; ++i) sink = static_cast<char>(sink ^ m.data[m.size + i]);
    (void)sink;
  }
  std::vector<std::string> payloads() const {
    std::vector<std::string> out;
    for (const auto& c : messages) out.push_back(c.payload);
    return out;
  }
};

// Lines of a gzip file, without their trailing newline.
inline std::vector<std::string> read_gz_lines(const std::string& path) {
  std::vector<std::string> lines;
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return lines;
  std::string line;
  char buf[1 << 16];
  while (gzgets(f, buf, sizeof buf) != nullptr) {
    line += buf;
    if (!line.empty() && line.back() == '\n') {
      line.pop_back();
      lines.push_back(line);
      line.clear();
    }
  }
  if (!line.empty()) lines.push_back(line);
  gzclose(f);
  return lines;
}

// Expected-payload file written next to the zeek captures: one message per line, hex encoded.
inline std::vector<std::string> read_hex_lines(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  std::string line;
  auto nib = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '#') continue;
    std::string bytes;
    for (std::size_t i = 0; i + 1 < line.size(); i += 2) bytes.push_back(static_cast<char>(nib(line[i]) * 16 + nib(line[i + 1])));
    out.push_back(bytes);
  }
  return out;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A file under the system temp dir, removed when the object goes away.
struct TempFile {
  std::string path;
  explicit TempFile(std::string_view name, std::string_view contents) {
    path = (std::filesystem::temp_directory_path() /
            ("tp_feed_" + std::to_string(::getpid()) + "_" + std::string(name)))
               .string();
    std::ofstream out(path, std::ios::binary);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  }
  ~TempFile() { std::remove(path.c_str()); }
};

// Decodes a whole capture into a CollectSink.
inline CollectSink decode_file(const std::string& path, DecodeStats* stats = nullptr, DecoderOptions opts = {}) {
  CaptureDecoder dec(opts);
  std::string err;
  CollectSink sink;
  if (!dec.open(path, err)) {
    ADD_FAILURE() << err;
    return sink;
  }
  dec.run(sink);
  if (stats != nullptr) *stats = dec.stats();
  return sink;
}

// Writes hand-built packets as a pcap with the given link type (via libpcap's own writer).
class PcapWriter {
 public:
  PcapWriter(const std::string& path, int link_type, int snaplen = 262144) {
    dead_ = pcap_open_dead_with_tstamp_precision(link_type, snaplen, PCAP_TSTAMP_PRECISION_NANO);
    dump_ = pcap_dump_open(dead_, path.c_str());
  }
  ~PcapWriter() { close(); }
  void close() {
    if (dump_ != nullptr) pcap_dump_close(dump_);
    if (dead_ != nullptr) pcap_close(dead_);
    dump_ = nullptr;
    dead_ = nullptr;
  }
  // caplen < bytes.size() writes a record cut short by the capture.
  void write(std::string_view bytes, int64_t ts_ns, std::size_t caplen = SIZE_MAX) {
    pcap_pkthdr h{};
    h.ts.tv_sec = ts_ns / 1'000'000'000;
    h.ts.tv_usec = ts_ns % 1'000'000'000;  // nanosecond dump: the field holds ns
    h.len = static_cast<bpf_u_int32>(bytes.size());
    h.caplen = static_cast<bpf_u_int32>(std::min(caplen, bytes.size()));
    pcap_dump(reinterpret_cast<u_char*>(dump_), &h, reinterpret_cast<const u_char*>(bytes.data()));
  }

 private:
  pcap_t* dead_ = nullptr;
  pcap_dumper_t* dump_ = nullptr;
};

// Builds IPv4/IPv6 + TCP/UDP packets byte by byte (checksums left zero: the decoder ignores them).
struct PacketBuilder {
  static void put16(std::string& s, uint16_t v) {
    s.push_back(static_cast<char>(v >> 8));
    s.push_back(static_cast<char>(v));
  }
  static void put32(std::string& s, uint32_t v) {
    put16(s, static_cast<uint16_t>(v >> 16));
    put16(s, static_cast<uint16_t>(v));
  }
  static std::string tcp(uint16_t sport, uint16_t dport, uint32_t seq, uint8_t flags, std::string_view payload) {
    std::string t;
    put16(t, sport);
    put16(t, dport);
    put32(t, seq);
    put32(t, 0);  // ack
    t.push_back(static_cast<char>(5 << 4));
    t.push_back(static_cast<char>(flags));
    put16(t, 65535);
    put32(t, 0);  // checksum, urgent
    t.append(payload);
    return t;
  }
  static std::string udp(uint16_t sport, uint16_t dport, std::string_view payload) {
    std::string u;
    put16(u, sport);
    put16(u, dport);
    put16(u, static_cast<uint16_t>(8 + payload.size()));
    put16(u, 0);
    u.append(payload);
    return u;
  }
  static std::string ipv4(uint8_t proto, std::string_view l4, uint32_t src = 0x7F000001, uint32_t dst = 0x7F000002,
                          uint16_t frag = 0x4000) {
    std::string ip;
    ip.push_back(0x45);
    ip.push_back(0);
    put16(ip, static_cast<uint16_t>(20 + l4.size()));
    put16(ip, 1);
    put16(ip, frag);
    ip.push_back(64);
    ip.push_back(static_cast<char>(proto));
    put16(ip, 0);
    put32(ip, src);
    put32(ip, dst);
    ip.append(l4);
    return ip;
  }
  static std::string ipv6(uint8_t next, std::string_view l4, uint8_t src_last = 1, uint8_t dst_last = 2) {
    std::string ip;
    put32(ip, 0x60000000);
    put16(ip, static_cast<uint16_t>(l4.size()));
    ip.push_back(static_cast<char>(next));
    ip.push_back(64);
    ip.append(15, '\0');
    ip.push_back(static_cast<char>(src_last));
    ip.append(15, '\0');
    ip.push_back(static_cast<char>(dst_last));
    ip.append(l4);
    return ip;
  }
  static std::string ethernet(uint16_t ethertype, std::string_view payload) {
    std::string e(12, '\0');
    put16(e, ethertype);
    e.append(payload);
    return e;
  }
};

// A message whose bytes are followed by kPayloadPadding bytes of filler that is not zero (the
// contract only promises readable bytes).
class OwnedMessage {
 public:
  OwnedMessage(std::string_view text, int64_t recv_ts_ns, char filler = '"')
      : buf_(std::string(text) + std::string(kPayloadPadding, filler)), size_(text.size()), recv_(recv_ts_ns) {}
  Message msg() const { return Message{buf_.data(), size_, recv_}; }

 private:
  std::string buf_;
  std::size_t size_;
  int64_t recv_;
};

// One line of a recorded-messages file (tests/data/<venue>/*.txt): "<recv_ts_ns> <payload>".
struct Line {
  int64_t recv_ts_ns;
  std::string payload;
};

inline std::vector<Line> load_recording(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::vector<Line> lines;
  std::string s;
  while (std::getline(in, s)) {
    if (s.empty()) continue;
    const auto sp = s.find(' ');
    lines.push_back({std::stoll(s.substr(0, sp)), s.substr(sp + 1)});
  }
  return lines;
}

}  // namespace tp::feed::test
