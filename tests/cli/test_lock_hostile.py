"""A user cannot hold root's `scope attach` off: the per-process lock that
serializes attaches and detaches is one only those who may ptrace the
process can take. The user (useradd) locks what it can of root's process
for longer than scope waits; root's attach goes ahead at once. Needs
root."""
import os
import subprocess
import time
import unittest

from scopetest import SCOPE, ScopeTest
from test_root_hostile import Attacker


@unittest.skipUnless(os.geteuid() == 0, "needs root")
class LockHostileTest(ScopeTest):
    def test_a_user_cannot_hold_roots_attach_off(self):
        atk = Attacker()
        self.addCleanup(atk.remove)
        target = subprocess.Popen(["sleep", "60"])
        self.addCleanup(target.wait)
        self.addCleanup(target.kill)
        pid = target.pid
        holders = []
        for path in (f"/proc/{pid}", f"/proc/{pid}/mem"):
            h = subprocess.Popen(["setpriv", f"--reuid={atk.uid}", f"--regid={atk.gid}",
                                  "--clear-groups", "flock", "-x", path, "sleep", "20"],
                                 stderr=subprocess.DEVNULL)
            self.addCleanup(h.wait)
            self.addCleanup(h.kill)
            holders.append(h)
        time.sleep(0.5)
        self.assertIsNone(holders[0].poll(), "the user could not lock /proc/PID")
        start = time.monotonic()
        r = self.scope("attach", "-m", "file:///dev/null", "-e", "file:///dev/null", str(pid))
        took = time.monotonic() - start
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"scope: attached to {pid}", r.stderr)
        self.assertNotIn("another scope", r.stderr)
        self.assertLess(took, 5, r.stderr)
        self.assertEqual(self.scope("detach", str(pid)).returncode, 0)


if __name__ == "__main__":
    unittest.main()
