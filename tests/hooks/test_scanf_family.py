"""Every scanf of the family reads from a stream what it consumes, and that
is counted once against the file: scanf, vscanf, fscanf and vfscanf by
their C99 names (__isoc99_*) and by the plain names programs built as C89
with GNU extensions call, taking turns on one file (stdin reopened on it),
with the file's size and the program's own sum as the truth."""
import os
import unittest

from scopetest import ScopeTest, example, per_file_sum

COUNT = 20000


class ScanfFamilyTest(ScopeTest):
    def numbers(self):
        path = os.path.join(self.dir, "numbers")
        values = [i * 7919 % 100003 for i in range(COUNT)]
        with open(path, "w") as f:
            f.write("".join(f"{v}{' ' if i % 5 else chr(10)}" for i, v in enumerate(values)))
        return path, sum(values)

    def assert_read_once(self, program):
        path, total = self.numbers()
        p = self.scope_run([example(program), path])
        self.assertEqual(p.stdout.split(), [str(COUNT).encode(), str(total).encode()])
        reads = per_file_sum(self.metric_lines(), "fs.read")
        self.assertEqual(reads.get(path), os.path.getsize(path), reads)

    def test_c99_names(self):
        self.assert_read_once("scanfam")

    def test_plain_names(self):
        self.assert_read_once("scanfam_c89")


if __name__ == "__main__":
    unittest.main()
