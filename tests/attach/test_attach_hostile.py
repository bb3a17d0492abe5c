"""scope attach against what a hostile or broken process can hold: its
memory, its names. Each TestCase class is one ctest.
"""
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from scope_it import SCOPE, ScopeTest  # noqa: E402

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


if __name__ == "__main__":
    unittest.main()
