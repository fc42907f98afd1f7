#!/usr/bin/env python3
"""tests/integration/abort.py: requests whose body never arrives whole.

  abort.py http HOST:PORT METHOD URI LENGTH FILE [-H 'K: V']... [--chunked]
      Send METHOD URI with "Content-Length: LENGTH" (or chunked, without
      the last chunk) and the bytes of FILE, which are fewer, then close
      the connection without reading an answer.
  abort.py fcgi ADDR METHOD URI LENGTH FILE [--eof|--abort] [-p K=V]...
          [--records N] [--pad] [--noise] [--trickle]
      Talk FastCGI to specreg directly (ADDR: a socket path or
      host:port).  CONTENT_LENGTH is LENGTH (none if LENGTH is "-"),
      FILE is the body.  Without --eof the connection is closed after
      FILE, with no end-of-stdin record: what a front end does when its
      client goes away.  With --eof stdin is ended properly, with
      --abort an FCGI_ABORT_REQUEST follows FILE instead; either way
      the answer's status is printed.  The stdin records hold at most
      N bytes (--records, default 65535), carry 255 bytes of padding
      each, the last one's too (--pad), alternate with records of
      another request (--noise), and go out in pieces of 1000 bytes
      with pauses, so that they split across reads (--trickle).
  abort.py get HOST:PORT URI BYTES [-H 'K: V']...
      GET URI, read BYTES bytes of the answer (status line and headers
      included), then reset the connection: a client that goes away in
      the middle of a body.  Prints the status line.

Only the standard library; exit status 0 unless something local broke.
"""

import socket
import struct
import sys
import threading
import time


def connect(addr):
    if addr.startswith("/"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(addr)
    else:
        host, port = addr.rsplit(":", 1)
        s = socket.create_connection((host, int(port)))
    return s


def opts(argv):
    """Split ["-H", "K: V", "--eof", ...] into (headers, flags)."""
    hdrs, flags, i = [], set(), 0
    while i < len(argv):
        if argv[i] in ("-H", "-p"):
            hdrs.append(argv[i + 1])
            i += 2
        elif argv[i] == "--records":
            flags.add("--records=" + argv[i + 1])
            i += 2
        else:
            flags.add(argv[i])
            i += 1
    return hdrs, flags


def http(addr, method, uri, length, body, rest):
    hdrs, flags = opts(rest)
    s = connect(addr)
    head = ["%s %s HTTP/1.1" % (method, uri), "Host: %s" % addr,
            "Connection: close"]
    if "--chunked" in flags:
        head.append("Transfer-Encoding: chunked")
        body = b"%x\r\n" % len(body) + body + b"\r\n"
    else:
        head.append("Content-Length: %s" % length)
    head += hdrs
    s.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    # Let the front end pass on what it got before the connection goes.
    time.sleep(0.5)
    s.shutdown(socket.SHUT_RDWR)
    s.close()
    return 0


def record(rtype, content, rid=1, pad=None):
    if pad is None:
        pad = (8 - len(content) % 8) % 8
    return struct.pack("!BBHHBB", 1, rtype, rid, len(content), pad, 0) + \
        content + b"\0" * pad


def send_quietly(s, data):
    try:
        s.sendall(data)
    except OSError:
        pass    # answered and closed before it read everything


def records(rtype, content, size=65535, pad=None, noise=False):
    """A stream (params, stdin) in records of at most "size" bytes."""
    out = []
    for i in range(0, len(content), size):
        out.append(record(rtype, content[i:i + size], pad=pad))
        if noise:
            out.append(record(rtype, b"n" * 100, rid=9))
    return b"".join(out)


def send_trickling(s, data):
    for i in range(0, len(data), 1000):
        send_quietly(s, data[i:i + 1000])
        if i // 1000 % 50 == 0:
            time.sleep(0.002)


def nv(name, value):
    out = b""
    for x in (name, value):
        n = len(x)
        out += bytes([n]) if n < 128 else struct.pack("!I", n | 1 << 31)
    return out + name + value


def fcgi(addr, method, uri, length, body, rest):
    params, flags = opts(rest)
    env = {"GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": method,
           "REQUEST_URI": uri, "QUERY_STRING": uri.partition("?")[2],
           "SERVER_PROTOCOL": "HTTP/1.1", "SERVER_NAME": "127.0.0.1",
           "SERVER_PORT": "80", "REMOTE_ADDR": "127.0.0.1",
           "HTTP_HOST": "127.0.0.1",
           "CONTENT_TYPE": "application/octet-stream"}
    if length != "-":
        env["CONTENT_LENGTH"] = length
    for p in params:
        k, _, v = p.partition("=")
        env[k] = v
    s = connect(addr)
    pairs = b"".join(nv(k.encode(), v.encode()) for k, v in env.items())
    size = next((int(f.partition("=")[2]) for f in flags
                 if f.startswith("--records=")), 65535)
    pad = 255 if "--pad" in flags else None
    out = record(1, struct.pack("!HB5x", 1, 0))
    out += records(4, pairs) + record(4, b"")
    out += records(5, body, size, pad, "--noise" in flags)
    if "--eof" not in flags and "--abort" not in flags:
        s.sendall(out)
        time.sleep(0.2)
        s.close()
        return 0
    out += record(2, b"") if "--abort" in flags else record(5, b"", pad=pad)
    # Send while reading: specreg may answer before it read everything.
    send = send_trickling if "--trickle" in flags else send_quietly
    sender = threading.Thread(target=send, args=(s, out), daemon=True)
    sender.start()
    resp = b""
    while True:
        try:
            hdr = s.recv(8, socket.MSG_WAITALL)
        except OSError:
            break
        if len(hdr) < 8:
            break
        _, rtype, _, clen, pad, _ = struct.unpack("!BBHHBB", hdr)
        data = s.recv(clen + pad, socket.MSG_WAITALL)[:clen] if \
            clen + pad else b""
        if rtype == 6:
            resp += data
        if rtype == 3:
            break
    s.close()
    status = "200"
    for line in resp.split(b"\r\n\r\n")[0].split(b"\r\n"):
        if line.lower().startswith(b"status:"):
            status = line.split()[1].decode()
    print(status)
    sys.stderr.write(resp.decode("latin-1") + "\n")
    return 0


def get(addr, uri, want, rest):
    hdrs, _ = opts(rest)
    s = connect(addr)
    head = ["GET %s HTTP/1.1" % uri, "Host: %s" % addr] + hdrs
    s.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    got = b""
    while len(got) < want:
        b = s.recv(min(65536, want - len(got)))
        if not b:
            break
        got += b
    # Unread bytes and SO_LINGER 0: the web server sees a reset.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                 struct.pack("ii", 1, 0))
    s.close()
    print(got.split(b"\r\n", 1)[0].decode("latin-1"))
    return 0


def main(argv):
    if len(argv) >= 5 and argv[1] == "get":
        return get(argv[2], argv[3], int(argv[4]), argv[5:])
    if len(argv) < 7 or argv[1] not in ("http", "fcgi"):
        sys.stderr.write(__doc__)
        return 2
    with open(argv[6], "rb") as f:
        body = f.read()
    fn = http if argv[1] == "http" else fcgi
    return fn(argv[2], argv[3], argv[4], argv[5], body, argv[7:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
