"""scope events/metrics --follow against a session being written: exactly
the lines a filter matches, in order, none twice, none cut, across the
library reopening its file after a rename (logrotate); the filters on
snapshots too; a session file swapped for a FIFO is refused, not hung on."""
import os
import re
import subprocess
import time
import unittest

from scopetest import PYTHON, SCOPE, ScopeTest

LINES = 300
# one write a line (one console event each), 4 ms apart: about 1.5 s
WRITER = ("import sys, time\n"
          "for i in range(%d):\n"
          "    sys.stdout.write('line %%d %%s\\n' %% (i, 'x' * (i %% 97)))\n"
          "    sys.stdout.flush()\n"
          "    time.sleep(0.004)\n" % LINES)
# the lines whose number ends in 7; the script is in a file, so that the
# command line (in every event) does not match
MATCH = r'"message":"line [0-9]*7 '
WANT = [i for i in range(LINES) if i % 10 == 7]


class FollowTest(ScopeTest):
    def setUp(self):
        super().setUp()
        self.script = os.path.join(self.dir, "writer.py")
        with open(self.script, "w") as f:
            f.write(WRITER)

    def start_run(self):
        """scope run of the writer; its session directory once events.json
        has its first line."""
        p = subprocess.Popen([SCOPE, "run", "--", PYTHON, self.script], env=self.env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(lambda: p.poll() is None and p.kill())

        def session():
            names = self.sessions()
            path = names and os.path.join(self.hist, names[-1], "events.json")
            return path and os.path.exists(path) and os.path.getsize(path) and names[-1]
        name = self.wait_for(session, 30, "the session's first event")
        return p, os.path.join(self.hist, name)

    def follow(self, *args, cmd="events"):
        """scope CMD --follow ARGS; its stderr in self.follow_err."""
        self.follow_err = os.path.join(self.dir, "follow.err")
        with open(self.follow_err, "w") as err:
            p = subprocess.Popen([SCOPE, cmd, "--follow", *args], env=self.env,
                                 stdout=subprocess.PIPE, stderr=err, text=True)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        self.addCleanup(p.stdout.close)
        return p

    def follow_rest(self, f):
        """What f prints until it ends by itself (with its session), and
        its stderr; stdout is read through its own buffer, which the first
        readline() filled."""
        out = f.stdout.read()
        f.wait(timeout=30)
        with open(self.follow_err) as err:
            return out, err.read()

    def session_pid(self, session):
        return int(os.path.basename(session).split("_")[-2])

    def matching(self, *paths):
        rx = re.compile(MATCH)
        out = []
        for path in paths:
            with open(path) as f:
                out += [line for line in f if rx.search(line.rstrip("\n"))]
        return out

    def numbers(self, lines):
        return [int(re.search(r'"message":"line ([0-9]+) ', l).group(1)) for l in lines]

    def test_match_prints_exactly_the_matching_lines(self):
        run, session = self.start_run()
        f = self.follow("--json", "--match", MATCH)
        first = f.stdout.readline()
        self.assertIsNone(run.poll(), "the writer ended before the first line was followed")
        run.communicate(timeout=60)
        rest, err = self.follow_rest(f)         # it ends with the session
        self.assertEqual(f.returncode, 0, err)
        got = [first] + rest.splitlines(keepends=True)
        self.assertEqual(got, self.matching(os.path.join(session, "events.json")))
        self.assertEqual(self.numbers(got), WANT)

    def test_follows_across_a_rename(self):
        """logrotate: the library reopens its path; the old file's lines
        come first, then the new one's."""
        run, session = self.start_run()
        events = os.path.join(session, "events.json")
        f = self.follow("--json", "--match", MATCH)
        first = f.stdout.readline()
        os.rename(events, events + ".1")
        run.communicate(timeout=60)
        rest, err = self.follow_rest(f)
        self.assertEqual(f.returncode, 0, err)
        got = [first] + rest.splitlines(keepends=True)
        self.assertTrue(os.path.getsize(events), "the library did not reopen its file")
        self.assertEqual(got, self.matching(events + ".1", events))
        self.assertEqual(self.numbers(got), WANT)

    def test_text_lines_escaped(self):
        run, session = self.start_run()
        f = self.follow("--source", "stdout", "--match", MATCH)
        run.communicate(timeout=60)
        out, err = self.follow_rest(f)
        self.assertEqual(f.returncode, 0, err)
        lines = out.splitlines()
        self.assertEqual(len(lines), len(WANT))
        for n, line in zip(WANT, lines):
            self.assertRegex(line, r"^\d\d:\d\d:\d\d\.\d{3}  %d  stdout  line %d x*\\n$"
                             % (self.session_pid(session), n))

    def test_metrics_follow_and_graph(self):
        run, session = self.start_run()
        f = self.follow("--source", "proc.cpu", cmd="metrics")
        run.communicate(timeout=60)
        out, err = self.follow_rest(f)
        self.assertEqual(f.returncode, 0, err)
        self.assertRegex(out, r"(?m)^\S+  %d  proc\.cpu  \d+ microsecond \([0-9.]+/s\)  "
                         % self.session_pid(session))
        g = self.scope("metrics", "--graph", "proc.mem", check=0)
        self.assertIn("proc.mem (kibibyte) over ", g.stdout)
        self.assertIn("#", g.stdout)
        g = self.scope("metrics", "--graph", "no.such", check=1)
        self.assertIn("no metric 'no.such'", g.stderr)


class FilterTest(ScopeTest):
    """The filters on a recorded session (no library needed)."""
    needs_library = False

    def test_snapshot_filters(self):
        lines = [
            '{"type":"evt","body":{"sourcetype":"fs","source":"fs.open","_time":%d,'
            '"pid":%d,"data":{"file":"/f%d","op":"open"}}}\n' % (time.time() - age, pid, i)
            for i, (age, pid) in enumerate([(3600, 5), (10, 5), (10, 6), (1, 6)])]
        self.make_session("x_1_5_1700000000", {"events.json": "".join(lines) + "\n"})
        r = self.scope("events", "--json", "--pid", "6", check=0)
        self.assertEqual(r.stdout, lines[2] + lines[3])
        r = self.scope("events", "--json", "--since", "1m", check=0)
        self.assertEqual(r.stdout, "".join(lines[1:]))
        r = self.scope("events", "--json", "--match", "/f[02]", check=0)
        self.assertEqual(r.stdout, lines[0] + lines[2])
        r = self.scope("events", "--json", "--sourcetype", "net", check=0)
        self.assertEqual(r.stdout, "")
        for bad in (["--match", "("], ["--since", "5x"], ["--pid", "0"], ["--graph", "x"]):
            r = self.scope("events", *bad, check=2)
            self.assertIn("see `scope events --help`", r.stderr)

    def test_fifo_refused_not_hung(self):
        d = self.make_session("x_1_5_1700000000")
        os.mkfifo(os.path.join(d, "events.json"))
        for args in (["--follow"], ["--follow", "--json"]):
            r = self.scope("events", *args, check=1, timeout=10)
            self.assertIn("not a regular file", r.stderr)


class HelpTest(ScopeTest):
    needs_library = False

    def test_help_lists_every_new_flag(self):
        for cmd in ("metrics", "events"):
            text = self.scope(cmd, "--help", check=0).stdout
            self.assertEqual(text, self.scope("help", cmd, check=0).stdout)
            for word in ("-f, --follow", "--json", "--pid P", "--source", "--sourcetype TYPE",
                         "--match REGEX", "--since D", "logrotate", "SIGINT"):
                self.assertIn(word, text, cmd)
        text = self.scope("metrics", "--help", check=0).stdout
        for word in ("--graph NAME", "RATE", "scope.fs.duration", "p99"):
            self.assertIn(word, text)
        top = self.scope("--help", check=0).stdout
        self.assertIn("metrics [OPTIONS]", top)
        self.assertIn("events [OPTIONS]", top)


if __name__ == "__main__":
    unittest.main()
