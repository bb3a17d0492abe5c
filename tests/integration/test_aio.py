"""POSIX AIO: the bytes of aio_read, aio_write and lio_listio requests are
counted when aio_return reports them, once each, with the files' sizes as
the truth."""
import os
import unittest

from scopetest import ScopeTest, example, per_file_sum


class AioTest(ScopeTest):
    def test_an_aio_copy_is_counted(self):
        src, dst = os.path.join(self.dir, "in"), os.path.join(self.dir, "out")
        with open(src, "wb") as f:
            f.write(os.urandom(1000000))
        self.scope_run([example("aiocopy"), src, dst])
        with open(src, "rb") as a, open(dst, "rb") as b:
            self.assertEqual(a.read(), b.read())
        lines = self.metric_lines()
        self.assertEqual(per_file_sum(lines, "fs.read").get(src), 1000000)
        self.assertEqual(per_file_sum(lines, "fs.write").get(dst), 1000000)


if __name__ == "__main__":
    unittest.main()
