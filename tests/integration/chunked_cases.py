"""chunked_cases.py: an HTTP/1.1 server and its clients in one process,
for scope's test of chunked bodies (tests/integration/test_http_chunked.py):
bodies of many small chunks, each body written in one call and read in
calls of 8 KiB (http.client) or 64 KiB (a raw socket), on keep-alive
connections. Prints `target status` per request, in order."""
import http.client
import http.server
import socket
import sys
import threading
import time

CHUNKS = 3000                       # of 7 bytes: 36 KiB of framing and data
PART = b"%x\r\n%s\r\n" % (7, b"c" * 7)
BODY = PART * CHUNKS + b"0\r\n\r\n"
PAUSE = 0.3                         # the reporter has seen the head by then


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def chunked_head(self):
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def do_GET(self):
        if self.path == "/stream":
            # the head, then, a moment later, the whole body in one write
            self.chunked_head()
            self.wfile.flush()
            time.sleep(PAUSE)
            self.wfile.write(BODY)
        elif self.path == "/atonce":
            # the head and the body in one write
            self.wfile.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + BODY)
        else:
            self.send_response(200)
            self.send_header("Content-Length", "5")
            self.end_headers()
            self.wfile.write(b"small")


def client(port, targets):
    c = http.client.HTTPConnection("127.0.0.1", port)
    for target in targets:
        c.request("GET", target)
        r = c.getresponse()
        body = r.read()
        assert target == "/small" or body == b"c" * 7 * CHUNKS, len(body)
        print(target, r.status, flush=True)
    c.close()


def raw_client(port, targets):
    """Reads each response in recv calls of 64 KiB."""
    s = socket.create_connection(("127.0.0.1", port))
    for target in targets:
        s.sendall(b"GET %s HTTP/1.1\r\nHost: chunked\r\n\r\n" % target.encode())
        got = b""
        end = b"0\r\n\r\n" if target != "/small" else b"small"
        while not got.endswith(end):
            more = s.recv(65536)
            assert more, got
            got += more
        print(target, int(got.split()[1]), flush=True)
    s.close()


def main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    port = srv.server_address[1]
    client(port, ["/stream", "/small", "/stream", "/small"])
    raw_client(port, ["/stream", "/small"])
    # the first body of a connection written with its head, past 4 KiB:
    # its framing is not seen (counted); the next one is followed
    client(port, ["/atonce", "/small", "/atonce"])
    srv.shutdown()


if __name__ == "__main__":
    sys.exit(main())
