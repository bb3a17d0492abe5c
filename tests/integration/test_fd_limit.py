"""A program near its fd limit (ulimit -n) loses no fd to scope, and its
stderr carries nothing of ours: scope backs off and says so in its log."""
import os
import subprocess
import unittest

from scopetest import PYTHON, SCOPE, ScopeTest, metric_sum

# How many more files it can open, then /dev/null written to (counted).
COUNT_FDS = r"""
import os
fds = []
try:
    while True:
        fds.append(os.open("/dev/null", os.O_WRONLY))
except OSError:
    pass
print(len(fds), flush=True)
for fd in fds:
    os.write(fd, b"x" * 10)
"""


class FdLimitTest(ScopeTest):
    def run_limited(self, limit, scoped):
        cmd = [PYTHON, "-c", COUNT_FDS]
        if scoped:
            cmd = [SCOPE, "run", "-v", "9", "--metricformat", "ndjson",
                   "-m", "file://" + self.metrics, "-e", "file://" + self.events, "--", *cmd]
        p = subprocess.run(["sh", "-c", f'ulimit -n {limit} && exec "$@"', "sh", *cmd],
                           env=self.env, stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=60, close_fds=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        return int(p.stdout), p.stderr

    def test_ulimit_5_the_program_keeps_every_fd_and_its_stderr(self):
        plain, _ = self.run_limited(5, scoped=False)
        scoped, stderr = self.run_limited(5, scoped=True)
        self.assertEqual(scoped, plain, "fds the program lost to scope")
        self.assertEqual(stderr, "")

    def test_with_room_to_spare_it_is_observed(self):
        plain, _ = self.run_limited(64, scoped=False)
        scoped, stderr = self.run_limited(64, scoped=True)
        self.assertEqual(stderr, "")
        # our metric and event files: the only fds taken, with 16 still free
        self.assertGreaterEqual(scoped, plain - 2)
        self.assertEqual(metric_sum(self.metric_lines(), "fs.write", file="/dev/null"), 10 * scoped)


if __name__ == "__main__":
    unittest.main()
