"""A process ended by SIGTERM, SIGINT, SIGHUP or SIGQUIT with the default
action still reports its last period, then dies of that signal; the
program's own handlers and its view of its dispositions are unchanged."""
import os
import signal
import subprocess
import sys
import unittest

from scopetest import PYTHON, SCOPE, ScopeTest, example, metric_sum

WRITER = r"""
import os, sys, time
with open(sys.argv[1], "wb") as f:
    f.write(b"w" * 5000)
    f.flush()
    if len(sys.argv) > 2:
        import signal
        def handler(sig, frame):
            print("handled", sig, flush=True)
            os._exit(7)
        signal.signal(signal.SIGTERM, handler)
    print(os.getpid(), flush=True)
    time.sleep(60)
"""


class TermSignalTest(ScopeTest):
    def started(self, cmd):
        # a long period: only the last flush can report the write
        args = [SCOPE, "run", "-v", "9", "--metricformat", "ndjson", "-p", "3600",
                "-m", "file://" + self.metrics, "-e", "file://" + self.events, "--", *cmd]
        p = subprocess.Popen(args, env=self.env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        self.addCleanup(p.stdout.close)
        self.addCleanup(p.stderr.close)
        return p, int(p.stdout.readline())

    def test_the_last_period_is_reported_before_each_default_death(self):
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT):
            with self.subTest(sig=sig.name):
                out = os.path.join(self.dir, f"out.{sig.name}")
                # python3 has its own SIGINT handler: SIG_DFL asked for
                script = WRITER if sig != signal.SIGINT else \
                    "import signal; signal.signal(signal.SIGINT, signal.SIG_DFL)\n" + WRITER
                p, pid = self.started([PYTHON, "-c", script, out])
                os.kill(pid, sig)
                self.assertEqual(p.wait(timeout=30), 128 + sig, p.stderr.read())
                self.assertEqual(metric_sum(self.metric_lines(), "fs.write", file=out), 5000)

    def test_the_programs_own_handler_gets_the_signal(self):
        out = os.path.join(self.dir, "out")
        p, pid = self.started([PYTHON, "-c", WRITER, out, "handler"])
        os.kill(pid, signal.SIGTERM)
        self.assertEqual(p.stdout.readline().split(), ["handled", str(int(signal.SIGTERM))])
        self.assertEqual(p.wait(timeout=30), 7)

    def test_sigaction_reports_what_the_program_set(self):
        p = subprocess.run([SCOPE, "run", "-m", "file://" + self.metrics,
                            "-e", "file://" + self.events, "--", example("sigview")],
                           env=self.env, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(p.stdout, "ok\n")


if __name__ == "__main__":
    unittest.main()
