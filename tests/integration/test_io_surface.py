"""scope run on programs that move bytes between fds inside the kernel
(copy_file_range, splice): every byte counted once, against both files,
with the files' own sizes as the truth."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from scope_it import PYTHON, ScopeTest, per_file_sum

SIZE = 3 * 1024 * 1024 + 17     # not a multiple of any buffer size


class KernelCopyTest(ScopeTest):
    def source(self):
        src = os.path.join(self.dir, "SRC")
        with open(src, "wb") as f:
            f.write(os.urandom(SIZE))
        return src

    def assert_copied(self, src, dst):
        self.assertEqual(os.path.getsize(dst), SIZE)
        m = self.metric_lines()
        self.assertEqual(per_file_sum(m, "fs.read").get(src), SIZE)
        self.assertEqual(per_file_sum(m, "fs.write").get(dst), SIZE)

    def test_cp_counts_what_copy_file_range_moved(self):
        # coreutils' cp copies a regular file with copy_file_range
        src, dst = self.source(), os.path.join(self.dir, "DST")
        self.scope_run(["cp", src, dst])
        self.assert_copied(src, dst)

    def test_python_copy_file_range(self):
        src, dst = self.source(), os.path.join(self.dir, "DST")
        prog = ("import os,sys\n"
                "i=os.open(sys.argv[1],os.O_RDONLY); o=os.open(sys.argv[2],os.O_WRONLY|os.O_CREAT,0o600)\n"
                "while os.copy_file_range(i,o,1<<20): pass\n")
        self.scope_run([PYTHON, "-c", prog, src, dst])
        self.assert_copied(src, dst)

    def test_python_splice_through_a_pipe(self):
        # file -> pipe -> file: the pipe has no record, the files have theirs
        src, dst = self.source(), os.path.join(self.dir, "DST")
        prog = ("import os,sys\n"
                "i=os.open(sys.argv[1],os.O_RDONLY); o=os.open(sys.argv[2],os.O_WRONLY|os.O_CREAT,0o600)\n"
                "r,w=os.pipe()\n"
                "while (n:=os.splice(i,w,65536)):\n"
                "    while n: n-=os.splice(r,o,n)\n")
        self.scope_run([PYTHON, "-c", prog, src, dst])
        self.assert_copied(src, dst)


if __name__ == "__main__":
    unittest.main()
