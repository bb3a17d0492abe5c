"""http_cases.py: an HTTP/1.x server and its clients in one process, for
scope's HTTP tests (tests/integration/test_http.py). Prints the port it
served on, then one line per case: `case target status`, the requests a
case made in order. Every request here gets one http.resp on each side."""
import http.client
import http.server
import os
import socket
import sys
import threading
import time

BODY = b"x" * 1000


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = self.path
        if path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"a" * 100, b"b" * 2000, b"c" * 5):
                self.wfile.write(b"%x\r\n" % len(part) + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/empty":
            self.send_response(204)
            self.end_headers()
        elif path == "/same":
            self.send_response(304)
            self.end_headers()
        elif path == "/cut":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"y" * 10)
            self.wfile.flush()
            self.close_connection = True
        elif path == "/file":
            # the body with sendfile, as nginx sends files
            with open(__file__, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                self.send_response(200)
                self.send_header("Content-Length", str(size))
                self.end_headers()
                self.wfile.flush()
                os.sendfile(self.connection.fileno(), f.fileno(), 0, size)
        elif path.startswith("/missing"):
            self.send_error(404)
        else:
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY)))
            self.send_header("Set-Cookie", "session=secret")
            self.end_headers()
            self.wfile.write(BODY)

    def do_HEAD(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        got = self.rfile.read(n)
        self.send_response(201)
        self.send_header("Content-Length", str(len(got)))
        self.end_headers()
        self.wfile.write(got)


def serve():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def read_response(f):
    """One response from a raw socket's file: its status."""
    status = int(f.readline().split()[1])
    length, chunked = None, False
    while True:
        line = f.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
        if name.lower() == "transfer-encoding":
            chunked = True
    if length:
        f.read(length)
    return status


def client_cases(port):
    out = []
    c = http.client.HTTPConnection("127.0.0.1", port)
    # keep-alive: one connection, many requests
    for target in ("/index.html", "/index.html", "/index.html", "/missing", "/chunked",
                   "/empty", "/same"):
        c.request("GET", target, headers={"Authorization": "Bearer secret",
                                          "X-Request-Id": "r-" + target})
        r = c.getresponse()
        r.read()
        out.append(("keepalive", target, r.status))
    c.request("HEAD", "/index.html")
    r = c.getresponse()
    r.read()
    out.append(("head", "/index.html", r.status))
    c.request("POST", "/post", body=b"p" * 321)
    r = c.getresponse()
    r.read()
    out.append(("post", "/post", r.status))
    c.close()

    # a head one byte per write
    s = socket.create_connection(("127.0.0.1", port))
    for b in b"GET /bytewise HTTP/1.1\r\nHost: x\r\n\r\n":
        s.send(bytes([b]))
        time.sleep(0.001)
    f = s.makefile("rb")
    out.append(("bytewise", "/bytewise", read_response(f)))
    # pipelined, on the same connection
    s.sendall(b"".join(b"GET /pipe%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(3)))
    for i in range(3):
        out.append(("pipelined", "/pipe%d" % i, read_response(f)))
    # Expect: 100-continue
    s.sendall(b"POST /continue HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n"
              b"Expect: 100-continue\r\n\r\n")
    assert f.readline().startswith(b"HTTP/1.1 100")
    f.readline()
    s.sendall(b"q" * 50)
    out.append(("continue", "/continue", read_response(f)))
    f.close()
    s.close()

    # writev: a head and its body in one call; readv reads the response
    s = socket.create_connection(("127.0.0.1", port))
    os.writev(s.fileno(), [b"POST /vector HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n",
                           b"vectors"])
    got = b""
    while b"vectors" not in got:
        part = bytearray(64)
        n = os.readv(s.fileno(), [part, bytearray(0)])
        got += bytes(part[:n])
    out.append(("vectored", "/vector", int(got.split()[1])))
    # a body sent with sendfile
    s.sendall(b"GET /file HTTP/1.1\r\nHost: x\r\n\r\n")
    f = s.makefile("rb")
    out.append(("sendfile", "/file", read_response(f)))
    f.close()
    s.close()

    # HTTP/1.0: the server closes after it
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /old HTTP/1.0\r\n\r\n")
    f = s.makefile("rb")
    out.append(("http10", "/old", read_response(f)))
    f.close()
    s.close()

    # a connection closed mid-body
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request("GET", "/cut")
    r = c.getresponse()
    try:
        r.read()
    except http.client.IncompleteRead:
        pass
    out.append(("cut", "/cut", r.status))
    c.close()
    return out


def main():
    srv = serve()
    port = srv.server_address[1]
    print(port, flush=True)
    for case in client_cases(port):
        print(*case, flush=True)
    time.sleep(0.3)     # the server's side of the last one is done
    srv.shutdown()


if __name__ == "__main__":
    main()
