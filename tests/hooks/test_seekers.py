"""A fortified program's stream reads (__fread_chk, __fgets_chk) counted
against the file, its fseeko, ftello and ftello64 each one fs.seek, and
what it printed with __vprintf_chk seen once on the console: the file's
layout and the program's own output are the truth."""
import os
import unittest

from scopetest import ScopeTest, example, per_file_sum, texts


class SeekersTest(ScopeTest):
    def test_fortified_reads_seeks_and_print(self):
        path = os.path.join(self.dir, "lines")
        with open(path, "w") as f:
            f.write("".join(f"{i:049d}\n" for i in range(40)))     # 40 lines of 50 bytes
        p = self.scope_run([example("seekers"), path, "1000", "51"])
        self.assertEqual(p.stdout, b"at 550 550\n")
        m = self.metric_lines()
        self.assertEqual(per_file_sum(m, "fs.read").get(path), 1000 + 50)
        self.assertEqual(per_file_sum(m, "fs.seek").get(path), 3)
        self.assertEqual(texts(self.event_lines(), "console").get("stdout"), "at 550 550\n")


if __name__ == "__main__":
    unittest.main()
