// SessionRecorder: `tickpipe live --record FILE.pcapng` (SPEC §10.3). Writes the session as the
// engine saw it - every connection's HTTP upgrade and every byte in both directions after TLS - as
// TCP segments of raw IPv4/IPv6 packets with the connection's real addresses and ports, each stamped
// with the wall-clock time of the read or write (nanosecond resolution). A connection is opened by a
// synthetic SYN / SYN-ACK / ACK and closed by a FIN from each side, so `tickpipe replay` of the file
// decodes it with the very TCP reassembly and WebSocket framing it uses for any capture, and
// reproduces the live run's messages and, in deterministic mode, its decisions.
//
// On the feed thread: each call formats the packet headers into a fixed buffer and appends to a
// 1 MiB stdio buffer (no allocation per call); the kernel sees a write when the buffer fills, and at
// close(). Not thread-safe.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tp::feed {

class SessionRecorder {
 public:
  // Creates (truncates) `path` and writes the section and interface headers. Throws
  // std::runtime_error naming the path.
  // `max_open`: connections that may be open at once (two per live connection: make-before-break).
  explicit SessionRecorder(const std::string& path, std::size_t max_open = 4);
  ~SessionRecorder();
  SessionRecorder(const SessionRecorder&) = delete;
  SessionRecorder& operator=(const SessionRecorder&) = delete;

  // A new TCP connection between `local` (us) and `remote` (the venue), both AF_INET or AF_INET6.
  // Returns its slot for the calls below; -1 when `max_open` are open already (that connection is
  // not recorded).
  int open_connection(const sockaddr_storage& local, const sockaddr_storage& remote, int64_t ts_ns) noexcept;
  // Bytes we sent (to_server) or received on connection `slot`, in order, after TLS.
  void bytes(int slot, bool to_server, const uint8_t* data, std::size_t len, int64_t ts_ns) noexcept;
  // The connection ended (either way): FIN from both sides.
  void close_connection(int slot, int64_t ts_ns) noexcept;

  // A connection of its own that carries one message from the venue's side, for what the engine
  // fetched outside its WebSocket connections (the REST depth snapshot, docs/order-book.md): a
  // WebSocket upgrade of `target` on `host`, the message as one text frame, and the close. Recorded
  // where the engine used the message, so a replay of the file meets it at that point of the
  // session, through the same decoding as every other message. `local` and `remote` are the
  // addresses of the real exchange. Needs a free slot (max_open counts it); none: not recorded.
  void message_connection(const sockaddr_storage& local, const sockaddr_storage& remote, std::string_view host,
                          std::string_view target, const uint8_t* data, std::size_t len, int64_t ts_ns) noexcept;

  // Flushes to the kernel; false (and the reason in error()) when the data did not reach the file.
  bool close() noexcept;
  bool failed() const noexcept { return failed_; }
  const std::string& path() const noexcept { return path_; }

 private:
  struct Conn {
    bool open = false;
    bool v6 = false;
    uint8_t local_addr[16] = {};
    uint8_t remote_addr[16] = {};
    uint16_t local_port = 0;
    uint16_t remote_port = 0;
    uint32_t seq_to_server = 0;    // next sequence number of our bytes
    uint32_t seq_from_server = 0;  // next sequence number of the venue's bytes
  };
  void segment(const Conn& c, bool to_server, uint8_t flags, const uint8_t* payload, std::size_t len,
               int64_t ts_ns) noexcept;
  void write(const void* p, std::size_t n) noexcept;

  std::string path_;
  std::FILE* file_ = nullptr;
  std::unique_ptr<char[]> buffer_;
  bool failed_ = false;
  std::vector<Conn> conns_;  // sized at construction
  uint32_t connections_ = 0;
};

}  // namespace tp::feed
