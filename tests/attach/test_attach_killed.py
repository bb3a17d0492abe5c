"""scope attach and scope detach killed (SIGKILL) at any moment of their
work leave the target running its own code: it survives, keeps its signal
mask and exits 0 on its own. Each TestCase class is one ctest.
"""
import os
import random
import signal
import subprocess
import time
import unittest

from scopetest import SCOPE, ScopeTest

FIXTURES = os.environ.get("SCOPE_TEST_FIXTURES", "")
NOWHERE = ["-m", "file:///dev/null", "-e", "file:///dev/null"]
TRIES = 30


class Killed(ScopeTest):
    """30 tries each: the CLI is killed 0-50 ms after it starts."""

    def start_target(self):
        p = subprocess.Popen([os.path.join(FIXTURES, "mask_keeper")], stdout=subprocess.PIPE,
                             text=True)
        self.assertEqual(p.stdout.readline().strip(), "ready")
        return p

    def kill_scope_at_random(self, *args):
        cli = subprocess.Popen([SCOPE, *args], env=self.env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        time.sleep(random.uniform(0, 0.05))
        cli.kill()
        cli.wait()

    def assert_unharmed(self, p, what):
        time.sleep(0.05)
        self.assertIsNone(p.poll(), f"{what}: the target died ({p.returncode})")
        p.send_signal(signal.SIGUSR1)
        rc = p.wait(timeout=30)
        p.stdout.close()
        self.assertEqual(rc, 0, f"{what}: exit {rc} (3: its mask changed)")

    def test_attach_killed(self):
        random.seed(os.getpid())
        for i in range(TRIES):
            p = self.start_target()
            try:
                self.kill_scope_at_random("attach", *NOWHERE, str(p.pid))
                self.assert_unharmed(p, f"attach try {i}")
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()

    def test_detach_killed(self):
        random.seed(os.getpid() + 1)
        for i in range(TRIES):
            p = self.start_target()
            try:
                r = subprocess.run([SCOPE, "attach", *NOWHERE, str(p.pid)], env=self.env,
                                   capture_output=True, text=True, timeout=60)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.kill_scope_at_random("detach", str(p.pid))
                self.assert_unharmed(p, f"detach try {i}")
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()


if __name__ == "__main__":
    unittest.main()
