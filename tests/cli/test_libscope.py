"""test_libscope.py: `scope run` with the real libscope.so found next to
scope (<build>/lib/libscope.so): dd runs observed and its session has a
metrics.json. Exits 77 (skipped) while the library is not built.
"""
import os
import sys
import unittest

from clitest import LIBSCOPE, ScopeTestCase


class Libscope(ScopeTestCase):
    def test_dd(self):
        del self.env["SCOPE_LIB_PATH"]
        out = os.path.join(self.tmp, "out")
        r = self.scope("run", "--", "dd", "if=/dev/zero", f"of={out}", "bs=4096", "count=10")
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(os.path.getsize(out), 40960)
        d = self.session_of(r)
        self.assertTrue(os.path.isfile(os.path.join(d, "metrics.json")))
        r = self.scope("metrics")
        self.assertEqual(r.returncode, 0, r)


if __name__ == "__main__":
    if not os.path.exists(LIBSCOPE):
        print(f"skipped: {LIBSCOPE} is not built yet")
        sys.exit(77)
    unittest.main()
