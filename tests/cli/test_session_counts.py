"""test_session_counts.py: `scope run` with the real libscope.so found next
to scope (<build>/lib/libscope.so): dd's session holds the bytes dd says it
read and wrote, and `scope metrics` shows them. Exits 77 (skipped) while
the library is not built.
"""
import os
import re
import sys
import unittest

from scopetest import LIB, ScopeTest, metric_sum, read_ndjson

DD_BYTES_RE = re.compile(r"^(\d+) bytes .* copied", re.M)
DD_RECORDS_RE = re.compile(r"^(\d+)\+(\d+) records (in|out)$", re.M)


class Libscope(ScopeTest):
    def test_dd_counts_in_the_session(self):
        out = os.path.join(self.dir, "out")
        r = self.scope("run", "--", "dd", "if=/dev/zero", f"of={out}", "bs=4096", "count=10")
        self.assertEqual(r.returncode, 0, r)
        # dd's own report: 10 whole records each way, 40960 bytes copied
        self.assertEqual(sorted(DD_RECORDS_RE.findall(r.stderr)),
                         [("10", "0", "in"), ("10", "0", "out")], r.stderr)
        copied = int(DD_BYTES_RE.search(r.stderr).group(1))
        self.assertEqual(copied, 40960)
        self.assertEqual(os.path.getsize(out), copied)

        lines = read_ndjson(os.path.join(self.session_of(r), "metrics.json"))
        self.assertEqual(metric_sum(lines, "fs.read"), copied)
        self.assertEqual(metric_sum(lines, "fs.write"), copied)

        r = self.scope("metrics")
        self.assertEqual(r.returncode, 0, r)
        shown = {row.split()[0]: row.split()[1] for row in r.stdout.splitlines()[1:]}
        self.assertEqual((shown.get("fs.read"), shown.get("fs.write")), (str(copied), str(copied)),
                         r.stdout)


if __name__ == "__main__":
    if not os.path.exists(LIB):
        print(f"skipped: {LIB} is not built yet")
        sys.exit(77)
    unittest.main()
