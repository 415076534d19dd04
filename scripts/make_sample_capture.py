#!/usr/bin/env python3
"""Build the bundled sample capture: a synthetic-but-realistic pcap of one plain
WebSocket market-data session whose payloads and timestamps are REAL (the
hftbacktest Binance spot BTCUSDT recording of 2024-08-08).

Python 3 standard library only. Deterministic: the same input gives a
byte-identical pcap (and expected-payloads file); nothing random is used.

Input format (gzip text): one line per message,
    <local receive timestamp, ns since epoch> <raw WebSocket text payload>

What is synthesised around the real payloads/timestamps
-------------------------------------------------------
* One IPv4 TCP connection, client 192.0.2.10:50514 -> server 198.51.100.20:9443
  (RFC 5737 documentation addresses), locally-administered MACs, captured on the
  client side (server packets arrive with TTL 47, client sends TTL 64, DF set).
* SYN / SYN-ACK carry MSS 1460, SACK-permitted, timestamps, window scale 7;
  every later segment carries the 12-byte timestamp option, so a full segment
  holds MSS - 12 = 1448 payload bytes. IP ids increment per direction; IPv4 and
  TCP checksums (with pseudo-header) are correct.
* The handshake starts 4 ms before the first recorded message (RTT 300 us):
  SYN, SYN-ACK, ACK, HTTP GET upgrade, 101 Switching Protocols (correct
  Sec-WebSocket-Accept, no extensions), a masked SUBSCRIBE text frame from the
  client, the server's {"result":null,"id":1} text frame.
* Then the first N recorded payloads as unmasked server->client text frames
  (FIN=1, opcode 1, 7-bit or 16-bit length form; 64-bit form only if a payload
  were >= 65536 bytes).
* End: server close frame (1000), client masked close frame (1000), server
  FIN/ACK, client FIN/ACK, server ACK.

Segmentation and timestamps (the rule, precisely)
-------------------------------------------------
* Messages are grouped into bursts: a message joins the current burst when its
  recorded timestamp is <= 20 us after the previous message's timestamp.
* A burst's frames are concatenated and cut greedily into TCP segments of at
  most 1448 payload bytes; a frame that does not fit in the current segment is
  split and continued in the next one (so several frames can share a segment
  and one frame can span several). PSH is set on the last segment of a burst.
* Capture time of a segment:
    - the largest recorded timestamp among the messages the segment COMPLETES
      (a segment with several complete frames carries the timestamp of the last
      one, so earlier frames in the same segment are delivered a few us "late");
    - if it completes nothing (the head or middle of a large frame): the first
      segment of a burst carries the timestamp of the message it starts;
    - every further segment of a burst is at least previous segment + 1 us;
    - and never earlier than the previous packet in the file.
  Hence the packet that completes a message always carries that message's
  recorded timestamp or later, never earlier, and capture times never
  decrease. A message that is alone in its segment (the common case) carries
  exactly its recorded timestamp. With the default 3200 lines, 1827 messages
  complete at exactly their recorded timestamp; the other 1373 (coalesced or
  split) complete a median 2.1 us and at most 44 us later (44 us: the 64 KB REST
  depth snapshot on line 8, which spans 45 segments at +1 us each).
* The client sends a pure ACK once >= 2 server segments are unacknowledged, 20 us
  after the second one (later, after the following segment(s), when the server
  sends again within those 20 us); a single unacknowledged segment followed by
  40 ms of silence is acknowledged after 40 ms (delayed-ACK timer).

Usage
-----
    scripts/make_sample_capture.py --input spot_btcusdt_20240808.gz \
        [--count 3200] [--output samples/binance-btcusdt-3200.pcap] \
        [--expected-out tests/data/sample/expected_payloads.txt.gz] [--verify]

--verify re-parses the written pcap in pure Python (TCP reassembly + WebSocket
frame parsing + timestamp rule), then, if tshark is installed, checks that
tshark's decoded server->client text payloads equal {"result":null,"id":1}
followed by the N payloads and that `-z expert` reports no malformed packets,
bad checksums or errors. It also prints a table of the first 8 messages and of
every bookTicker whose bid is a new maximum.
"""

import argparse
import base64
import email.utils
import gzip
import hashlib
import io
import json
import os
import shlex
import shutil
import struct
import subprocess
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# ---------------------------------------------------------------- constants
CLIENT_MAC = bytes.fromhex("02420a00020a")      # locally administered
GATEWAY_MAC = bytes.fromhex("02425e1c6401")     # the client's next hop
CLIENT_IP = bytes([192, 0, 2, 10])              # RFC 5737 TEST-NET-1
SERVER_IP = bytes([198, 51, 100, 20])           # RFC 5737 TEST-NET-2
CLIENT_PORT = 50514
SERVER_PORT = 9443
HOST_HEADER = "stream.binance.com:9443"
STREAMS = ["btcusdt@bookTicker", "btcusdt@trade", "btcusdt@depth@100ms"]
REQUEST_PATH = "/stream?streams=" + "/".join(STREAMS)
WS_KEY_RAW = b"tickpipe-sample!"                # fixed 16 bytes
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
SUBSCRIBE = json.dumps({"method": "SUBSCRIBE", "params": STREAMS, "id": 1},
                       separators=(",", ":")).encode()
SUBSCRIBE_RESULT = b'{"result":null,"id":1}'
SUBSCRIBE_MASK = bytes.fromhex("37fa213d")
CLOSE_MASK = bytes.fromhex("5a1c9e43")

MSS = 1460
TS_OPT_LEN = 12                                  # NOP NOP TS(10)
SEG_MAX = MSS - TS_OPT_LEN                       # 1448 payload bytes
WSCALE = 7
CLIENT_ISN = 0x3A5C17E1
SERVER_ISN = 0x9D04B262
CLIENT_IPID0 = 0x4F21
SERVER_IPID0 = 0x0000 + 0x7B10
CLIENT_TS_BASE = 0x1C3E_0000                     # TSval = ms clock + base
SERVER_TS_BASE = 0x8812_4000
CLIENT_WIN_RAW = 2048                            # << 7 = 262144 bytes
SERVER_WIN_RAW = 502                             # << 7 = 64256 bytes

US = 1_000
MS = 1_000_000
RTT = 300 * US
HANDSHAKE_LEAD = 4 * MS                          # SYN this long before msg 1
COALESCE_NS = 20 * US
ACK_DELAY = 20 * US
DELACK_TIMEOUT = 40 * MS

PCAP_MAGIC_NS = 0xA1B23C4D
SNAPLEN = 262144
LINKTYPE_ETHERNET = 1

TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK = 0x01, 0x02, 0x04, 0x08, 0x10


# ---------------------------------------------------------------- helpers
def inet_checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ws_frame(opcode: int, payload: bytes, mask: bytes = None) -> bytes:
    """One FIN=1 frame, minimal length encoding (RFC 6455 5.2)."""
    n = len(payload)
    b0 = 0x80 | opcode
    mbit = 0x80 if mask is not None else 0
    if n < 126:
        hdr = struct.pack("!BB", b0, mbit | n)
    elif n < 65536:
        hdr = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        hdr = struct.pack("!BBQ", b0, mbit | 127, n)
    if mask is None:
        return hdr + payload
    masked = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
    return hdr + mask + masked


def ws_accept(key_b64: str) -> str:
    return base64.b64encode(hashlib.sha1((key_b64 + WS_GUID).encode()).digest()).decode()


class Host:
    def __init__(self, mac, ip, port, isn, ipid0, ttl, ts_base, win_raw):
        self.mac, self.ip, self.port = mac, ip, port
        self.seq = isn               # next sequence number to send
        self.ipid = ipid0
        self.ttl = ttl
        self.ts_base = ts_base
        self.win_raw = win_raw
        self.peer_tsval = 0          # last TSval seen from the peer (for TSecr)

    def tsval(self, t_ns):
        return (t_ns // MS + self.ts_base) & 0xFFFFFFFF


class Capture:
    """Accumulates packets (time, frame bytes) of the single TCP connection."""

    def __init__(self):
        self.client = Host(CLIENT_MAC, CLIENT_IP, CLIENT_PORT, CLIENT_ISN,
                           CLIENT_IPID0, 64, CLIENT_TS_BASE, CLIENT_WIN_RAW)
        self.server = Host(GATEWAY_MAC, SERVER_IP, SERVER_PORT, SERVER_ISN,
                           SERVER_IPID0, 47, SERVER_TS_BASE, SERVER_WIN_RAW)
        self.packets = []            # (t_ns, bytes, direction 'c'/'s', tcp payload)
        self.last_t = 0

    def send(self, src_is_client: bool, t_ns: int, flags: int, payload: bytes = b"",
             syn_window: int = None):
        if t_ns < self.last_t:
            raise AssertionError("capture time would decrease")
        self.last_t = t_ns
        src = self.client if src_is_client else self.server
        dst = self.server if src_is_client else self.client
        tsval = src.tsval(t_ns)
        tsecr = src.peer_tsval if (flags & TCP_ACK) else 0
        ts_opt = struct.pack("!BBII", 8, 10, tsval, tsecr)
        if flags & TCP_SYN:
            # Linux order: MSS, SACK_PERM, TS, NOP, WS
            opts = (struct.pack("!BBH", 2, 4, MSS) + b"\x04\x02" + ts_opt +
                    b"\x01" + struct.pack("!BBB", 3, 3, WSCALE))
            window = syn_window
        else:
            opts = b"\x01\x01" + ts_opt
            window = src.win_raw
        assert len(opts) % 4 == 0
        ack = dst.seq if (flags & TCP_ACK) else 0
        hdr_len = 20 + len(opts)
        tcp_wo_sum = struct.pack("!HHIIHHHH", src.port, dst.port, src.seq, ack,
                                 ((hdr_len // 4) << 12) | flags, window, 0, 0) + opts
        seg = tcp_wo_sum + payload
        pseudo = src.ip + dst.ip + struct.pack("!BBH", 0, 6, len(seg))
        csum = inet_checksum(pseudo + seg)
        seg = seg[:16] + struct.pack("!H", csum) + seg[18:]
        total_len = 20 + len(seg)
        ip_wo_sum = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total_len, src.ipid,
                                0x4000, src.ttl, 6, 0, src.ip, dst.ip)
        ip_hdr = ip_wo_sum[:10] + struct.pack("!H", inet_checksum(ip_wo_sum)) + ip_wo_sum[12:]
        eth_src = CLIENT_MAC if src_is_client else GATEWAY_MAC
        eth_dst = GATEWAY_MAC if src_is_client else CLIENT_MAC
        frame = eth_dst + eth_src + b"\x08\x00" + ip_hdr + seg
        self.packets.append((t_ns, frame, "c" if src_is_client else "s", payload))
        src.ipid = (src.ipid + 1) & 0xFFFF
        src.seq = (src.seq + len(payload) + (1 if flags & (TCP_SYN | TCP_FIN) else 0)) & 0xFFFFFFFF
        dst.peer_tsval = tsval

    def pcap_bytes(self) -> bytes:
        out = io.BytesIO()
        out.write(struct.pack("<IHHiIII", PCAP_MAGIC_NS, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET))
        for t_ns, frame, _d, _p in self.packets:
            out.write(struct.pack("<IIII", t_ns // 1_000_000_000, t_ns % 1_000_000_000,
                                  len(frame), len(frame)))
            out.write(frame)
        return out.getvalue()


# ---------------------------------------------------------------- input
def read_messages(path: str, count: int):
    """First `count` lines -> list of (line_no, ts_ns, payload bytes)."""
    msgs = []
    with gzip.open(path, "rb") as f:
        for line_no, line in enumerate(f, 1):
            if len(msgs) >= count:
                break
            line = line.rstrip(b"\n")
            if line.endswith(b"\r"):
                line = line[:-1]
            ts_s, sep, payload = line.partition(b" ")
            if not sep or not ts_s.isdigit() or not payload:
                raise SystemExit("%s:%d: not '<ts_ns> <payload>'" % (path, line_no))
            msgs.append((line_no, int(ts_s), payload))
    if len(msgs) < count:
        raise SystemExit("%s has only %d lines, --count %d requested" % (path, len(msgs), count))
    for a, b in zip(msgs, msgs[1:]):
        if b[1] < a[1]:
            raise SystemExit("timestamps decrease at line %d" % b[0])
    return msgs


# ---------------------------------------------------------------- segmentation
def plan_segments(msgs):
    """-> list of (t_ns, payload bytes, [indices of messages completed]) and stats."""
    bursts = []
    for i, (_ln, ts, _p) in enumerate(msgs):
        if bursts and ts - msgs[i - 1][1] <= COALESCE_NS:
            bursts[-1].append(i)
        else:
            bursts.append([i])
    segs = []
    last_t = 0
    for burst in bursts:
        stream = bytearray()
        ends = []                                   # (end offset, msg index)
        for i in burst:
            stream += ws_frame(0x1, msgs[i][2])
            ends.append((len(stream), i))
        prev_t = None
        pos = 0
        while pos < len(stream):
            chunk = bytes(stream[pos:pos + SEG_MAX])
            end = pos + len(chunk)
            completed = [i for (e, i) in ends if pos < e <= end]
            if completed:
                t = max(msgs[i][1] for i in completed)
            else:                                   # head/middle of one big frame
                t = msgs[next(i for (e, i) in ends if e > end)][1] if prev_t is None else 0
            if prev_t is not None:
                t = max(t, prev_t + US)
            t = max(t, last_t)
            segs.append((t, chunk, completed, end == len(stream)))
            prev_t = last_t = t
            pos = end
    return segs, bursts


# ---------------------------------------------------------------- build
def build_capture(msgs):
    cap = Capture()
    c, s = True, False
    t = msgs[0][1] - HANDSHAKE_LEAD
    # TCP three-way handshake
    cap.send(c, t, TCP_SYN, syn_window=64240)
    t += RTT
    cap.send(s, t, TCP_SYN | TCP_ACK, syn_window=65160)
    t += 12 * US
    cap.send(c, t, TCP_ACK)
    # HTTP upgrade
    key_b64 = base64.b64encode(WS_KEY_RAW).decode()
    req = ("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
           % (REQUEST_PATH, HOST_HEADER, key_b64)).encode()
    t += 35 * US
    cap.send(c, t, TCP_PSH | TCP_ACK, req)
    t += RTT + 180 * US
    date = email.utils.formatdate(t // 1_000_000_000, usegmt=True)
    resp = ("HTTP/1.1 101 Switching Protocols\r\nDate: %s\r\nConnection: upgrade\r\n"
            "Upgrade: websocket\r\nSec-WebSocket-Accept: %s\r\n\r\n"
            % (date, ws_accept(key_b64))).encode()
    cap.send(s, t, TCP_PSH | TCP_ACK, resp)
    # SUBSCRIBE (masked) and its result
    t += 60 * US
    cap.send(c, t, TCP_PSH | TCP_ACK, ws_frame(0x1, SUBSCRIBE, SUBSCRIBE_MASK))
    t += RTT + 250 * US
    cap.send(s, t, TCP_PSH | TCP_ACK, ws_frame(0x1, SUBSCRIBE_RESULT))
    if t + 40 * US >= msgs[0][1]:
        raise AssertionError("handshake overlaps first message")

    # market data segments + client ACK policy
    segs, bursts = plan_segments(msgs)
    unacked = 1                                     # the SUBSCRIBE result
    pending_since = t
    n_acks = 0
    for j, (ts, chunk, _completed, burst_end) in enumerate(segs):
        # delayed-ACK timer for a lone unacked segment
        if unacked == 1 and ts > pending_since + DELACK_TIMEOUT:
            cap.send(c, pending_since + DELACK_TIMEOUT, TCP_ACK)
            unacked = 0
            n_acks += 1
        cap.send(s, ts, (TCP_PSH | TCP_ACK) if burst_end else TCP_ACK, chunk)
        unacked += 1
        pending_since = ts
        if unacked >= 2:
            t_ack = ts + ACK_DELAY
            nxt = segs[j + 1][0] if j + 1 < len(segs) else None
            if nxt is None or nxt >= t_ack:
                cap.send(c, t_ack, TCP_ACK)
                unacked = 0
                n_acks += 1
    t = cap.last_t
    if unacked:
        t += DELACK_TIMEOUT // 40                   # quick ACK ~1 ms later
        cap.send(c, t, TCP_ACK)
        n_acks += 1
    # WebSocket close handshake, then TCP teardown (server closes first, RFC 6455 7.1.1)
    t += 2 * MS
    cap.send(s, t, TCP_PSH | TCP_ACK, ws_frame(0x8, struct.pack("!H", 1000)))
    t += 45 * US
    cap.send(c, t, TCP_PSH | TCP_ACK, ws_frame(0x8, struct.pack("!H", 1000), CLOSE_MASK))
    t += RTT + 40 * US
    cap.send(s, t, TCP_FIN | TCP_ACK)
    t += 30 * US
    cap.send(c, t, TCP_FIN | TCP_ACK)
    t += RTT
    cap.send(s, t, TCP_ACK)
    stats = {"segments": len(segs), "bursts": len(bursts), "acks": n_acks,
             "coalesced_msgs": sum(len(b) for b in bursts if len(b) > 1)}
    return cap, segs, stats


# ---------------------------------------------------------------- verification
def parse_pcap(data: bytes):
    magic, vmaj, vmin, _z, _s, snap, link = struct.unpack_from("<IHHiIII", data, 0)
    assert magic == PCAP_MAGIC_NS and (vmaj, vmin) == (2, 4) and link == 1 and snap == SNAPLEN
    off = 24
    pkts = []
    while off < len(data):
        sec, nsec, incl, orig = struct.unpack_from("<IIII", data, off)
        off += 16
        pkts.append((sec * 1_000_000_000 + nsec, data[off:off + incl]))
        off += incl
    return pkts


def self_check(pcap: bytes, msgs):
    """Pure-Python check: checksums, reassembly, frames, timestamp rule."""
    pkts = parse_pcap(pcap)
    streams = {"c": bytearray(), "s": bytearray()}
    nxt = {}
    last_t = 0
    s_frames = []                        # (payload, completion time)
    s_buf = bytearray()
    s_off = 0
    for t, fr in pkts:
        assert t >= last_t, "time decreases"
        last_t = t
        ip = fr[14:]
        ihl = (ip[0] & 15) * 4
        assert inet_checksum(bytes(ip[:ihl])) == 0, "bad IP checksum"
        tot = struct.unpack("!H", ip[2:4])[0]
        tcp = ip[ihl:tot]
        pseudo = ip[12:20] + struct.pack("!BBH", 0, 6, len(tcp))
        assert inet_checksum(bytes(pseudo + tcp)) == 0, "bad TCP checksum"
        d = "c" if ip[12:16] == CLIENT_IP else "s"
        seq = struct.unpack("!I", tcp[4:8])[0]
        flags = tcp[13]
        doff = (tcp[12] >> 4) * 4
        pl = tcp[doff:]
        if flags & TCP_SYN:
            nxt[d] = (seq + 1) & 0xFFFFFFFF
            continue
        if pl:
            assert seq == nxt[d], "sequence gap"
            streams[d] += pl
            nxt[d] = (seq + len(pl)) & 0xFFFFFFFF
            if d == "s":
                s_buf += pl
                while True:  # parse complete frames after the HTTP response
                    if s_off == 0:
                        h = s_buf.find(b"\r\n\r\n")
                        if h < 0:
                            break
                        s_off = h + 4
                        continue
                    if len(s_buf) - s_off < 2:
                        break
                    b0, b1 = s_buf[s_off], s_buf[s_off + 1]
                    n = b1 & 0x7F
                    p = s_off + 2
                    if n == 126:
                        if len(s_buf) - p < 2:
                            break
                        n = struct.unpack_from("!H", s_buf, p)[0]
                        p += 2
                        assert n >= 126, "non-minimal length"
                    elif n == 127:
                        if len(s_buf) - p < 8:
                            break
                        n = struct.unpack_from("!Q", s_buf, p)[0]
                        p += 8
                    assert not (b1 & 0x80), "server frame masked"
                    if len(s_buf) - p < n:
                        break
                    s_frames.append((b0, bytes(s_buf[p:p + n]), t))
                    s_off = p + n
        if flags & TCP_FIN:
            nxt[d] = (nxt[d] + 1) & 0xFFFFFFFF
    texts = [(p, t) for (b0, p, t) in s_frames if b0 == 0x81]
    assert texts[0][0] == SUBSCRIBE_RESULT, "first text frame is not the result"
    data = texts[1:]
    assert len(data) == len(msgs), "frame count %d != %d" % (len(data), len(msgs))
    exact = 0
    max_late = 0
    for (p, t), (ln, ts, payload) in zip(data, msgs):
        assert p == payload, "payload mismatch at line %d" % ln
        assert t >= ts, "message of line %d completed before its timestamp" % ln
        exact += (t == ts)
        max_late = max(max_late, t - ts)
    assert s_frames[-1][0] == 0x88 and s_frames[-1][1] == b"\x03\xe8", "no close 1000"
    assert streams["c"].startswith(b"GET " + REQUEST_PATH.encode())
    return {"packets": len(pkts), "exact": exact, "max_late_ns": max_late}


def tshark_check(path: str, msgs):
    tshark = shutil.which("tshark")
    if not tshark:
        print("verify: tshark not found -- tshark checks SKIPPED")
        return True
    ok = True
    base = [tshark, "-n", "-r", path,
            "-o", "tcp.desegment_tcp_streams:TRUE", "-o", "tcp.reassemble_out_of_order:TRUE",
            "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE"]
    cmd = base + ["-Y", "websocket.payload && ip.src==198.51.100.20",
                  "-T", "json", "-e", "websocket.payload.text"]
    print("verify: $ " + shlex.join(cmd))
    res = subprocess.run(cmd, capture_output=True)
    if res.returncode != 0:
        print("verify: tshark failed: " + res.stderr.decode(errors="replace"))
        return False
    texts = []
    for pkt in json.loads(res.stdout):
        texts += pkt["_source"]["layers"].get("websocket.payload.text", [])
    expected = [SUBSCRIBE_RESULT.decode()] + [m[2].decode() for m in msgs]
    if texts == expected:
        print("verify: tshark server->client text payloads == {\"result\":null,\"id\":1} + %d "
              "recorded payloads, in order: OK" % len(msgs))
    else:
        ok = False
        print("verify: tshark payload MISMATCH: got %d texts, want %d" % (len(texts), len(expected)))
        for i, (a, b) in enumerate(zip(texts, expected)):
            if a != b:
                print("  first difference at text #%d: %r... vs %r..." % (i, a[:80], b[:80]))
                break
    cmd = base + ["-q", "-z", "expert"]
    print("verify: $ " + shlex.join(cmd))
    res = subprocess.run(cmd, capture_output=True)
    out = res.stdout.decode(errors="replace")
    print("\n".join("  | " + l for l in out.strip().splitlines()))
    bad = [l for l in out.splitlines()
           if any(w in l.lower() for w in ("malformed", "checksum", "bad ", "exception"))]
    groups = [l for l in out.splitlines() if l.strip().startswith(("Errors (", "Warnings ("))]
    if res.returncode != 0 or bad or groups:
        ok = False
        print("verify: tshark expert reports problems: %s" % (bad + groups))
    else:
        print("verify: tshark expert: no errors, no warnings, no malformed/checksum entries: OK")
    return ok


# ---------------------------------------------------------------- table
def describe(payload: bytes):
    o = json.loads(payload)
    stream = o.get("stream", "(REST snapshot)")
    d = o.get("data", o)
    if stream.endswith("@bookTicker"):
        return "bookTicker", "bid %s x %s  ask %s x %s" % (d["b"], d["B"], d["a"], d["A"])
    if stream.endswith("@trade"):
        return "trade", "t=%d px %s qty %s m=%s" % (d["t"], d["p"], d["q"], d["m"])
    if "@depth" in stream:
        return "depth", "U=%d u=%d  %d bids %d asks" % (d["U"], d["u"], len(d["b"]), len(d["a"]))
    return "snapshot", "lastUpdateId=%d  %d bids %d asks" % (
        d["lastUpdateId"], len(d["bids"]), len(d["asks"]))


def print_tables(msgs):
    print("\nFirst 8 messages (line = line number in the source file = index in expected payloads):")
    print("| line | ts (ns) | kind | summary |")
    print("|---:|---|---|---|")
    for ln, ts, p in msgs[:8]:
        kind, summ = describe(p)
        print("| %d | %d | %s | %s |" % (ln, ts, kind, summ))
    print("\nbookTicker messages whose bid is a new maximum (first N lines):")
    print("| line | ts (ns) | bid | ask |")
    print("|---:|---|---|---|")
    best = None
    for ln, ts, p in msgs:
        o = json.loads(p)
        if not o.get("stream", "").endswith("@bookTicker"):
            continue
        bid = o["data"]["b"]
        if best is None or float(bid) > best:
            best = float(bid)
            print("| %d | %d | %s | %s |" % (ln, ts, bid, o["data"]["a"]))


# ---------------------------------------------------------------- main
def write_expected(path: str, msgs):
    raw = b"".join(p + b"\n" for _ln, _ts, p in msgs)
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(raw)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "wb") as f:
        f.write(buf.getvalue())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", required=True,
                    help="hftbacktest recording, e.g. spot_btcusdt_20240808.gz")
    ap.add_argument("--count", type=int, default=3200, help="number of lines (default 3200)")
    ap.add_argument("--output", default=os.path.join(REPO_ROOT, "samples", "binance-btcusdt-3200.pcap"),
                    help="pcap to write (default samples/binance-btcusdt-3200.pcap)")
    ap.add_argument("--expected-out", default=None,
                    help="also write the N payloads, one per line, gzip'd with mtime 0")
    ap.add_argument("--verify", action="store_true",
                    help="self-check the pcap, run tshark checks if available, print tables")
    args = ap.parse_args()
    if args.count < 1:
        ap.error("--count must be >= 1")

    msgs = read_messages(args.input, args.count)
    cap, segs, stats = build_capture(msgs)
    data = cap.pcap_bytes()
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "wb") as f:
        f.write(data)
    multi = sum(1 for a in range(len(segs)) if not segs[a][2])
    print("wrote %s: %d bytes, %d packets (%d data segments in %d bursts, %d client ACKs), "
          "%d messages (%d coalesced with a neighbour), %d segments completing no message, "
          "sha256 %s" % (args.output, len(data), len(cap.packets), stats["segments"], stats["bursts"],
                         stats["acks"], len(msgs), stats["coalesced_msgs"], multi,
                         hashlib.sha256(data).hexdigest()))
    if args.expected_out:
        write_expected(args.expected_out, msgs)
        with open(args.expected_out, "rb") as f:
            print("wrote %s: %d bytes, sha256 %s" % (args.expected_out, os.path.getsize(args.expected_out),
                                                   hashlib.sha256(f.read()).hexdigest()))
    if not args.verify:
        return 0
    ok = True
    try:
        r = self_check(data, msgs)
        print("verify: python self-check OK: %d packets, checksums valid, %d/%d frames == recorded "
              "payloads, every completing packet >= its timestamp (%d exactly equal, max %d ns later)"
              % (r["packets"], len(msgs), len(msgs), r["exact"], r["max_late_ns"]))
    except AssertionError as e:
        ok = False
        print("verify: python self-check FAILED: %s" % e)
    ok = tshark_check(args.output, msgs) and ok
    print_tables(msgs)
    print("\nverify: %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
