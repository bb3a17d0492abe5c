"""Temporary files opened inside libc (the mkstemp family, tmpfile,
tmpfile64) get a record of their own: each one's bytes counted against
its name, with what the program wrote as the truth."""
import os
import unittest

from scopetest import ScopeTest, example, per_file_sum


class TempFilesTest(ScopeTest):
    def test_each_temporary_file_counted_under_its_name(self):
        p = self.scope_run([example("tempfiles"), self.dir])
        named = {path.decode(): int(n) for path, n in
                 (line.split() for line in p.stdout.splitlines())}
        self.assertEqual(len(named), 8)
        for path, n in named.items():
            self.assertEqual(os.path.getsize(path), n)
        m = self.metric_lines()
        writes, opens = per_file_sum(m, "fs.write"), per_file_sum(m, "fs.open")
        self.assertEqual({f: writes.get(f) for f in named}, named, writes)
        self.assertTrue(all(opens.get(f) == 1 for f in named), opens)
        # tmpfile's files have no name in a directory: each is counted
        # under what /proc names its fd, numbered (the second often gets
        # the first's inode, so /proc's name), a file of its own
        unnamed = [f for f in writes if f not in named]
        self.assertEqual(sorted(writes[f] for f in unnamed), [1001, 1002], writes)
        self.assertEqual([opens.get(f) for f in unnamed], [1, 1], opens)
        self.assertTrue(all(f.endswith((" [tmpfile 1]", " [tmpfile 2]")) for f in unnamed),
                        unnamed)


if __name__ == "__main__":
    unittest.main()
