"""scope run on programs that push bytes back into a stream with ungetc
and read them again, through every mix of stdio calls: the bytes read from
a file are counted once, with the file's size as the truth."""
import os
import re
import unittest

from scopetest import ScopeTest, events_of, example, per_file_sum

# lines of several lengths, the last one without its newline
TEXT = "".join(f"line {i} " + "x" * (i % 37) + "\n" for i in range(500)) + "tail"


class PushbackTest(ScopeTest):
    def text_file(self):
        path = os.path.join(self.dir, "IN")
        with open(path, "w") as f:
            f.write(TEXT)
        return path

    def assert_read_once(self, mix):
        path = self.text_file()
        self.scope_run([example("pushback"), mix, path])
        reads = per_file_sum(self.metric_lines(), "fs.read")
        self.assertEqual(reads.get(path), os.path.getsize(path), mix)

    def test_getc_then_ungetc_then_getc(self):
        self.assert_read_once("getc")

    def test_fgetc_ungetc_then_fread(self):
        self.assert_read_once("fread")

    def test_fgets_after_ungetc(self):
        self.assert_read_once("fgets")

    def test_getline_after_ungetc(self):
        self.assert_read_once("getline")

    def test_pushback_of_another_byte(self):
        self.assert_read_once("other")

    def test_pushback_dropped_by_a_seek(self):
        self.assert_read_once("seek")

    def test_more_pending_pushbacks_than_slots_are_said(self):
        # 80 streams with a byte pending at once, 64 remembered: the
        # other 16 bytes are counted twice, and a notice says how many
        path = self.text_file()
        self.scope_run([example("pushback"), "many", path])
        reads = per_file_sum(self.metric_lines(), "fs.read")
        twice = reads.get(path) - 80 * os.path.getsize(path)
        self.assertGreater(twice, 0, "every pushback remembered: the bound was not reached")
        told = [e["data"] for e in events_of(self.event_lines(), "notice")]
        said = [int(m) for t in told for m in re.findall(r"counted (\d+) bytes pushed back", t)]
        self.assertEqual(sum(said), twice, told)

    def test_as_reads_its_source_once(self):
        # GNU as peeks at its input with ungetc
        src, obj = os.path.join(self.dir, "a.s"), os.path.join(self.dir, "a.o")
        with open(src, "w") as f:
            f.write("".join(f"\t.globl f{i}\nf{i}:\n\tmovl ${i}, %eax\n\tret\n"
                            for i in range(300)))
        self.scope_run(["as", "-o", obj, src])
        reads = per_file_sum(self.metric_lines(), "fs.read")
        self.assertEqual(reads.get(src), os.path.getsize(src))


if __name__ == "__main__":
    unittest.main()
