"""Durations as distributions (reporter/rep_latency.c), per kind of call:
a program whose reads of one FIFO and writes to another take known times
(the test writes one byte a gap to the one, and empties the other, a
one-page pipe, a page a gap; the program times each call itself) reports
p50, p99 and max within the documented bucket error for its reads (op
read) and its writes (op write) apart, as NDJSON (scope.fs.duration,
valid against its schema in tests/tools/scope-schemas) and as StatsD
timers that Etsy's daemon aggregates to the same figures; a TCP client
whose receives wait known times reports them as op recv of its peer."""
import fcntl
import json
import math
import os
import socket
import struct
import subprocess
import termios
import threading
import time
import unittest

from scopetest import (PYTHON, SCHEMAS, SRC, VALIDATOR, ScopeTest, metrics_named,
                       read_ndjson, start_statsd)

EXTENSIONS = os.path.join(SRC, "tests", "tools", "scope-schemas")
TIMERS_BACKEND = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                              "statsd_timers_backend.js")
# reads: 40 of 20 ms, 4 of 120 ms, then end of file after 50 ms: p50 is a
# 20 ms read, p99 and max the longest 120 ms one; writes: 40 of 60 ms and
# 4 of 200 ms, apart from the reads' at every quantile
GAPS = {"read": [0.02] * 40 + [0.12] * 4, "write": [0.06] * 40 + [0.2] * 4}
BUCKET_ERROR = 1 / 16           # rep_hist.h: REP_HIST_ERROR
# what the program measures around a call holds a little more than scope
# measures in the wrapper; under load, a preemption between the two
SLACK_US = 2000
RANK_SLACK = 2
PAGE = 4096
F_SETPIPE_SZ = 1031
# the program times its own reads of the one FIFO, then its writes of a
# page to the other, as the program that knows
PROGRAM = ("import json, os, sys, time\n"
           "took = {'read': [], 'write': []}\n"
           "def timed(kind, call):\n"
           "    t = time.monotonic()\n"
           "    r = call()\n"
           "    took[kind].append((time.monotonic() - t) * 1e6)\n"
           "    return r\n"
           "fd = os.open(sys.argv[1], os.O_RDONLY)\n"
           "while timed('read', lambda: os.read(fd, 64)):\n"
           "    pass\n"
           "os.close(fd)\n"
           "fd = os.open(sys.argv[2], os.O_WRONLY)\n"
           "for i in range(int(sys.argv[4])):\n"
           "    timed('write', lambda: os.write(fd, b'w' * 4096))\n"
           "os.close(fd)\n"
           "with open(sys.argv[3], 'w') as f:\n"
           "    json.dump(took, f)\n")


def pipe_bytes(fd):
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]


def wait_while(cond):
    deadline = time.monotonic() + 60
    while cond() and time.monotonic() < deadline:
        time.sleep(0.002)


class FifoWorkload:
    """A program that reads a FIFO the test writes one byte to every gap,
    then writes pages to a one-page FIFO the test empties every gap: its
    calls take about the gaps, and it says how long each took."""

    def __init__(self, test):
        self.test = test
        self.path = os.path.join(test.dir, "slow.fifo")
        self.out_path = os.path.join(test.dir, "slow-out.fifo")
        self.took_file = os.path.join(test.dir, "took.json")
        os.mkfifo(self.path)
        os.mkfifo(self.out_path)
        # held read-write: the program's opens do not wait for the other end
        self.fd = os.open(self.path, os.O_RDWR)
        self.out_fd = os.open(self.out_path, os.O_RDWR)
        fcntl.fcntl(self.out_fd, F_SETPIPE_SZ, PAGE)

    def feed(self):
        # a first byte, taken once the program runs: then it waits in a read
        os.write(self.fd, b"s")
        wait_while(lambda: pipe_bytes(self.fd))
        for gap in GAPS["read"]:
            time.sleep(gap)
            os.write(self.fd, b"x")
        time.sleep(0.05)
        os.close(self.fd)
        # its first page fills the pipe; then each write waits for a read
        wait_while(lambda: pipe_bytes(self.out_fd) < PAGE)
        for gap in GAPS["write"]:
            time.sleep(gap)
            os.read(self.out_fd, PAGE)
        os.read(self.out_fd, PAGE)
        os.close(self.out_fd)

    def run(self, scope_run, **kw):
        feeder = threading.Thread(target=self.feed)
        feeder.start()
        try:
            scope_run([PYTHON, "-c", PROGRAM, self.path, self.out_path, self.took_file,
                       str(len(GAPS["write"]) + 1)], verbosity=9, **kw)
        finally:
            feeder.join()
        with open(self.took_file) as f:
            self.took = {k: sorted(v) for k, v in json.load(f).items()}
        # one byte a read, and the end; a program held up past a gap reads
        # two at once, and what it measured is still what scope must say
        self.test.assertGreater(len(self.took["read"]), len(GAPS["read"]) // 2)
        self.test.assertEqual(len(self.took["write"]), len(GAPS["write"]) + 1)

    def assert_near(self, op, what, got_us, q):
        assert_near(self.test, self.took[op], f"{op} {what}", got_us, q)


def assert_near(test, took, what, got_us, q):
    """Within the bucket error of the call at rank ceil(q * n) of the
    sorted durations `took`, as rep_hist ranks, give or take RANK_SLACK
    ranks: the first call after a drain is timed, but a program held up
    past 10 ms makes its next call an untimed one, or a sample that weighs
    two."""
    rank = max(1, math.ceil(q * len(took)))
    low = took[min(max(rank - RANK_SLACK, 1), len(took)) - 1]
    high = took[min(max(rank + RANK_SLACK, 1), len(took)) - 1]
    test.assertLessEqual(got_us, high * (1 + BUCKET_ERROR) + 500,
                         f"{what}: {got_us} us, the calls took {took}")
    test.assertGreaterEqual(got_us, low * (1 - BUCKET_ERROR) - SLACK_US,
                            f"{what}: {got_us} us, the calls took {took}")


def validate(test, path):
    p = subprocess.run([PYTHON, VALIDATOR, "--schemas", SCHEMAS, "--extensions", EXTENSIONS,
                        path], capture_output=True, text=True)
    test.assertEqual(p.returncode, 0, p.stdout + p.stderr)


class LatencyNdjsonTest(ScopeTest):
    def test_fifo_reads_and_writes_apart(self):
        w = FifoWorkload(self)
        w.run(self.scope_run, extra=("-p", "60"))
        lines = read_ndjson(self.metrics)
        calls = 0
        for op, path in (("read", w.path), ("write", w.out_path)):
            dists = [b for b in metrics_named(lines, "scope.fs.duration")
                     if b.get("file") == path and b["op"] == op]
            self.assertEqual(len(dists), 1, dists)
            d = dists[0]
            w.assert_near(op, "p50", d["p50"], 0.5)
            w.assert_near(op, "p99", d["p99"], 0.99)
            w.assert_near(op, "max", d["max"], 1)
            self.assertEqual(d["_value"], d["p50"])
            self.assertLessEqual(d["samples"], d["calls"])
            # nothing of the other kind is in it
            others = [b for b in metrics_named(lines, "scope.fs.duration")
                      if b.get("file") == path and b["op"] not in (op, "other")]
            self.assertEqual(others, [])
            # AppScope's mean stays beside it, as it was: of all the timed
            # calls (numops: their weights), which the kinds share out
            means = [b for b in metrics_named(lines, "fs.duration") if b.get("file") == path]
            self.assertEqual(len(means), 1)
            self.assertEqual(means[0]["_metric_type"], "histogram")
            kinds = [b["calls"] for b in metrics_named(lines, "scope.fs.duration")
                     if b.get("file") == path]
            self.assertEqual(sum(kinds), means[0]["numops"])
        validate(self, self.metrics)


# six loopback connections that live 20, 40, ... 120 ms (both ends close
# together), and the listener; for each socket the script prints the
# bounds of its life: from after socket() (or accept) returned to before
# close, and from before the one to after the other
CONNECTIONS = ("import json, socket, time\n"
               "now = time.monotonic\n"
               "def life(t0, t1, close):\n"
               "    c0 = now(); close(); c1 = now()\n"
               "    return [(c0 - t1) * 1e6, (c1 - t0) * 1e6]\n"
               "t0 = now(); l = socket.socket(); t1 = now()\n"
               "l.bind(('127.0.0.1', 0)); l.listen(10)\n"
               "lives = []\n"
               "for i in range(6):\n"
               "    a0 = now(); c = socket.socket(); a1 = now()\n"
               "    c.connect(l.getsockname())\n"
               "    b0 = now(); s, _ = l.accept(); b1 = now()\n"
               "    time.sleep(0.02 * (i + 1))\n"
               "    lives += [life(a0, a1, c.close), life(b0, b1, s.close)]\n"
               "lives.append(life(t0, t1, l.close))\n"
               "print(json.dumps(lives))\n")


class LatencyNetTest(ScopeTest):
    """Connection lifetimes: one value each, summed over the socket class
    below verbosity 5."""

    def test_connection_lifetimes(self):
        p = self.scope_run([PYTHON, "-c", CONNECTIONS], verbosity=4, extra=("-p", "60"))
        lives = json.loads(p.stdout.decode().strip().splitlines()[-1])
        lows, highs = sorted(lo for lo, _ in lives), sorted(hi for _, hi in lives)
        dists = metrics_named(read_ndjson(self.metrics), "scope.net.duration")
        self.assertEqual(len(dists), 1, dists)
        d = dists[0]
        self.assertEqual((d["op"], d["class"], d["summary"]), ("connection", "inet_tcp", "true"))
        self.assertEqual((d["samples"], d["calls"]), (13, 13))
        # each life lies within its bounds, so the k-th smallest lies
        # within the k-th smallest bounds
        for name, rank in (("p50", 7), ("p99", 13), ("max", 13)):
            self.assertLessEqual(d[name], highs[rank - 1] * (1 + BUCKET_ERROR), (name, lives))
            self.assertGreaterEqual(d[name], lows[rank - 1] * (1 - BUCKET_ERROR), (name, lives))
        validate(self, self.metrics)


# receives that wait known times: the client sends one request, then
# only receives (a call of the other kind after each would take the timed
# call a drain forces, ip_call.h), timing each recv; the test's server
# sends a byte every gap
RECV_GAPS = [0.02] * 40 + [0.1] * 4
CLIENT = ("import json, socket, sys, time\n"
          "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\n"
          "s.send(b'go')\n"
          "took = []\n"
          "while True:\n"
          "    t = time.monotonic()\n"
          "    b = s.recv(64)\n"
          "    took.append((time.monotonic() - t) * 1e6)\n"
          "    if not b:\n"
          "        break\n"
          "s.close()\n"
          "print(json.dumps(took))\n")


class LatencyRecvTest(ScopeTest):
    """A socket's timed receives and sends are distributions of their own
    (op recv, op send) beside its lifetime (op connection), tagged with
    the peer as net.rx is."""

    def serve(self, listener):
        conn, _ = listener.accept()
        with conn:
            conn.recv(2)
            for gap in RECV_GAPS:
                time.sleep(gap)
                conn.sendall(b"x")
            time.sleep(0.05)
        listener.close()

    def test_recv_per_call(self):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        server = threading.Thread(target=self.serve, args=(listener,))
        server.start()
        try:
            p = self.scope_run([PYTHON, "-c", CLIENT, str(port)], extra=("-p", "60"))
        finally:
            server.join()
        took = sorted(json.loads(p.stdout.decode().strip().splitlines()[-1]))
        self.assertGreater(len(took), len(RECV_GAPS) // 2)
        lines = read_ndjson(self.metrics)
        peer = [b for b in metrics_named(lines, "scope.net.duration")
                if b.get("remoteip") == "127.0.0.1" and b.get("remotep") == port]
        ops = {b["op"]: b for b in peer}
        self.assertEqual(len(ops), len(peer), peer)
        for name, q in (("p50", 0.5), ("p99", 0.99), ("max", 1)):
            assert_near(self, took, "recv " + name, ops["recv"][name], q)
        # the one send is timed only when the sampler's turn falls on it
        # (connect may have taken the first); to loopback it waits for
        # nothing
        self.assertLess(ops.get("send", {"max": 0})["max"], 5000, peer)
        self.assertEqual(ops["connection"]["calls"], 1)
        validate(self, self.metrics)


class LatencyStatsdTest(ScopeTest):
    """The daemon's median, upper_99 and upper of scope.fs.duration are the
    reads' (the lines carry sample rates: its count is the calls)."""

    def start_statsd(self):
        self.timers = os.path.join(self.dir, "timers.json")
        # a flush a second: the lines of a period, sent at once, are
        # seldom cut in two (the backend keeps the larger part; the count
        # says when it is not all)
        port, self.statsd = start_statsd(self, TIMERS_BACKEND, "timers", self.timers,
                                         percentThreshold=[90, 99], flushInterval=1000)
        return port


    def timer_of(self, path):
        """The daemon's figures of the file's timer, once a flush after the
        first that had it is done (a part in the next one counts too)."""
        deadline, seen = time.monotonic() + 10, None
        while time.monotonic() < deadline:
            with open(self.timers) as f:
                timers = json.load(f)
            # the daemon's keys: name;tag=value;... with '/' made '-'
            for key, t in timers.items():
                if (key.startswith("scope.fs.duration;") and
                        ";file=" + path.replace("/", "-") + ";" in key and ";op=read;" in key):
                    if seen and time.monotonic() > seen + 1.5:
                        return dict(t, key=key)
                    seen = seen or time.monotonic()
            time.sleep(0.1)
        self.fail(f"no scope.fs.duration op=read timer for {path}: {timers}")

    def test_daemon_aggregates_the_reads(self):
        port = self.start_statsd()
        w = FifoWorkload(self)
        w.run(self.scope_run, fmt="statsd", extra=("-p", "60", "-m", f"udp://127.0.0.1:{port}"))
        t = self.timer_of(w.path)
        w.assert_near("read", "median", t["median"] * 1000, 0.5)
        w.assert_near("read", "upper_99", t["upper_99"] * 1000, 0.99)
        w.assert_near("read", "upper", t["upper"] * 1000, 1)
        # the sample rates make the daemon count the timed reads (the
        # numops tag: their weights), not the lines
        numops = int(t["key"].split(";numops=")[1].split(";")[0])
        self.assertEqual(round(t["count"]), numops)


if __name__ == "__main__":
    unittest.main()
