"""Network destinations: udp://, tcp://, unix:// (path and @abstract), with
real consumers on loopback (Etsy's StatsD daemon among them); a destination
that comes up late, one that never reads; the library's own log."""
import glob
import json
import os
import re
import resource
import socket
import subprocess
import threading
import time
import unittest

from scopetest import (LIB, PYTHON, SCOPE, ScopeTest, events_of, free_port, metrics_named,
                       start_statsd, texts)

STATSD_LINE = r"^[a-z_.]+:[0-9.]+\|(c|g|h|ms)(\|@[0-9.]+)?(\|#[^|\n]+)?$"


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
        text = texts(events, "console").get("stdout", "")
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
        text = texts(events, "console").get("stdout", "")
        self.assertEqual(text, "".join("tick %d\n" % i for i in range(50)))


TOTALS_BACKEND = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                              "statsd_totals_backend.js")


class StatsdDaemonTest(ScopeTest):
    """Etsy's StatsD (npm `statsd`, installed by scripts/deps.sh) parses our
    datagrams; its flushed totals are what dd did."""

    def start_statsd(self):
        self.totals = os.path.join(self.dir, "totals.json")
        port, self.statsd = start_statsd(self, TOTALS_BACKEND, "totals", self.totals)
        return port


    def counters_when(self, ready, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            with open(self.totals) as f:
                counters = json.load(f)["counters"]
            if ready(counters) or time.monotonic() > deadline:
                return counters
            time.sleep(0.1)

    def test_flushed_totals_match_the_workload(self):
        port = self.start_statsd()
        out = os.path.join(self.dir, "OUT")
        self.scope_run(["dd", "if=/dev/zero", "of=" + out, "bs=4096", "count=100"], fmt="statsd",
                       verbosity=4, extra=("-m", f"udp://127.0.0.1:{port}"))

        def total(counters, name):
            return sum(v for k, v in counters.items()
                       if k.split(";")[0] == name and ";proc=dd;" in k + ";")
        counters = self.counters_when(lambda c: total(c, "fs.write") >= 409600)
        self.assertEqual(total(counters, "fs.write"), 409600, counters)
        self.assertEqual(total(counters, "fs.read"), 409600, counters)
        self.assertGreaterEqual(total(counters, "fs.open"), 2, counters)


def closed_port_lines(test, body, url_events):
    """Runs body under scope with console events only, none cut by the rate
    limit, to url_events; returns elapsed."""
    env = dict(test.env, SCOPE_EVENT_FS="false", SCOPE_EVENT_NET="false",
               SCOPE_EVENT_DNS="false", SCOPE_EVENT_MAXEPS="1000000")
    began = time.monotonic()
    test.scope_run([PYTHON, "-c", body], env=env, extra=("-e", url_events))
    return time.monotonic() - began


# 40 lines every 10 ms for 2 s: 8000 console events, ~4 MB of NDJSON. One
# write a line (print() with flush=True writes each of its arguments).
PRINT_PACED = ("import sys, time\n"
               "for i in range(200):\n"
               "    for j in range(40):\n"
               "        sys.stdout.write('%s %d %d\\n' % ('x' * 200, i, j))\n"
               "        sys.stdout.flush()\n"
               "    time.sleep(0.01)\n")


def plain_elapsed(body):
    began = time.monotonic()
    subprocess.run([PYTHON, "-c", body], stdout=subprocess.DEVNULL, check=True)
    return time.monotonic() - began


class DeliveryTest(ScopeTest):
    def test_destination_down_then_up_drops_are_told(self):
        """Down while the program writes 6000 lines (3 MB of events, past
        what is kept), up for 2000 more: the program never waits; what was
        kept and the rest arrive in order, then a notice and scope.dropped
        say how many lines were dropped."""
        port = free_port()
        down_done, up = os.path.join(self.dir, "down_done"), os.path.join(self.dir, "up")
        body = ("import os, sys, time\n"
                "def lines(first, n):\n"
                "    for k in range(first, first + n):\n"
                "        sys.stdout.write('%s %d\\n' % ('x' * 200, k)); sys.stdout.flush()\n"
                "        if k % 40 == 39: time.sleep(0.002)\n"
                "lines(0, 6000)\n"
                f"open({down_done!r}, 'w').close()\n"
                f"while not os.path.exists({up!r}): time.sleep(0.01)\n"
                "lines(6000, 2000)\n")
        servers = []

        def start_when_told():
            while not os.path.exists(down_done):
                time.sleep(0.01)
            servers.append(StreamServer(tcp_server(port)))
            open(up, "w").close()
        starter = threading.Thread(target=start_when_told)
        starter.start()
        closed_port_lines(self, body, f"tcp://127.0.0.1:{port}")
        starter.join()
        events = [json.loads(l) for l in servers[0].lines()]
        consoles = events_of(events, "stdout")
        notices = [b["data"] for b in events_of(events, "notice")]
        told = [int(re.match(r"scope dropped (\d+) event lines", n).group(1))
                for n in notices if re.match(r"scope dropped \d+ event lines", n)]
        self.assertEqual(len(told), 1, notices)
        # On a starved machine the reporter may fall behind a thread's
        # queue: those events were never lines, and a notice says so.
        queued_out = sum(int(re.match(r"scope dropped (\d+) events: a queue", n).group(1))
                         for n in notices if re.match(r"scope dropped \d+ events: a queue", n))
        made = 8000 - queued_out
        self.assertLess(len(consoles), 6000)
        # Dropped lines are the oldest: console lines, and at most the line
        # that opens a stream (the process-start record).
        self.assertIn(len(consoles) + told[0], (made, made + 1))
        # The rest arrived in order, without a gap (but for queue drops).
        numbers = [int(c["data"]["message"].split()[1]) for c in consoles]
        self.assertEqual(numbers, sorted(set(numbers)))
        self.assertGreaterEqual(numbers[-1], 7999 - queued_out)
        if not queued_out:
            self.assertEqual(numbers, list(range(made - len(numbers), made)))
        dropped = metrics_named(self.metric_lines(), "scope.dropped")
        self.assertEqual([(d["stream"], d["_value"]) for d in dropped
                          if d["reason"] == "destination"], [("event", told[0])])
        self.assertEqual(sum(d["_value"] for d in dropped if d["reason"] == "queue"),
                         queued_out)

    def test_stalled_reader_costs_the_program_nothing(self):
        """A collector that accepts and never reads: the program runs as fast
        as with no scope, and the library's memory stays bounded."""
        srv = tcp_server()
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        srv.listen(1)
        port = srv.getsockname()[1]
        self.addCleanup(srv.close)
        plain = plain_elapsed(PRINT_PACED)
        rss_before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        elapsed = closed_port_lines(self, PRINT_PACED, f"tcp://127.0.0.1:{port}")
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        self.assertLess(elapsed, plain + 2.5)        # 2 s: the bounded exit flush
        if rss > rss_before:                         # the largest child so far was us
            self.assertLess(rss - rss_before, 16 * 1024, "KiB more than the plain run")


class PartialFileWriteTest(ScopeTest):
    def test_a_size_limit_cuts_one_line(self):
        """The program lowers its own RLIMIT_FSIZE to 40 bytes past the end
        of the events file, prints, then lifts the limit and prints again.
        The line the limit cut is ended before the next one, which must not
        be glued to its head."""
        body = ("import os, resource, sys, time\n"
                "def say(what):\n"
                "    for i in range(60): print('%s %d' % (what, i), flush=True)\n"
                "time.sleep(0.3)\n"
                "say('before'); time.sleep(0.3)\n"
                "size = os.path.getsize(sys.argv[1])\n"
                "resource.setrlimit(resource.RLIMIT_FSIZE, (size + 40, resource.RLIM_INFINITY))\n"
                "say('cut'); time.sleep(0.3)\n"
                "resource.setrlimit(resource.RLIMIT_FSIZE,\n"
                "                   (resource.RLIM_INFINITY, resource.RLIM_INFINITY))\n"
                "say('after')\n")
        self.scope_run([PYTHON, "-c", body, self.events])
        with open(self.events, "rb") as f:
            lines = [l for l in f.read().split(b"\n") if l]
        parsed, bad = [], []
        for line in lines:
            try:
                parsed.append(json.loads(line))
            except ValueError:
                bad.append(line)
        self.assertEqual([len(b) for b in bad], [40], bad)
        text = texts(parsed, "console").get("stdout", "")
        for what in ("before", "after"):
            self.assertIn("".join("%s %d\n" % (what, i) for i in range(60)), text)
        self.assertNotIn("cut 59", text)

    def test_a_file_left_inside_a_line_is_ended_first(self):
        """An events file an earlier writer left inside a line (its tail
        lost to a full disk): our first line must not continue it."""
        with open(self.events, "wb") as f:
            f.write(b'{"type":"evt","body":{"sou')
        self.scope_run([PYTHON, "-c", "print('hello', flush=True)"])
        with open(self.events, "rb") as f:
            lines = f.read().split(b"\n")
        self.assertEqual(lines[0], b'{"type":"evt","body":{"sou')
        events = [json.loads(l) for l in lines[1:] if l]
        text = texts(events, "console").get("stdout", "")
        self.assertEqual(text, "hello\n")

    def test_a_size_limit_at_exit_kills_nothing(self):
        """The limit stays until the program exits, and the library's log
        is already past it. The event lines the limit cost are said in that
        log at exit, from the program's own thread, where SIGXFSZ's default
        action (set back here: python ignores it) would kill the program:
        it must exit 0, the log unchanged."""
        log = os.path.join(self.dir, "big.log")
        with open(log, "wb") as f:
            f.write(b"x" * (1 << 20) + b"\n")
        body = ("import os, resource, signal, sys, time\n"
                "signal.signal(signal.SIGXFSZ, signal.SIG_DFL)\n"
                "time.sleep(0.3)\n"
                "size = os.path.getsize(sys.argv[1])\n"
                "resource.setrlimit(resource.RLIMIT_FSIZE, (size + 40, resource.RLIM_INFINITY))\n"
                "for i in range(60): print('cut %d' % i, flush=True)\n"
                "time.sleep(0.3)\n")
        self.scope_run([PYTHON, "-c", body, self.events],
                       env=dict(self.env, SCOPE_LOG_DEST="file://" + log))
        self.assertEqual(os.path.getsize(log), (1 << 20) + 1)


class DescriptorTakeoverTest(ScopeTest):
    def test_program_closing_and_reusing_our_numbers_gets_none_of_our_lines(self):
        """The program closes every descriptor past the library's close
        wrapper (a raw close_range) and opens 150 socket pairs, which reuse
        the numbers: none of them receives a byte of ours, and our lines
        still reach their destinations."""
        srv = StreamServer(tcp_server())
        body = ("import ctypes, socket, sys, time\n"
                "libc = ctypes.CDLL(None, use_errno=True)\n"
                "time.sleep(0.3)\n"
                "libc.syscall(436, 3, 1023, 0)\n"          # SYS_close_range
                "pairs = [socket.socketpair() for _ in range(150)]\n"
                "for i in range(50):\n"
                "    sys.stdout.write('line %d\\n' % i); sys.stdout.flush()\n"
                "time.sleep(0.5)\n"
                "got = 0\n"
                "for pair in pairs:\n"
                "    for s in pair:\n"
                "        s.setblocking(False)\n"
                "        try: got += len(s.recv(65536))\n"
                "        except BlockingIOError: pass\n"
                "sys.stdout.write('LEAKED %d\\n' % got); sys.stdout.flush()\n")
        p = self.scope_run([PYTHON, "-c", body], env=dict(self.env, SCOPE_SUMMARY_PERIOD="1"),
                           extra=("-e", "tcp://127.0.0.1:%d" % srv.sock.getsockname()[1]))
        self.assertIn(b"LEAKED 0\n", p.stdout)
        events = [json.loads(l) for l in srv.lines()]
        text = texts(events, "console").get("stdout", "")
        self.assertIn("line 49\nLEAKED 0\n", text)
        self.assertTrue(metrics_named(self.metric_lines(), "proc.fd"))


class LibraryLogTest(ScopeTest):
    def test_unreachable_destination_is_logged_in_the_session(self):
        port = free_port()
        p = subprocess.run([SCOPE, "run", "-e", f"tcp://127.0.0.1:{port}", "--", "echo", "hi"],
                           env=self.env, capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        logs = glob.glob(os.path.join(self.dir, "home", "history", "*", "libscope.log"))
        self.assertEqual(len(logs), 1, p.stderr)
        with open(logs[0]) as f:
            text = f.read()
        self.assertRegex(text, r"^\d{4}-\d\d-\d\dT[\d:.]+Z scope\[\d+\] warning: "
                               rf"cannot reach tcp://127.0.0.1:{port} \(Connection refused\)")
        self.assertRegex(text, rf"warning: [1-9]\d* event lines could not be written to "
                               rf"tcp://127.0.0.1:{port}\n")
        self.assertNotIn("scope:", p.stderr.replace("scope: session ", ""))

    def test_log_level_none_and_symlinks(self):
        target = os.path.join(self.dir, "elsewhere")
        link = os.path.join(self.dir, "scope.log")
        os.symlink(target, link)
        env = dict(self.env, SCOPE_LOG_DEST="file://" + link, SCOPE_LOG_LEVEL="debug",
                   LD_PRELOAD=LIB, SCOPE_METRIC_DEST="", SCOPE_EVENT_DEST="tcp://127.0.0.1:1")
        subprocess.run(["echo", "hi"], env=env, check=True, timeout=30, stdout=subprocess.DEVNULL)
        self.assertFalse(os.path.exists(target), "the log followed a symlink")
        env["SCOPE_LOG_DEST"] = "file://" + os.path.join(self.dir, "real.log")
        subprocess.run(["echo", "hi"], env=env, check=True, timeout=30, stdout=subprocess.DEVNULL)
        with open(os.path.join(self.dir, "real.log")) as f:
            self.assertIn("warning: cannot reach tcp://127.0.0.1:1 (Connection refused)", f.read())
        self.assertEqual(os.stat(os.path.join(self.dir, "real.log")).st_mode & 0o777, 0o600)
        env["SCOPE_LOG_LEVEL"] = "none"
        env["SCOPE_LOG_DEST"] = "file://" + os.path.join(self.dir, "none.log")
        subprocess.run(["echo", "hi"], env=env, check=True, timeout=30, stdout=subprocess.DEVNULL)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "none.log")))


if __name__ == "__main__":
    unittest.main()
