"""scope trace on real processes: it follows the events while the process
runs and ends when the process exits, on SIGINT (Ctrl-C) or after
--duration; then the process is detached with every GOT slot as before
(`scope inspect --json`), the session is complete and kept, and the exit
status says so. With -- CMD it runs CMD and returns CMD's status."""
import os
import re
import signal
import subprocess
import time
import unittest

from scopetest import PYTHON, SCOPE, SESSION_RE, AttachTest, read_ndjson

# writes tick.txt every 50 ms until stop.txt exists or n writes are done,
# then opens last.txt and exits with status 3
LOOP = ("import os, sys, time\n"
        "d, n = sys.argv[1], int(sys.argv[2])\n"
        "print('ready', flush=True)\n"
        "for i in range(n):\n"
        "    if os.path.exists(os.path.join(d, 'stop.txt')):\n"
        "        break\n"
        "    with open(os.path.join(d, 'tick.txt'), 'w') as f:\n"
        "        f.write('x' * i)\n"
        "    time.sleep(0.05)\n"
        "open(os.path.join(d, 'last.txt'), 'w').close()\n"
        "sys.exit(3)\n")
FOREVER = 10 ** 9


class TraceTest(AttachTest):
    def setUp(self):
        super().setUp()
        self.script = os.path.join(self.dir, "loop.py")
        with open(self.script, "w") as f:
            f.write(LOOP)

    def target(self, n=FOREVER):
        return self.started([PYTHON, self.script, self.dir, str(n)])

    def trace(self, *args):
        self.out = os.path.join(self.dir, "trace.out")
        self.err = os.path.join(self.dir, "trace.err")
        with open(self.out, "w") as out, open(self.err, "w") as err:
            t = subprocess.Popen([SCOPE, "trace", *args], env=self.env, stdout=out, stderr=err)
        self.addCleanup(lambda: t.poll() is None and t.kill())
        return t

    def output(self):
        with open(self.out) as f:
            return f.read()

    def wait_output(self, pattern):
        return self.wait_for(lambda: re.search(pattern, self.output(), re.M), 30,
                             f"trace printing {pattern}")

    def ended(self, t, timeout=30):
        rc = t.wait(timeout=timeout)
        with open(self.err) as f:
            err = f.read()
        sessions = SESSION_RE.findall(err)
        self.assertTrue(sessions, err)
        return rc, err, sessions[-1]

    def assert_session_complete(self, session, last_file):
        """Every line whole, the process's events up to what it did last."""
        with open(os.path.join(session, "events.json"), "rb") as f:
            data = f.read()
        self.assertTrue(data.endswith(b"\n"))
        events = read_ndjson(os.path.join(session, "events.json"))
        opened = [e["body"]["data"].get("file") for e in events
                  if e.get("body", {}).get("source") == "fs.open"]
        self.assertIn(os.path.join(self.dir, last_file), opened)

    def tick_line(self, pid):
        return r"^\d\d:\d\d:\d\d\.\d{3}  %d  fs\.open  open\S* %s" % (
            pid, re.escape(os.path.join(self.dir, "tick.txt")))

    def test_process_exits(self):
        p = self.target(n=40)           # 2 s of writes
        t = self.trace(str(p.pid))
        rc, err, session = self.ended(t)
        self.assertEqual(rc, 0, err)
        self.assertEqual(p.wait(timeout=10), 3)
        out = self.output()
        self.assertRegex(out, re.compile(self.tick_line(p.pid), re.M))
        self.assertIn(os.path.join(self.dir, "last.txt"), out)
        # the distributions, each period
        self.assertRegex(out, r"(?m)  %d  scope\.fs\.duration  p50 [0-9.]+ p90 [0-9.]+ "
                              r"p99 [0-9.]+ max [0-9.]+ microsecond" % p.pid)
        self.assert_session_complete(session, "last.txt")

    def detached_as_before(self, stop):
        """Attach, let it print, stop it with stop(trace), then: detached,
        the GOT as before, the session complete once the target ends."""
        p = self.target()
        before = self.slots(p.pid)
        t = self.trace(str(p.pid)) if stop else None
        t = t or self.trace("--duration", "2s", str(p.pid))
        self.wait_output(self.tick_line(p.pid))
        began = time.monotonic()
        if stop:
            stop(t)
        rc, err, session = self.ended(t)
        self.assertEqual(rc, 0, err)
        self.assertIn("GOT slots restored", err)
        self.assert_got_as_before(before, self.slots(p.pid), "after trace")
        self.assertIsNone(p.poll(), "the target died")
        status = self.scope("ps", "--json").stdout
        self.assertIn('"state": "detached"', status.replace('":"', '": "'))
        open(os.path.join(self.dir, "stop.txt"), "w").close()
        self.assertEqual(p.wait(timeout=10), 3)
        self.assert_session_complete(session, "tick.txt")
        return time.monotonic() - began

    def test_sigint(self):
        self.detached_as_before(lambda t: t.send_signal(signal.SIGINT))

    def test_duration(self):
        # it printed within 2 s of starting, and ends 2 s after the attach
        self.assertLess(self.detached_as_before(None), 10)

    def test_cmd_status_and_events(self):
        t = self.trace("--", PYTHON, self.script, self.dir, "10")
        rc, err, session = self.ended(t)
        self.assertEqual(rc, 3, err)
        self.assertIn(os.path.join(self.dir, "last.txt"), self.output())
        self.assert_session_complete(session, "last.txt")

    def test_already_attached_refused(self):
        p = self.target()
        self.attach(p.pid)
        r = self.scope("trace", str(p.pid), check=1)
        self.assertIn("attached already", r.stderr)
        self.detach(p.pid)


class TraceUsageTest(AttachTest):
    def test_help_true_and_complete(self):
        text = self.scope("trace", "--help").stdout
        self.assertEqual(text, self.scope("help", "trace").stdout)
        self.assertEqual(text, self.scope("trace", "-h").stdout)
        for word in ("Usage: scope trace [OPTIONS] PID|NAME", "-- CMD", "--duration D",
                     "-v, --verbosity N", "-p, --period SECONDS", "-u, --userconfig FILE",
                     "--json", "--pid P", "--source", "--sourcetype", "--match REGEX",
                     "--since D", "SIGINT", "Exit status", "GOT"):
            self.assertIn(word, text)
        self.assertIn("trace [OPTIONS]", self.scope("--help").stdout)

    def test_usage_errors(self):
        for args in ([], ["--duration", "0", "1"], ["--duration", "x", "1"], ["1", "2"],
                     ["--"], ["--bogus", "1"], ["-v", "12", "1"], ["--match", "(", "1"]):
            r = self.scope("trace", *args, check=2)
            self.assertIn("see `scope trace --help`", r.stderr)

    def test_no_such_process(self):
        r = self.scope("trace", "999999999", check=1)
        self.assertIn("scope:", r.stderr)


if __name__ == "__main__":
    unittest.main()
