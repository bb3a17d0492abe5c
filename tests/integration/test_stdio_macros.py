"""Bytes moved by the getc_unlocked and putc_unlocked macros, which call a
function only when a stream's buffer is empty or full (__uflow,
__overflow): counted once, alone or mixed with stdio calls, pushbacks and
flushes, with the files' sizes as the truth."""
import os
import random
import re
import unittest

from scopetest import ScopeTest, events_of, example, per_file_sum


class StdioMacrosTest(ScopeTest):
    def input_file(self, size=100000):
        rng = random.Random(7)
        path = os.path.join(self.dir, "IN")
        with open(path, "w") as f:
            f.write("".join(rng.choice("abc def\n") for _ in range(size)))
        return path

    def assert_counted(self, cmd, src, dst):
        """cmd read src and wrote dst: each counted at its size."""
        self.scope_run(cmd)
        lines = self.metric_lines()
        self.assertEqual(per_file_sum(lines, "fs.read").get(src), os.path.getsize(src))
        self.assertEqual(per_file_sum(lines, "fs.write").get(dst), os.path.getsize(dst))

    def assert_moved_once(self, cmd, src, dst):
        self.assert_counted(cmd, src, dst)
        self.assertEqual(os.path.getsize(dst), os.path.getsize(src))

    def test_macros_alone(self):
        src, dst = self.input_file(), os.path.join(self.dir, "OUT")
        self.assert_moved_once([example("macros"), "only", src, dst], src, dst)

    def test_macros_mixed_with_calls_pushbacks_and_flushes(self):
        src, dst = self.input_file(), os.path.join(self.dir, "OUT")
        self.assert_moved_once([example("macros"), "mixed", src, dst], src, dst)

    def test_more_streams_than_followed_are_said(self):
        # 140 streams read by the macros at once, 128 followed: what the
        # others' macros read is not counted, and a notice says so
        src = self.input_file(size=20000)
        self.scope_run([example("macros"), "many", src])
        read = per_file_sum(self.metric_lines(), "fs.read").get(src, 0)
        self.assertGreaterEqual(read, 128 * 20000)
        self.assertLess(read, 140 * 20000)
        told = [e["data"] for e in events_of(self.event_lines(), "notice")]
        said = [int(m) for t in told for m in re.findall(r"on (\d+) more they are not counted", t)]
        self.assertEqual(said, [12], told)

    def test_fold(self):
        # coreutils' fold reads with getc and writes with putchar, both
        # the unlocked macros (gnulib's unlocked-io), and fwrite
        src, dst = self.input_file(), os.path.join(self.dir, "OUT")
        self.assert_counted(["sh", "-c", f"fold -w 60 {src} > {dst}"], src, dst)

    def test_cut_mixes_fgetc_ungetc_and_the_macros(self):
        src, dst = self.input_file(), os.path.join(self.dir, "OUT")
        self.assert_counted(["sh", "-c", f"cut -c 2-5 {src} > {dst}"], src, dst)


if __name__ == "__main__":
    unittest.main()
