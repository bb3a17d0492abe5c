"""POSIX AIO under its 64-bit-offset names (aio_read64, aio_write64,
lio_listio64, aio_return64: what <aio.h> names with _FILE_OFFSET_BITS=64):
each request's bytes counted when aio_return64 reports them, with the
files' sizes as the truth."""
import os
import unittest

from scopetest import ScopeTest, example, per_file_sum


class Aio64Test(ScopeTest):
    def test_an_aio64_copy_is_counted(self):
        src, dst = os.path.join(self.dir, "in"), os.path.join(self.dir, "out")
        size = 1000003          # the last lio_listio64 batch is partly short
        with open(src, "wb") as f:
            f.write(os.urandom(size))
        self.scope_run([example("aiocopy64"), src, dst])
        with open(src, "rb") as a, open(dst, "rb") as b:
            self.assertEqual(a.read(), b.read())
        lines = self.metric_lines()
        self.assertEqual(per_file_sum(lines, "fs.read").get(src), size)
        self.assertEqual(per_file_sum(lines, "fs.write").get(dst), size)


if __name__ == "__main__":
    unittest.main()
