"""__underflow fills a stream's buffer and takes no byte: the getc macro
that takes them is counted by how far the read pointer moved. A file read
through peeks (every refill __underflow's) and the macro is counted once,
byte for byte, with its size and the program's own count as the truth."""
import os
import unittest

from scopetest import ScopeTest, example, per_file_sum


class UnderflowTest(ScopeTest):
    def test_peek_and_take(self):
        path = os.path.join(self.dir, "text")
        with open(path, "w") as f:
            f.write("".join(f"{i * 7919 % 100003} {'y' * (i % 61)}\n" for i in range(10000)))
        size = os.path.getsize(path)
        p = self.scope_run([example("peek"), path])
        self.assertEqual(p.stdout.split(), [str(size).encode(), b"10000"])
        reads = per_file_sum(self.metric_lines(), "fs.read")
        self.assertEqual(reads.get(path), size, reads)


if __name__ == "__main__":
    unittest.main()
