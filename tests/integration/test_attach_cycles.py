"""test_attach_cycles.py: attach and detach, over and over, on a process
with many threads: its memory stays flat. Each thread's event ring keeps
a write position that only grows, so each attach writes slots the last
one did not; detach gives the drained slots' pages back, else every cycle
made the process larger (by ~2 KiB a thread) until whole rings were
resident.

Each thread keeps one log file open and writes a line to it now and then:
every write is an event on the thread's queue, and no file record is
claimed after the first cycle. (A program that opens and closes files
makes the library's record pool grow to the most records closed but not
yet reaped at once, which depends on how late the reporter runs: up to
16,384 records of 1,400 bytes, by design, and not what this measures.)"""
import os
import time
import unittest

from scopetest import AttachTest, example

THREADS = 1000
# Each worker writes a line every PERIOD_MS, so that in every attached
# window each thread queues events: 5,000 a second in all, under the
# default limit of 10,000 events a second that would cut some.
PERIOD_MS = 200
# Cycles after which RSS is taken as the baseline (the first attaches map
# and touch what every later one reuses), and cycles in all. A cycle takes
# ~0.4 s on an idle machine (two CLI runs with ptrace, and the window),
# twice that and more with the sanitizer build of the CLI on a busy one.
# Before the fix each thread queued ~4 events a cycle into slots not used
# before: RSS grew ~2 MB a cycle, ~90 MB by cycle 60, until the rings are
# full (~128 MB for 1,000 threads): 60 cycles show that 30 times over the
# slack.
WARMUP = 5
CYCLES = 60
# What RSS may still grow by after the warm-up: the page of each thread's
# ring that holds the slot being written, when a detach finds the ring
# not yet empty.
SLACK_KB = 3 * 1024


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


class AttachCyclesTest(AttachTest):
    def tearDown(self):
        # gone before the directory it writes in is removed
        p = getattr(self, "p", None)
        if p and p.poll() is None:
            p.kill()
            p.wait()
        super().tearDown()

    def test_rss_flat_over_attach_detach_cycles(self):
        p = self.p = self.started([example("manythreads"), os.path.join(self.dir, "out.log"),
                                   str(THREADS), str(PERIOD_MS)])
        rss = []
        for cycle in range(CYCLES):
            self.attach(p.pid)
            time.sleep(PERIOD_MS * 1.5 / 1000)  # every thread pushes once at least
            self.detach(p.pid)
            rss.append(rss_kb(p.pid))
            if cycle == WARMUP - 1:
                print(f"RSS after {WARMUP} cycles: {rss[-1]} kB", flush=True)
        print(f"RSS after {CYCLES} cycles: {rss[-1]} kB", flush=True)
        self.assertLess(rss[-1] - rss[WARMUP - 1], SLACK_KB,
                        f"RSS by cycle (kB): {rss[:WARMUP]} ... {rss[-5:]}")


if __name__ == "__main__":
    unittest.main()
