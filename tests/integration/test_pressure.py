"""Data under pressure: a rate limit that holds its rate however much is
offered, destination files that logrotate moves away, destinations whose
name does not resolve, long paths."""
import os
import re
import time
import unittest

from scopetest import PYTHON, ScopeTest, events_of


def notices(lines):
    return [e["data"] for e in events_of(lines, "notice")]


class RateLimitTest(ScopeTest):
    def test_limit_holds_its_rate_when_far_exceeded(self):
        # As fast as python can (a hundred thousand writes a second or
        # more), for 3 s, against a limit of 2000 events a second: low
        # enough for a loaded machine's reporter to keep up with.
        body = ("import os, time\n"
                "n, end = 0, time.monotonic() + 3\n"
                "while time.monotonic() < end:\n"
                "    for _ in range(100):\n"
                "        os.write(1, b'x\\n')\n"
                "    n += 100\n"
                f"open({os.path.join(self.dir, 'count')!r}, 'w').write(str(n))\n")
        self.scope_run([PYTHON, "-c", body], env=dict(self.env, SCOPE_EVENT_MAXEPS="2000"))
        offered = int(open(os.path.join(self.dir, "count")).read())
        lines = self.event_lines()
        delivered = sum(e["data"]["message"].count("\n") for e in events_of(lines, "stdout"))
        told = notices(lines)
        cut = sum(int(m) for n in told for m in re.findall(r": (\d+) cut", n))
        dropped = sum(int(m) for n in told for m in re.findall(r"dropped (\d+) events", n))
        self.assertGreater(offered, 60000, "the program did not offer much over the limit")
        # 3 s at 2000 a second: the limit's rate, not a fraction of it...
        self.assertGreaterEqual(delivered, 4500, (offered, delivered, cut, dropped))
        # ...and not more than it (a second's worth of slack for the edges)
        self.assertLessEqual(delivered, 8000, (offered, delivered, cut, dropped))
        # what was not sent is cut by the limit, not lost to full queues
        # (cut also counts the count file's own open and close events)
        self.assertIn(delivered + cut + dropped - offered, range(0, 8), told)
        self.assertLess(dropped, offered // 100, (offered, delivered, cut, dropped))


class RotatedFileTest(ScopeTest):
    """The program itself moves its events file away, as logrotate would,
    and keeps printing; the library's log says what it did."""

    def run_rotating(self, rotate):
        log = os.path.join(self.dir, "libscope.log")
        body = ("import os, time\n"
                "print('before', flush=True); time.sleep(1.2)\n"
                f"{rotate}\n"
                "time.sleep(2.2); print('after', flush=True)\n")
        self.scope_run([PYTHON, "-c", body],
                       env=dict(self.env, SCOPE_LOG_DEST="file://" + log))
        if not os.path.exists(log):
            return ""
        with open(log) as f:
            return f.read()

    def stdout_of(self, path):
        with open(path) as f:
            lines = [__import__("json").loads(l) for l in f if l.strip()]
        return "".join(e["data"]["message"] for e in events_of(lines, "stdout"))

    def test_renamed_file_is_reopened(self):
        moved = self.events + ".1"
        log = self.run_rotating(f"os.rename({self.events!r}, {moved!r})")
        self.assertIn("before", self.stdout_of(moved))
        self.assertTrue(os.path.exists(self.events), log)
        self.assertIn("after", self.stdout_of(self.events))
        self.assertNotIn("after", self.stdout_of(moved))
        self.assertIn(f"warning: {self.events} was moved or deleted; reopening", log)

    def test_deleted_file_is_reopened(self):
        log = self.run_rotating(f"os.unlink({self.events!r})")
        self.assertIn("after", self.stdout_of(self.events))
        self.assertNotIn("before", self.stdout_of(self.events))
        self.assertIn("reopening", log)

    def test_copytruncate_keeps_the_file(self):
        copy = self.events + ".1"
        log = self.run_rotating(f"import shutil; shutil.copy({self.events!r}, {copy!r}); "
                                f"os.truncate({self.events!r}, 0)")
        self.assertIn("before", self.stdout_of(copy))
        self.assertIn("after", self.stdout_of(self.events), open(self.events).read()[-3000:])
        self.assertNotIn("before", self.stdout_of(self.events))
        self.assertNotIn("reopening", log)


class LongPathTest(ScopeTest):
    def test_a_long_path_is_sent_whole_or_said_cut(self):
        # 600 bytes: more than an event record holds, less than PATH_MAX
        deep = os.path.join(self.dir, *(["d" * 50] * 12))
        os.makedirs(deep)
        path = os.path.join(deep, "f")
        self.assertGreater(len(path), 600)
        body = f"import os\nos.close(os.open({path!r}, os.O_WRONLY | os.O_CREAT, 0o600))\n"
        self.scope_run([PYTHON, "-c", body])
        lines = self.event_lines()
        opens = [e["data"]["file"] for e in events_of(lines, "fs.open")
                 if e["data"]["file"].startswith(deep[:300])]
        self.assertEqual(len(opens), 1, opens)
        told = notices(lines)
        if opens[0] != path:
            # cut: visibly, and counted
            self.assertTrue(opens[0].endswith("...[cut]"), opens[0])
            self.assertTrue(path.startswith(opens[0][:-len("...[cut]")]), opens[0])
            self.assertTrue(any(re.search(r"cut the paths? of [1-9]\d* events?", n) for n in told),
                            told)
        self.assert_schema_valid(self.events)


class UnresolvedNameTest(ScopeTest):
    def test_a_name_that_does_not_resolve_is_said_so(self):
        log = os.path.join(self.dir, "libscope.log")
        env = dict(self.env, SCOPE_LOG_DEST="file://" + log)
        # .invalid never resolves (RFC 6761)
        self.scope_run([PYTHON, "-c", "print('hi')"], env=env,
                       extra=("-m", "udp://nonexistent.invalid:8125"))
        text = open(log).read()
        self.assertRegex(text, r"warning: cannot resolve nonexistent\.invalid \(", text)
        self.assertNotIn("No route to host", text)


if __name__ == "__main__":
    unittest.main()
