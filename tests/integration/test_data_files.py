"""Data files are known for no log files at their first write.

A path without the literals of the log file pattern ("log" for the
default) cannot be a log file: its writes are not queued as text on the
chance that it is one. A program that writes many short-lived data files
in a burst then keeps every open and close event, where before the
queued text filled its thread's queue (256 events) and events were
dropped.
"""
import os
import unittest

from scopetest import PYTHON, ScopeTest, events_of

FILES = 40
WRITES = 64          # of 64 bytes: the whole 4 KiB probe of each file


class DataFileBurstTest(ScopeTest):
    def test_burst_of_data_files_keeps_every_event(self):
        d = os.path.join(self.dir, "data")
        os.mkdir(d)
        self.scope_run([PYTHON, "-c",
                        "import os\n"
                        f"for n in range({FILES}):\n"
                        f"    fd = os.open('{d}/part-%d.bin' % n, os.O_WRONLY|os.O_CREAT, 0o600)\n"
                        f"    for i in range({WRITES}):\n"
                        "        os.write(fd, b'x' * 64)\n"
                        "    os.close(fd)\n"])
        lines = self.event_lines()
        fs = [e for e in events_of(lines, "fs.open") + events_of(lines, "fs.close")
              if e["data"]["file"].startswith(d + "/")]
        self.assertEqual(len(fs), 2 * FILES, "an fs.open and an fs.close per file")
        notices = [e["data"] for e in events_of(lines, "notice")]
        self.assertFalse([n for n in notices if "dropped" in n], notices)


if __name__ == "__main__":
    unittest.main()
