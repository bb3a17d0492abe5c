"""Calls on names the suite's programs do not make: lstat, fstatat64,
statx and faccessat each one fs.stat; renameat, renameat2 and unlinkat
silent on success but for unlinkat's fs.delete, and an fs.error naming the
call and the file when they fail. What the program did is the truth."""
import os
import unittest

from scopetest import ScopeTest, events_of, example, metrics_named


class PathOpsTest(ScopeTest):
    def test_stat_rename_unlink_calls(self):
        self.scope_run([example("pathops"), self.dir])
        d = self.dir
        self.assertEqual([n for n in "fgh" if os.path.exists(os.path.join(d, n))], [])
        m, e = self.metric_lines(), self.event_lines()
        self.assertEqual(sum(b["_value"] for b in metrics_named(m, "fs.stat")), 4)
        self.assertEqual([(x["data"]["op"], x["data"]["file"]) for x in events_of(e, "fs.delete")],
                         [("unlinkat", os.path.join(d, "h"))])
        self.assertEqual([(x["data"]["op"], x["data"]["file"]) for x in events_of(e, "fs.error")],
                         [(op, os.path.join(d, "missing-" + op))
                          for op in ("renameat", "renameat2", "unlinkat")])


if __name__ == "__main__":
    unittest.main()
