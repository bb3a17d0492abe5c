"""Paths longer than the 255 bytes a file's record holds inline, up to
PATH_MAX: metrics, events and log-file detection get the whole path; past
what scope can hold, the path is cut visibly (`...[cut]`) and counted in a
notice, never silently."""
import os
import re
import unittest

from scopetest import PYTHON, ScopeTest, events_of, per_file_sum, texts

MARK = "...[cut]"


def notices(lines):
    return [e["data"] for e in events_of(lines, "notice")]


class LongPathWholeTest(ScopeTest):
    def deep_dir(self, length):
        """A directory under self.dir whose path is about `length` bytes."""
        parts = ["d" * 200] * ((length - len(self.dir)) // 201)
        deep = os.path.join(self.dir, *parts)
        os.makedirs(deep, exist_ok=True)
        return deep

    def test_a_long_log_file_is_named_whole(self):
        # 2500 bytes: over the record's inline 255, under PATH_MAX (4096)
        path = os.path.join(self.deep_dir(2500), "app.log")
        self.assertGreater(len(path), 2300)
        body = (f"f = open({path!r}, 'w')\n"
                "f.write('hello from a deep log\\n' * 100)\n"
                "f.close()\n")
        self.scope_run([PYTHON, "-c", body], env=dict(self.env, SCOPE_EVENT_LOGFILE="true"))
        written = per_file_sum(self.metric_lines(), "fs.write")
        self.assertEqual(written.get(path), 2200, {k[-40:]: v for k, v in written.items()})
        lines = self.event_lines()
        # log-file detection sees the whole name (its .log suffix)
        self.assertEqual(texts(lines, "file").get(path, ""), "hello from a deep log\n" * 100)
        for kind in ("fs.open", "fs.close"):
            files = [e["data"]["file"] for e in events_of(lines, kind)
                     if e["data"]["file"].startswith(self.dir + "/ddd")]
            self.assertEqual(files, [path], kind)
        self.assertFalse([n for n in notices(lines) if "cut the path" in n], notices(lines))
        self.assert_schema_valid(self.metrics, self.events)

    def test_past_what_scope_holds_the_cut_is_marked_and_counted(self):
        # Many long paths open at once: more than the 512 scope keeps room for.
        deep = self.deep_dir(1500)
        n = 600
        body = (f"import os\nfds = [os.open(os.path.join({deep!r}, 'f' + str(i)), "
                f"os.O_WRONLY | os.O_CREAT, 0o600) for i in range({n})]\n"
                "for fd in fds:\n    os.write(fd, b'abc')\n"
                "for fd in fds:\n    os.close(fd)\n")
        self.scope_run([PYTHON, "-c", body])
        written = per_file_sum(self.metric_lines(), "fs.write")
        mine = {k: v for k, v in written.items() if k.startswith(deep[:200])}
        whole = {k for k in mine if not k.endswith(MARK)}
        cut = {k for k in mine if k.endswith(MARK)}
        self.assertEqual(sum(mine.values()), 3 * n, len(mine))
        self.assertTrue(cut, "all of them held whole: the bound was not reached")
        for k in whole:
            self.assertRegex(k, "^" + re.escape(deep) + r"/f\d+$")
        for k in cut:
            self.assertTrue(deep.startswith(k[:-len(MARK)]), k[-60:])
        told = notices(self.event_lines())
        counts = [int(m) for t in told
                  for m in re.findall(r"cut the paths of (\d+) files? to", t)]
        self.assertTrue(counts, told)
        self.assertGreaterEqual(sum(counts), n - len(whole), told)


if __name__ == "__main__":
    unittest.main()
