"""Past the fixed pools, what is not counted is said.

libscope keeps 16,384 file records: a process with more files and sockets
open at once has fds that no record counts. Their calls are counted as
calls it could not count: a notice says how many (their bytes are
missing from fs.* and net.*) and scope.uncounted counts them. Threads past the 1,024 thread states are
still counted exactly, on the shared records.
"""
import os
import resource
import unittest

from scopetest import PYTHON, ScopeTest, events_of, metric_sum

FDS = 17_000            # past the 16,384 records
WRITES = 100


class FilesPastThePoolTest(ScopeTest):
    def test_calls_without_a_record_are_said(self):
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        if hard != resource.RLIM_INFINITY and hard < FDS + 100:
            self.skipTest(f"the fd limit is {hard}")
        self.scope_run([PYTHON, "-c",
                        "import os, resource, time\n"
                        "hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]\n"
                        "resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))\n"
                        # the records of files python closed at its start
                        # back in the pool first (the reporter frees them
                        # a drain or two after the close), so that none
                        # frees up for the last fds while the loop opens
                        "time.sleep(0.1)\n"
                        f"fds = [os.open('/dev/null', os.O_WRONLY) for i in range({FDS})]\n"
                        f"for fd in fds[-{WRITES}:]:\n"
                        "    os.write(fd, b'x' * 10)\n"])
        notices = [e["data"] for e in events_of(self.event_lines(), "notice")
                   if "had no record" in e["data"]]
        self.assertTrue(notices, "a notice says what was not counted")
        said = sum(int(n.split()[4]) for n in notices)
        self.assertGreaterEqual(said, WRITES)
        # and counted on the metric stream, the same number
        self.assertEqual(metric_sum(self.metric_lines(), "scope.uncounted",
                                    reason="no_record"), said)
        self.assert_schema_valid(self.metrics)
        # what was counted is still exact: the opens
        self.assertGreaterEqual(metric_sum(self.metric_lines(), "fs.open"), FDS)


if __name__ == "__main__":
    unittest.main()
