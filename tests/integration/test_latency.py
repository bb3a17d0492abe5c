"""Durations as distributions (reporter/rep_latency.c): a FIFO reader whose
reads take known times (the test writes one byte a gap, the reader times
each read itself) reports p50, p99 and max within the documented bucket
error, as NDJSON (scope.fs.duration,
valid against its schema in tests/tools/scope-schemas) and as StatsD
timers that Etsy's daemon aggregates to the same figures."""
import fcntl
import json
import math
import os
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
# 40 reads of 20 ms, 4 of 120 ms, then end of file after 50 ms: p50 is a
# 20 ms read, p99 and max the longest 120 ms one
GAPS = [0.02] * 40 + [0.12] * 4
BUCKET_ERROR = 1 / 16           # rep_hist.h: REP_HIST_ERROR
# what the reader measures around a read holds a little more than scope
# measures in the wrapper; under load, a preemption between the two
SLACK_US = 2000
RANK_SLACK = 2
# the reader times its own reads of the FIFO, as the program that knows
READER = ("import json, os, sys, time\n"
          "fd = os.open(sys.argv[1], os.O_RDONLY)\n"
          "took = []\n"
          "while True:\n"
          "    t = time.monotonic()\n"
          "    b = os.read(fd, 64)\n"
          "    took.append((time.monotonic() - t) * 1e6)\n"
          "    if not b:\n"
          "        break\n"
          "os.close(fd)\n"
          "with open(sys.argv[2], 'w') as f:\n"
          "    json.dump(took, f)\n")


def pipe_bytes(fd):
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]


class FifoWorkload:
    """A reader of a FIFO the test writes one byte to every gap: its reads
    take about the gaps, and it says how long each took."""

    def __init__(self, test):
        self.test = test
        self.path = os.path.join(test.dir, "slow.fifo")
        self.took_file = os.path.join(test.dir, "took.json")
        os.mkfifo(self.path)
        # held read-write: the reader's open does not wait for a writer
        self.fd = os.open(self.path, os.O_RDWR)

    def feed(self):
        # a first byte, taken once the reader runs: then it waits in a read
        os.write(self.fd, b"s")
        deadline = time.monotonic() + 60
        while pipe_bytes(self.fd) and time.monotonic() < deadline:
            time.sleep(0.002)
        for gap in GAPS:
            time.sleep(gap)
            os.write(self.fd, b"x")
        time.sleep(0.05)
        os.close(self.fd)

    def run(self, scope_run, **kw):
        feeder = threading.Thread(target=self.feed)
        feeder.start()
        try:
            scope_run([PYTHON, "-c", READER, self.path, self.took_file], verbosity=9, **kw)
        finally:
            feeder.join()
        with open(self.took_file) as f:
            # its open and close are timed too, and take next to nothing
            self.took = sorted([0, 0] + json.load(f))
        # one byte a read, and the end; a reader held up past a gap reads
        # two at once, and what it measured is still what scope must say
        self.test.assertGreater(len(self.took), len(GAPS) // 2)

    def rank_value(self, rank):
        return self.took[min(max(rank, 1), len(self.took)) - 1]

    def assert_near(self, what, got_us, q):
        """Within the bucket error of the value at rank ceil(q * n), as
        rep_hist ranks, give or take RANK_SLACK ranks: the first read after
        a drain is timed, but a reader held up past 10 ms makes its next
        read an untimed one, or a sample that weighs two."""
        rank = max(1, math.ceil(q * len(self.took)))
        low, high = self.rank_value(rank - RANK_SLACK), self.rank_value(rank + RANK_SLACK)
        self.test.assertLessEqual(got_us, high * (1 + BUCKET_ERROR) + 500,
                                  f"{what}: {got_us} us, the reads took {self.took}")
        self.test.assertGreaterEqual(got_us, low * (1 - BUCKET_ERROR) - SLACK_US,
                                     f"{what}: {got_us} us, the reads took {self.took}")


class LatencyNdjsonTest(ScopeTest):
    def test_fifo_reads_p50_p99_max(self):
        w = FifoWorkload(self)
        w.run(self.scope_run, extra=("-p", "60"))
        lines = read_ndjson(self.metrics)
        dists = [b for b in metrics_named(lines, "scope.fs.duration")
                 if b.get("file") == w.path]
        self.assertEqual(len(dists), 1, dists)
        d = dists[0]
        w.assert_near("p50", d["p50"], 0.5)
        w.assert_near("p99", d["p99"], 0.99)
        w.assert_near("max", d["max"], 1)
        self.assertEqual(d["_value"], d["p50"])
        # AppScope's mean stays beside it, as it was; the distribution is
        # of the same timed calls (numops: their weights)
        means = [b for b in metrics_named(lines, "fs.duration") if b.get("file") == w.path]
        self.assertEqual(len(means), 1)
        self.assertEqual(means[0]["_metric_type"], "histogram")
        self.assertEqual(d["calls"], means[0]["numops"])
        self.assertLessEqual(d["samples"], d["calls"])
        p = subprocess.run([PYTHON, VALIDATOR, "--schemas", SCHEMAS, "--extensions", EXTENSIONS,
                            self.metrics], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)


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
        self.assertEqual((d["samples"], d["calls"]), (13, 13))
        # each life lies within its bounds, so the k-th smallest lies
        # within the k-th smallest bounds
        for name, rank in (("p50", 7), ("p99", 13), ("max", 13)):
            self.assertLessEqual(d[name], highs[rank - 1] * (1 + BUCKET_ERROR), (name, lives))
            self.assertGreaterEqual(d[name], lows[rank - 1] * (1 - BUCKET_ERROR), (name, lives))
        p = subprocess.run([PYTHON, VALIDATOR, "--schemas", SCHEMAS, self.metrics],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)


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

    def tearDown(self):
        if getattr(self, "statsd", None):      # before its folder goes
            self.statsd.kill()
            self.statsd.wait()
        super().tearDown()

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
                        ";file=" + path.replace("/", "-") + ";" in key):
                    if seen and time.monotonic() > seen + 1.5:
                        return dict(t, key=key)
                    seen = seen or time.monotonic()
            time.sleep(0.1)
        self.fail(f"no scope.fs.duration timer for {path}: {timers}")

    def test_daemon_aggregates_the_reads(self):
        port = self.start_statsd()
        w = FifoWorkload(self)
        w.run(self.scope_run, fmt="statsd", extra=("-p", "60", "-m", f"udp://127.0.0.1:{port}"))
        t = self.timer_of(w.path)
        w.assert_near("median", t["median"] * 1000, 0.5)
        w.assert_near("upper_99", t["upper_99"] * 1000, 0.99)
        w.assert_near("upper", t["upper"] * 1000, 1)
        # the sample rates make the daemon count the timed calls (the
        # numops tag: their weights), not the lines
        numops = int(t["key"].split(";numops=")[1].split(";")[0])
        self.assertEqual(round(t["count"]), numops)


if __name__ == "__main__":
    unittest.main()
