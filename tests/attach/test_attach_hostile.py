"""scope attach against what a hostile or broken process can hold: its
memory, its names. Each TestCase class is one ctest.
"""
import os
import subprocess
import time
import unittest

from scopetest import SCOPE, ScopeTest

UNTERMINATED = os.environ.get("SCOPE_TEST_UNTERMINATED_STATUS")


class StatusStrings(ScopeTest):
    """The strings of libscope's status come from the target's memory: a
    process whose status fills metric_dest, event_dest and error to the
    last byte without a NUL must not make scope print past them."""

    def test_attach_prints_within_the_buffer(self):
        self.assertTrue(UNTERMINATED and os.path.exists(UNTERMINATED), UNTERMINATED)
        env = dict(self.env, LD_PRELOAD=UNTERMINATED)
        p = subprocess.Popen(["sleep", "30"], env=env)
        try:
            time.sleep(0.3)
            r = subprocess.run([SCOPE, "attach", str(p.pid)], env=self.env,
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("is already attached; metrics go to ", r.stderr)
            dest = r.stderr.split("metrics go to ", 1)[1].rstrip("\n")
            self.assertEqual(dest, "M" * 511, f"printed {len(dest)} bytes: {dest[-40:]!r}")
        finally:
            p.kill()
            p.wait()


class Concurrent(ScopeTest):
    """Three scope attach of one process at once, then three scope detach:
    exactly one of each does it and the others say what is so (already
    attached; not attached), none blames ptrace or a security module."""

    def run_three(self, *args):
        ps = [subprocess.Popen([SCOPE, *args], env=self.env, stderr=subprocess.PIPE, text=True)
              for _ in range(3)]
        return [(p.wait(timeout=60), p.stderr.read()) for p in ps]

    def test_three_attaches_then_three_detaches(self):
        for round_ in range(5):
            p = subprocess.Popen(["sleep", "30"])
            try:
                time.sleep(0.2)
                pid = str(p.pid)
                out = self.run_three("attach", "-m", "file:///dev/null", "-e", "file:///dev/null",
                                     pid)
                said = "".join(err for _, err in out)
                self.assertEqual([rc for rc, _ in out], [0, 0, 0], said)
                self.assertEqual(said.count(f"scope: attached to {pid}"), 1, said)
                self.assertEqual(said.count("is already attached"), 2, said)
                self.assertNotIn("EPERM", said)
                out = self.run_three("detach", pid)
                said = "".join(err for _, err in out)
                self.assertEqual(said.count(f"scope: detached from {pid}"), 1, said)
                self.assertEqual(said.count("it is not attached"), 2, said)
                self.assertEqual(sorted(rc for rc, _ in out), [0, 1, 1], said)
            finally:
                p.kill()
                p.wait()


if __name__ == "__main__":
    unittest.main()
