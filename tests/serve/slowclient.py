#!/usr/bin/env python3
"""slowclient.py PORT MODE — a misbehaving client for the serve suite.

Modes:
  halfline   sends half a request line, then nothing
  halfbody   sends headers with Content-Length: 1000 and 500 bytes of body
  keepalive  sends one whole request, reads the response, then stays idle
  h2idle     sends the HTTP/2 preface, then nothing
  bigheader  sends one request whose single header line is 500 KB

Then waits (at most 15 s) for the server to close the connection and
prints one line: "closed after S.SS s: STATUS" where STATUS is the status
of the first response on the connection ("-" when there was none; "h2" for
HTTP/2 frames).  "open" instead of "closed" when the server kept it.
"""
import socket
import sys
import time

port, mode = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port))
req = {
    "halfline": b"GET /hello HTT",
    "halfbody": b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" + b"a" * 500,
    "keepalive": b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n",
    "h2idle": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    "bigheader": b"GET /hello HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 500000 + b"\r\n\r\n",
}[mode]
try:
    s.sendall(req)
except OSError:
    pass  # the server may close before it has read everything
t0 = time.monotonic()
s.settimeout(15)
got = b""
state = "closed"
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        if not got:
            t0 = time.monotonic()  # for keepalive: idle from the response on
        got += d
except socket.timeout:
    state = "open"
except ConnectionResetError:
    pass
status = "-"
if got.startswith(b"HTTP/1.1 "):
    status = got[9:12].decode()
elif got:
    status = "h2"
print("%s after %.2f s: %s" % (state, time.monotonic() - t0, status))
