#!/usr/bin/env python3
"""Writes <capture>.expected.hex next to each WebSocket capture: the server->client data messages
as tshark 4.0 dissects them (one message per line, hex; fragments joined), for the feed tests.

Run once by hand (the tests never run tshark):
    python3 tests/data/zeek/make_expected.py tests/data/zeek/websocket/*.pcap*
The server is the side that sent the HTTP 101. Compressed messages use tshark's decompressed text;
tshark inflates each fragment on its own, so for a fragmented compressed message its answer is not
RFC 7692's (none of these captures has one)."""
import json
import subprocess
import sys


def frames(layer):
    return layer if isinstance(layer, list) else [layer]


def main(paths):
    for path in paths:
        out = subprocess.run(
            ["tshark", "-r", path, "-o", "tcp.desegment_tcp_streams:TRUE", "-o", "tcp.reassemble_out_of_order:TRUE",
             "-o", "websocket.decompress:TRUE", "-Y", "websocket or http.response.code == 101", "-T", "json", "--no-duplicate-keys", "-x",
             "-J", "websocket tcp http"],
            check=True, capture_output=True, text=True).stdout
        packets = json.loads(out)
        server_port = None
        messages, current = [], None
        for p in packets:
            layers = p["_source"]["layers"]
            port = layers["tcp"]["tcp.srcport"]
            http = layers.get("http", {})
            if server_port is None and '"http.response.code": "101"' in json.dumps(http):
                server_port = port
            if "websocket" not in layers or port != server_port:
                continue
            for ws in frames(layers["websocket"]):
                opcode = int(ws["websocket.opcode"])
                if opcode >= 8:
                    continue
                compressed = int(ws["websocket.rsv"], 16) & 0x4
                payload = ""
                pl = ws.get("websocket.payload", {})
                if compressed:
                    payload = (pl.get("websocket.payload.text_raw") or pl.get("websocket.payload.binary_raw") or [""])[0]
                elif "websocket.payload_raw" in ws:
                    payload = ws["websocket.payload_raw"][0]
                if opcode in (1, 2):
                    current = payload
                else:
                    current = (current or "") + payload
                if ws["websocket.fin"] == "1":
                    messages.append(current)
                    current = None
        with open(path + ".expected.hex", "w") as f:
            f.write("# server->client data messages per tshark 4.0 (make_expected.py), one per line, hex\n")
            for m in messages:
                f.write(m.lower() + "\n")
        print(path, len(messages), "messages, server port", server_port)


if __name__ == "__main__":
    main(sys.argv[1:])
