"""Network destinations: udp://, tcp://, unix:// (path and @abstract), with
real consumers on loopback; a destination that comes up late."""
import json
import os
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from scope_it import PYTHON, ScopeTest, events_of

STATSD_LINE = r"^[a-z_.]+:[0-9.]+\|(c|g|h|ms)(\|#[^|\n]+)?$"


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StreamServer:
    """Accepts one connection on a bound, listening socket and reads it to
    EOF in a thread; .data is what came."""

    def __init__(self, sock):
        self.sock = sock
        self.sock.listen(1)
        self.sock.settimeout(60)
        self.data = b""
        self.thread = threading.Thread(target=self._serve)
        self.thread.start()

    def _serve(self):
        conn, _ = self.sock.accept()
        with conn:
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                self.data += chunk

    def lines(self, timeout=30):
        self.thread.join(timeout)
        self.sock.close()
        return self.data.decode().splitlines()


def tcp_server(port=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    return s


def unix_server(address):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(address)
    return s


# Paced: the library's per-thread event queue holds 256 events between
# drains (every 10 ms); a burst past it is dropped (with a notice), which is
# not what these tests are about.
PRINT_500 = ("import time\n"
             "time.sleep(0.05)\n"
             "for i in range(500):\n"
             "    print('line %d' % i, flush=True)\n"
             "    if i % 50 == 49: time.sleep(0.02)\n")


class UdpStatsdTest(ScopeTest):
    def test_datagrams_hold_whole_lines_and_exact_bytes(self):
        srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        srv.bind(("127.0.0.1", 0))
        srv.settimeout(0.5)
        port = srv.getsockname()[1]
        out = os.path.join(self.dir, "OUT")
        self.scope_run(["dd", "if=/dev/zero", "of=" + out, "bs=4096", "count=100"],
                       fmt="statsd", extra=("-m", f"udp://127.0.0.1:{port}"))
        grams = []
        try:
            while True:
                grams.append(srv.recv(65536))
        except socket.timeout:
            pass
        srv.close()
        self.assertTrue(grams)
        lines = []
        for g in grams:
            self.assertLessEqual(len(g), 512)
            self.assertTrue(g.endswith(b"\n"), g)
            for l in g.decode().splitlines():
                self.assertRegex(l, STATSD_LINE)
                lines.append(l)
        self.assertLess(len(grams), len(lines))     # packed, not one line each
        writes = [l for l in lines if l.startswith("fs.write:") and f"file:{out}," in l + ","]
        self.assertTrue(writes, lines)
        self.assertEqual(sum(int(l.split(":", 1)[1].split("|")[0]) for l in writes), 409600)


class StreamEventsTest(ScopeTest):
    def events_via(self, server, url):
        self.scope_run([PYTHON, "-c", PRINT_500], extra=("-e", url))
        events = [json.loads(l) for l in server.lines()]
        self.assertTrue(events)
        text = "".join(e["data"]["message"] for e in events_of(events, "stdout"))
        self.assertEqual(text, "".join("line %d\n" % i for i in range(500)))

    def test_tcp(self):
        srv = StreamServer(tcp_server())
        self.events_via(srv, "tcp://127.0.0.1:%d" % srv.sock.getsockname()[1])

    def test_unix_path(self):
        path = os.path.join(self.dir, "sock")
        self.events_via(StreamServer(unix_server(path)), "unix://" + path)

    def test_unix_abstract(self):
        name = "scope-it-%d-%d" % (os.getpid(), time.monotonic_ns())
        self.events_via(StreamServer(unix_server("\0" + name)), "unix://@" + name)


class LateDestinationTest(ScopeTest):
    def test_lines_kept_until_the_destination_comes_up(self):
        port = free_port()
        body = ("import time\n"
                "for i in range(50):\n"
                "    print('tick %d' % i, flush=True)\n"
                "    time.sleep(0.05)\n")
        servers = []

        def start_later():
            time.sleep(1)
            servers.append(StreamServer(tcp_server(port)))
        starter = threading.Thread(target=start_later)
        starter.start()
        began = time.monotonic()
        self.scope_run([PYTHON, "-c", body], extra=("-e", f"tcp://127.0.0.1:{port}"))
        elapsed = time.monotonic() - began
        starter.join()
        events = [json.loads(l) for l in servers[0].lines()]
        self.assertLess(elapsed, 4)
        text = "".join(e["data"]["message"] for e in events_of(events, "stdout"))
        self.assertEqual(text, "".join("tick %d\n" % i for i in range(50)))


if __name__ == "__main__":
    unittest.main()
