"""The scanf family returns items, not bytes: what it read from a file is
counted by how far the stream moved, once, mixed with getc and ungetc
peeks, with the file's size as the truth."""
import os
import unittest

from scopetest import ScopeTest, example, per_file_sum


class ScanfTest(ScopeTest):
    def test_fscanf_reads_each_byte_once(self):
        path = os.path.join(self.dir, "numbers")
        with open(path, "w") as f:
            f.write("".join(f"{i * 7919 % 100003}{' ' if i % 5 else chr(10)}"
                            for i in range(20000)))
        p = self.scope_run([example("scanner"), path])
        self.assertEqual(p.stdout.split()[0], b"20000")
        reads = per_file_sum(self.metric_lines(), "fs.read")
        self.assertEqual(reads.get(path), os.path.getsize(path), reads)


if __name__ == "__main__":
    unittest.main()
