"""stdio calls that move a line or a byte, each counted once against its
file: a copy made line by line through fgetc_unlocked, fgets_unlocked,
fgets, _IO_getc, getline and getdelim in, fputc_unlocked, putc, _IO_putc,
putchar, vprintf and vfprintf out on a stream reopened with freopen64,
dprintf and vdprintf out on an fd; and the same built fortified (the
__*_chk forms, and the getc and putc macros). The files' sizes are the
truth."""
import os
import unittest

from scopetest import ScopeTest, example, per_file_sum


class StreamsTest(ScopeTest):
    def assert_copied(self, program):
        src = os.path.join(self.dir, "in")
        out, out2 = os.path.join(self.dir, "out"), os.path.join(self.dir, "out2")
        lines = [f"{i * 7919 % 100003} {'x' * (i % 97)}\n" for i in range(5000)]
        with open(src, "w") as f:
            f.write("".join(lines))
        p = self.scope_run([example(program), src, out, out2])
        self.assertEqual(p.stderr.split()[-1], b"5000")
        # lines 0-5 of every 8 went to out, 6 and 7 to out2
        with open(out) as f:
            self.assertEqual(f.read(), "".join(l for i, l in enumerate(lines) if i % 8 < 6))
        with open(out2) as f:
            self.assertEqual(f.read(), "".join(l for i, l in enumerate(lines) if i % 8 >= 6))
        m = self.metric_lines()
        self.assertEqual(per_file_sum(m, "fs.read").get(src), os.path.getsize(src))
        writes = per_file_sum(m, "fs.write")
        self.assertEqual(writes.get(out), os.path.getsize(out), writes)
        self.assertEqual(writes.get(out2), os.path.getsize(out2), writes)

    def test_plain_calls(self):
        self.assert_copied("streams")

    def test_fortified_calls(self):
        self.assert_copied("streams_fortify")


if __name__ == "__main__":
    unittest.main()
