"""Durations as distributions (reporter/rep_latency.c): a FIFO reader whose
reads take known times (the test writes one byte a gap) reports p50, p99
and max within the documented bucket error, as NDJSON (scope.fs.duration,
valid against its schema in tests/tools/scope-schemas) and as StatsD
timers that Etsy's daemon aggregates to the same figures."""
import fcntl
import json
import os
import socket
import struct
import subprocess
import termios
import threading
import time
import unittest

from scopetest import (PYTHON, SCHEMAS, SCOPE, SRC, VALIDATOR, ScopeTest, free_port,
                       metrics_named, read_ndjson)

EXTENSIONS = os.path.join(SRC, "tests", "tools", "scope-schemas")
STATSD = os.path.join(SRC, ".deps", "statsd", "node_modules", "statsd", "stats.js")
TIMERS_BACKEND = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                              "statsd_timers_backend.js")
# 40 reads of 20 ms, 4 of 120 ms: p50 is a 20 ms read, p99 a 120 ms one
GAPS = [0.02] * 40 + [0.12] * 4
BUCKET_ERROR = 1 / 16           # rep_hist.h: REP_HIST_ERROR
SLACK_US = 2000                 # a read returns after the write, not at it


def pipe_bytes(fd):
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]


class FifoWorkload:
    """cat reading a FIFO the test writes one byte to every gap; the gaps
    measured between writes are what the reads took."""

    def __init__(self, test):
        self.test = test
        self.path = os.path.join(test.dir, "slow.fifo")
        os.mkfifo(self.path)
        # held read-write: cat's open does not wait for a writer
        self.fd = os.open(self.path, os.O_RDWR)
        self.gaps = []

    def feed(self):
        os.write(self.fd, b"s")
        deadline = time.monotonic() + 30
        while pipe_bytes(self.fd):      # cat took it: it waits in its next read
            if time.monotonic() > deadline:
                return
            time.sleep(0.002)
        t = time.monotonic()
        for gap in GAPS:
            time.sleep(gap)
            os.write(self.fd, b"x")
            now = time.monotonic()
            self.gaps.append((now - t) * 1e6)
            t = now
        os.close(self.fd)

    def run(self, scope_run, **kw):
        feeder = threading.Thread(target=self.feed)
        feeder.start()
        try:
            scope_run(["cat", self.path], verbosity=9, **kw)
        finally:
            feeder.join()
        self.test.assertEqual(len(self.gaps), len(GAPS), "the feeder did not finish")

    def assert_near(self, what, got_us, want_us):
        self.test.assertLessEqual(abs(got_us - want_us), BUCKET_ERROR * want_us + SLACK_US,
                                  f"{what}: {got_us} us, the reads took {want_us} us "
                                  f"(gaps {sorted(round(g) for g in self.gaps)})")

    def median(self):
        return sorted(self.gaps)[len(self.gaps) // 2]


class LatencyNdjsonTest(ScopeTest):
    def test_fifo_reads_p50_p99_max(self):
        w = FifoWorkload(self)
        w.run(self.scope_run, extra=("-p", "60"))
        lines = read_ndjson(self.metrics)
        dists = [b for b in metrics_named(lines, "scope.fs.duration")
                 if b.get("file") == w.path]
        self.assertEqual(len(dists), 1, dists)
        d = dists[0]
        w.assert_near("p50", d["p50"], w.median())
        w.assert_near("p99", d["p99"], max(w.gaps))
        w.assert_near("max", d["max"], max(w.gaps))
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


# six loopback connections that live 20, 40, ... 120 ms; both ends close
# together, so each lifetime is there twice, and the listener's once; the
# script prints what it measured around each (a little more than it lived)
CONNECTIONS = ("import json, socket, sys, time\n"
               "t0 = time.monotonic()\n"
               "l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(10)\n"
               "took = []\n"
               "for i in range(6):\n"
               "    t = time.monotonic()\n"
               "    c = socket.create_connection(l.getsockname()); s, _ = l.accept()\n"
               "    time.sleep(0.02 * (i + 1)); c.close(); s.close()\n"
               "    took.append((time.monotonic() - t) * 1e6)\n"
               "l.close()\n"
               "print(json.dumps(took + took + [(time.monotonic() - t0) * 1e6]))\n")


class LatencyNetTest(ScopeTest):
    """Connection lifetimes: one value each, summed over the socket class
    below verbosity 5."""

    def test_connection_lifetimes(self):
        p = self.scope_run([PYTHON, "-c", CONNECTIONS], verbosity=4, extra=("-p", "60"))
        took = sorted(json.loads(p.stdout.decode().strip().splitlines()[-1]))
        dists = metrics_named(read_ndjson(self.metrics), "scope.net.duration")
        self.assertEqual(len(dists), 1, dists)
        d = dists[0]
        self.assertEqual((d["samples"], d["calls"]), (13, 13))
        # each socket lived a little less than what was measured around it
        for name, want in (("p50", took[6]), ("max", took[-1])):
            self.assertLessEqual(d[name], want * (1 + BUCKET_ERROR), name)
            self.assertGreaterEqual(d[name], want * (1 - BUCKET_ERROR) - SLACK_US, name)
        p = subprocess.run([PYTHON, VALIDATOR, "--schemas", SCHEMAS, self.metrics],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)


class LatencyStatsdTest(ScopeTest):
    """The daemon's median, upper_99 and upper of scope.fs.duration are the
    reads' (the lines carry sample rates: its count is the calls)."""

    def start_statsd(self):
        self.assertTrue(os.path.exists(STATSD), f"no StatsD daemon at {STATSD}: run scripts/deps.sh")
        port, mgmt = free_port(socket.SOCK_DGRAM), free_port()
        self.timers = os.path.join(self.dir, "timers.json")
        conf = os.path.join(self.dir, "statsd.js")
        with open(conf, "w") as f:
            json.dump({"port": port, "address": "127.0.0.1", "mgmt_port": mgmt,
                       "mgmt_address": "127.0.0.1", "flushInterval": 200,
                       "percentThreshold": [90, 99],
                       "backends": [TIMERS_BACKEND], "timers": {"file": self.timers}}, f)
        self.statsd = subprocess.Popen(["node", STATSD, conf], stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT)
        self.addCleanup(self.statsd.wait)
        self.addCleanup(self.statsd.kill)
        deadline = time.monotonic() + 20
        while not os.path.exists(self.timers):
            self.assertLess(time.monotonic(), deadline, "StatsD did not start")
            if self.statsd.poll() is not None:
                self.fail("StatsD exited: " + self.statsd.stdout.read().decode())
            time.sleep(0.05)
        return port

    def timer_of(self, path):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with open(self.timers) as f:
                timers = json.load(f)
            # the daemon's keys: name;tag=value;... with '/' made '-'
            for key, t in timers.items():
                if (key.startswith("scope.fs.duration;") and
                        ";file=" + path.replace("/", "-") + ";" in key):
                    return dict(t, key=key)
            time.sleep(0.1)
        self.fail(f"no scope.fs.duration timer for {path}: {timers}")

    def test_daemon_aggregates_the_reads(self):
        port = self.start_statsd()
        w = FifoWorkload(self)
        w.run(self.scope_run, fmt="statsd", extra=("-p", "60", "-m", f"udp://127.0.0.1:{port}"))
        t = self.timer_of(w.path)
        w.assert_near("median", t["median"] * 1000, w.median())
        w.assert_near("upper_99", t["upper_99"] * 1000, max(w.gaps))
        w.assert_near("upper", t["upper"] * 1000, max(w.gaps))
        # the sample rates make the daemon count the timed calls (the
        # numops tag: their weights), not the lines
        numops = int(t["key"].split(";numops=")[1].split(";")[0])
        self.assertEqual(round(t["count"]), numops)


if __name__ == "__main__":
    unittest.main()
