"""A handler the program installs with bsd_signal or sysv_signal goes
behind scope's crash handler, as one from signal or sigaction does: the
crash gets its backtrace, then the program's handler runs (it says so and
exits 3). (sigset is not here: its wrapper steps aside for the signal,
which under scope run looks the same as no wrapper.)"""
import glob
import os
import re
import subprocess
import unittest

from scopetest import SCOPE, ScopeTest, example


class OldSignalsTest(ScopeTest):
    def assert_backtrace_then_handler(self, way):
        p = subprocess.run([SCOPE, "run", "--backtrace", "--", example("oldsig"), way],
                           env=self.env, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("handler ran", p.stderr)
        session = re.search(r"scope: session (\S+)", p.stderr).group(1)
        self.assertEqual(len(glob.glob(os.path.join(session, "backtrace_*_*"))), 1, p.stderr)

    def test_bsd_signal(self):
        self.assert_backtrace_then_handler("bsd_signal")

    def test_sysv_signal(self):
        self.assert_backtrace_then_handler("sysv_signal")


if __name__ == "__main__":
    unittest.main()
