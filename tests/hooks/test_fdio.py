"""fd calls the suite's programs do not make, counted against the file
whatever fd names it: written with pwritev, pwritev64 and pwritev2 after
creat64; read on fds from __open_2, __open64_2, __openat64_2, dup and dup3
with __read_chk, __pread_chk, __pread64_chk, preadv, preadv64 and preadv2,
the file renamed before the copies are made (their reads count under the
name it was opened by). The file's size and the program's own sums are the
truth."""
import os
import unittest

from scopetest import ScopeTest, example, per_file_sum


class FdIoTest(ScopeTest):
    def test_every_fd_call_counts_against_the_file(self):
        path = os.path.join(self.dir, "f")
        p = self.scope_run([example("fdio"), path])
        wrote, got = map(int, p.stdout.split())
        size = os.path.getsize(path + ".moved")
        self.assertEqual((wrote, got), (size, 5 * size))
        m = self.metric_lines()
        self.assertEqual(per_file_sum(m, "fs.write").get(path), wrote)
        self.assertEqual(per_file_sum(m, "fs.read").get(path), got)
        self.assertEqual(per_file_sum(m, "fs.open").get(path), 4)


if __name__ == "__main__":
    unittest.main()
