#!/usr/bin/env python3
"""tests/integration/slow.py: a client that sends a request too slowly.

  slow.py HOST:PORT header|body URI GAP MAX
      header: send the request line and a first header, then one more
      byte of a header every GAP seconds, never ending the header.
      body: send "PATCH URI" with "Content-Length: 100" and its whole
      header, then one body byte every GAP seconds.
      Stop when the server closes the connection or answers, or after
      MAX seconds.  Prints one line: "cut SECONDS STATUS" (STATUS is
      the answer's status, or "-" if the connection just closed) or
      "alive SECONDS" if the server waited MAX seconds.

Only the standard library; exit status 0 unless something local broke.
"""

import select
import socket
import sys
import time


def head(mode, uri, host):
    if mode == "header":
        return ("GET %s HTTP/1.1\r\nHost: %s\r\nX-Slow: " %
                (uri, host)).encode()
    return ("PATCH %s HTTP/1.1\r\nHost: %s\r\n"
            "Content-Type: application/octet-stream\r\n"
            "Content-Length: 100\r\n\r\n" % (uri, host)).encode()


def answer(s):
    """The status of what the server sent before closing, or "-"."""
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data:
                break
    except OSError:
        pass
    words = data.split(b"\r\n", 1)[0].split()
    if len(words) >= 2 and words[0].startswith(b"HTTP/"):
        return words[1].decode()
    return "-"


def main():
    if len(sys.argv) != 6 or sys.argv[2] not in ("header", "body"):
        sys.exit(__doc__)
    hostport, mode, uri = sys.argv[1], sys.argv[2], sys.argv[3]
    gap, limit = float(sys.argv[4]), float(sys.argv[5])
    host, port = hostport.rsplit(":", 1)
    s = socket.create_connection((host, int(port)))
    start = time.monotonic()
    try:
        s.sendall(head(mode, uri, hostport))
        while time.monotonic() - start < limit:
            ready, _, _ = select.select([s], [], [], gap)
            if ready:
                print("cut %.1f %s" % (time.monotonic() - start,
                                       answer(s)))
                return
            s.sendall(b"a")
    except OSError:
        print("cut %.1f -" % (time.monotonic() - start))
        return
    finally:
        s.close()
    print("alive %.1f" % (time.monotonic() - start))


if __name__ == "__main__":
    main()
