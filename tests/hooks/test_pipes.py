"""vmsplice writes into a pipe and tee copies one pipe into another
without consuming it: each counted as a write of the pipe written, on
FIFOs (fds with a name). 3000 bytes put in, copied, and drained: what the
program moved is the truth (a tee reads nothing from its source)."""
import os
import unittest

from scopetest import ScopeTest, example, per_file_sum


class PipesTest(ScopeTest):
    def test_vmsplice_and_tee(self):
        self.scope_run([example("pipes"), self.dir])
        a, b, out = (os.path.join(self.dir, n) for n in ("a", "b", "out"))
        self.assertEqual(os.path.getsize(out), 3000)
        m = self.metric_lines()
        writes, reads = per_file_sum(m, "fs.write"), per_file_sum(m, "fs.read")
        self.assertEqual((writes.get(a), writes.get(b), writes.get(out)), (3000, 3000, 3000), writes)
        self.assertEqual((reads.get(a), reads.get(b)), (3000, 3000), reads)


if __name__ == "__main__":
    unittest.main()
