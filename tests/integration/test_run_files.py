"""scope run on real programs: exact per-file byte counts, console events,
every line schema-valid."""
import os
import json
import time
import threading
import subprocess
import unittest

from scopetest import (PYTHON, ScopeTest, events_of, example, metric_sum, metrics_named,
                      per_file_sum, texts)


class DdTest(ScopeTest):
    def test_dd_exact_bytes_and_console_summary(self):
        out = os.path.join(self.dir, "OUT")
        self.scope_run(["dd", "if=/dev/zero", "of=" + out, "bs=4096", "count=1000"])
        m = self.metric_lines()
        self.assertEqual(per_file_sum(m, "fs.write").get(out), 4096000)
        self.assertEqual(per_file_sum(m, "fs.read").get("/dev/zero"), 4096000)
        self.assertEqual(os.path.getsize(out), 4096000)
        stderr_text = texts(self.event_lines(), "console").get("stderr", "")
        self.assertIn("1000+0 records out", stderr_text)
        self.assertIn("4096000 bytes", stderr_text)
        self.assert_schema_valid(self.metrics, self.events)

    def test_own_output_is_not_counted_and_is_private(self):
        out = os.path.join(self.dir, "OUT")
        self.scope_run(["dd", "if=/dev/zero", "of=" + out, "bs=4096", "count=10"])
        files = set(per_file_sum(self.metric_lines(), "fs.write"))
        self.assertNotIn(self.metrics, files)
        self.assertNotIn(self.events, files)
        self.assertEqual(os.stat(self.metrics).st_mode & 0o777, 0o600)
        self.assertEqual(os.stat(self.events).st_mode & 0o777, 0o600)

    def test_open_close_events_carry_totals(self):
        out = os.path.join(self.dir, "OUT")
        self.scope_run(["dd", "if=/dev/zero", "of=" + out, "bs=1000", "count=7"])
        closes = [e for e in events_of(self.event_lines(), "fs.close")
                  if e["data"]["file"] == out]
        self.assertEqual(len(closes), 1)
        self.assertEqual(closes[0]["data"]["file_write_bytes"], 7000)
        self.assertEqual(closes[0]["data"]["file_write_ops"], 7)
        opens = [e for e in events_of(self.event_lines(), "fs.open") if e["data"]["file"] == out]
        self.assertEqual(len(opens), 1)

    def test_statsd_is_the_default_format(self):
        out = os.path.join(self.dir, "OUT")
        self.scope_run(["dd", "if=/dev/zero", "of=" + out, "bs=4096", "count=10"], fmt="statsd")
        with open(self.metrics) as f:
            lines = f.read().splitlines()
        write = [l for l in lines if l.startswith("fs.write:")]
        self.assertTrue(write, lines)
        for l in lines:
            self.assertRegex(l, r"^[a-z_.]+:[0-9.]+\|(c|g|h|ms)(\|@[0-9.]+)?(\|#[^|\n]+)?$")
        self.assertIn(f"fs.write:40960|c|#file:{out},numops:10,", "\n".join(write) + ",")

    def test_verbosity_4_summarizes_without_file_tags(self):
        out = os.path.join(self.dir, "OUT")
        self.scope_run(["dd", "if=/dev/zero", "of=" + out, "bs=4096", "count=10"], verbosity=4)
        writes = metrics_named(self.metric_lines(), "fs.write")
        self.assertEqual(sum(b["_value"] for b in writes), 40960)
        for b in self.metric_lines():
            self.assertNotIn("file", b["body"])
            self.assertEqual(b["body"].get("summary"), "true")
        self.assert_schema_valid(self.metrics)


class VerbosityTest(ScopeTest):
    """Which tags a StatsD fs.write line carries at verbosity 0, 4, 5, 9
    (the table in the README)."""

    def tags_at(self, verbosity):
        out = os.path.join(self.dir, f"v{verbosity}")
        self.scope_run(["dd", "if=/dev/zero", "of=" + out, "bs=100", "count=3"],
                       verbosity=verbosity, fmt="statsd")
        with open(self.metrics) as f:
            lines = [l for l in f.read().splitlines() if l.startswith("fs.write:")]
        os.unlink(self.metrics)
        self.assertTrue(lines)
        return {t.split(":", 1)[0] for l in lines for t in l.split("|#", 1)[1].split(",")}

    def test_tags_by_verbosity(self):
        self.assertEqual(self.tags_at(0), {"unit"})
        self.assertEqual(self.tags_at(4), {"proc", "pid", "host", "unit"})
        self.assertEqual(self.tags_at(5), {"file", "proc", "pid", "host", "unit"})
        self.assertEqual(self.tags_at(9), {"file", "numops", "proc", "pid", "host", "unit"})


class DurationTest(ScopeTest):
    """fs.duration is the mean over the calls on a file, estimated from a
    sample of them (ip_sample.h, tested in tests/unit/sample): each timed
    call stands for the calls skipped before it, and numops adds up what
    they stand for. Counts stay exact."""

    def test_the_sample_stands_for_every_call_on_a_busy_file(self):
        out = os.path.join(self.dir, "OUT")
        self.scope_run(["dd", "if=/dev/zero", "of=" + out, "bs=64", "count=100000"])
        m = self.metric_lines()
        self.assertEqual(metric_sum(m, "fs.write", field="numops", file=out), 100000)
        # dd's calls on OUT: open, dup2 onto fd 1 and close of the first fd
        # (no sample: dup; a sample: close), the writes, close; but for the
        # calls skipped after the last timed one on each sampler (a gap is
        # at most 23; the file's first write is skipped on its record's)
        stood_for = metric_sum(m, "fs.duration", field="numops", file=out)
        self.assertGreaterEqual(stood_for, 100003 - 24)
        self.assertLessEqual(stood_for, 100003)

    def test_close_event_and_metric_carry_the_mean_not_the_sum(self):
        # Four writes of 256 KiB into a FIFO whose reader takes 64 KiB every
        # 50 ms: each blocks about 0.2 s. The open (O_RDWR: it does not wait
        # for the reader) and the first write are timed, and so is each call
        # after a drain (every 10 ms) moved counts of the one before: all six
        # calls but, maybe, the second write are accounted for.
        fifo = os.path.join(self.dir, "fifo")
        reader = ("import sys, time\n"
                  "f = open(sys.argv[1], 'rb', buffering=0)\n"
                  "while f.read(65536):\n"
                  "    time.sleep(0.05)\n")
        body = ("import os, subprocess, sys, time\n"
                f"p = {fifo!r}\n"
                "os.mkfifo(p)\n"
                f"r = subprocess.Popen([sys.executable, '-c', {reader!r}, p])\n"
                "start = time.monotonic()\n"
                "fd = os.open(p, os.O_RDWR)\n"
                "for _ in range(4):\n"
                "    os.write(fd, b'x' * 262144)\n"
                "os.close(fd)\n"
                "print(int((time.monotonic() - start) * 1e6))\n"
                "r.wait()\n")
        p = self.scope_run([PYTHON, "-c", body])
        elapsed_us = int(p.stdout)
        closes = [e["data"] for e in events_of(self.event_lines(), "fs.close")
                  if e["data"]["file"] == fifo and e["data"]["file_write_ops"]]
        self.assertEqual(len(closes), 1, closes)
        self.assertEqual(closes[0]["file_write_bytes"], 4 * 262144)
        pid = closes[0]["pid"]
        m = self.metric_lines()
        calls = metric_sum(m, "fs.duration", field="numops", file=fifo, pid=pid)
        self.assertIn(calls, (5, 6))
        # the mean (microseconds): that many of them make the time spent
        mean = closes[0]["duration"]
        self.assertGreater(mean * calls, elapsed_us / 2, (closes, elapsed_us))
        self.assertLess(mean * calls, elapsed_us * 3 / 2, (closes, elapsed_us))
        durations = [b["_value"] for b in metrics_named(m, "fs.duration")
                     if b.get("file") == fifo and b["pid"] == pid]
        self.assertLess(max(durations), elapsed_us / 3, durations)


class ThreadsTest(ScopeTest):
    def test_python_eight_threads_exact_per_file(self):
        script = os.path.join(self.dir, "threads.py")
        with open(script, "w") as f:
            f.write(
                "import os, sys, threading\n"
                "def work(i):\n"
                "    fd = os.open(os.path.join(sys.argv[1], f'f{i}'), os.O_WRONLY|os.O_CREAT|os.O_TRUNC, 0o600)\n"
                "    for _ in range(500 + i):\n"
                "        os.write(fd, b'x' * (1000 + i))\n"
                "    os.close(fd)\n"
                "ts = [threading.Thread(target=work, args=(i,)) for i in range(8)]\n"
                "[t.start() for t in ts]; [t.join() for t in ts]\n")
        self.scope_run([PYTHON, script, self.dir])
        sums = per_file_sum(self.metric_lines(), "fs.write")
        for i in range(8):
            self.assertEqual(sums.get(os.path.join(self.dir, f"f{i}")), (500 + i) * (1000 + i), sums)
        self.assert_schema_valid(self.metrics, self.events)

    def test_exact_with_more_files_than_tallies_and_reused_records(self):
        # Each thread keeps 32 tallies: 40 files written by 4 threads in
        # turn make them collide (adds go to the record itself), threads
        # exit with counts not yet moved, and closed records come back for
        # new files that must not inherit anything.
        script = os.path.join(self.dir, "tallies.py")
        with open(script, "w") as f:
            f.write(
                "import os, sys, threading\n"
                "d, n = sys.argv[1], 40\n"
                "flags = os.O_WRONLY|os.O_CREAT|os.O_TRUNC\n"
                "fds = [os.open(f'{d}/s{i}', flags, 0o600) for i in range(n)]\n"
                "def work(t):\n"
                "    for _ in range(30):\n"
                "        for fd in fds:\n"
                "            os.write(fd, b'x' * (t + 1))\n"
                "ts = [threading.Thread(target=work, args=(t,)) for t in range(4)]\n"
                "[t.start() for t in ts]; [t.join() for t in ts]\n"
                "[os.close(fd) for fd in fds]\n"
                "for r in range(3):\n"
                "    for i in range(n):\n"
                "        fd = os.open(f'{d}/r{r}_{i}', flags, 0o600)\n"
                "        os.write(fd, b'y' * (i + 1)); os.close(fd)\n")
        self.scope_run([PYTHON, script, self.dir])
        sums = per_file_sum(self.metric_lines(), "fs.write")
        for i in range(40):
            self.assertEqual(sums.get(os.path.join(self.dir, f"s{i}")), 30 * (1 + 2 + 3 + 4), i)
            for r in range(3):
                self.assertEqual(sums.get(os.path.join(self.dir, f"r{r}_{i}")), i + 1, (r, i))
        events = self.event_lines()
        closes = {e["data"]["file"]: e["data"]["file_write_bytes"]
                  for e in events_of(events, "fs.close")}
        # A starved reporter may let the thread's event queue overflow:
        # then events go (said in a notice), never their counts.
        queue_drops = any("a queue was full" in e["data"] for e in events_of(events, "notice"))
        for i in range(40):
            got = closes.get(os.path.join(self.dir, f"r2_{i}"))
            if got is not None or not queue_drops:
                self.assertEqual(got, i + 1, i)


class SignalTest(ScopeTest):
    def test_writes_from_a_signal_handler_are_counted_exactly(self):
        # Thousands of handler writes land in the middle of the program's
        # (examples/sigio.c), on more files than a thread has tallies. The
        # narrowest case, a handler that wants the very tally its thread
        # was about to add to, is too rare to provoke: ip_call_tally()'s
        # `tallying` flag is what guards it.
        p = self.scope_run([example("sigio"), self.dir, "12000"])
        wrote = dict(line.rsplit(" ", 1) for line in p.stdout.decode().splitlines())
        self.assertEqual(len(wrote), 40)
        sums = per_file_sum(self.metric_lines(), "fs.write")
        for path, n in wrote.items():
            self.assertEqual(sums.get(path), int(n), path)
        self.assertGreater(sum(map(int, wrote.values())), 40 * 12000, "no signal came")


class FdReuseTest(ScopeTest):
    def test_counts_follow_the_file_not_the_fd_number(self):
        a, b = os.path.join(self.dir, "a"), os.path.join(self.dir, "b")
        body = ("import os\n"
                f"fa = os.open({a!r}, os.O_WRONLY|os.O_CREAT, 0o600)\n"
                "os.write(fa, b'1' * 100); os.close(fa)\n"
                f"fb = os.open({b!r}, os.O_WRONLY|os.O_CREAT, 0o600)\n"
                "assert fb == fa, (fa, fb)\n"
                "os.write(fb, b'2' * 250)\n"
                "fc = os.dup(fb); os.close(fb)\n"
                "os.write(fc, b'3' * 50); os.close(fc)\n")
        self.scope_run([PYTHON, "-c", body])
        sums = per_file_sum(self.metric_lines(), "fs.write")
        self.assertEqual(sums.get(a), 100, sums)
        self.assertEqual(sums.get(b), 300, sums)
        closes = per_file_sum(self.metric_lines(), "fs.close")
        self.assertEqual(closes.get(b), 1, "a dup'ed file closes once, at its last fd")


class StdioTest(ScopeTest):
    def test_read_side_seeks_stat_delete_and_freopen(self):
        p = self.scope_run([example("stdiodemo"), self.dir])
        # the fmemopen stream: written, and errno as the program left it
        self.assertIn(b"got=10 c=1 at=11 size=30 mem=in memory errno=1234", p.stderr)
        m = self.metric_lines()
        src, log = os.path.join(self.dir, "in"), os.path.join(self.dir, "log")
        reads = per_file_sum(m, "fs.read")
        self.assertEqual(reads.get(src), 30 + 10 + 1)          # fgets, getline, fgetc
        self.assertEqual(per_file_sum(m, "fs.seek").get(src), 3)
        self.assertEqual(per_file_sum(m, "fs.write").get(log), 20)
        # open_memstream's FILE holds a stale fd number: nothing of the
        # stream's may be counted against that fd's file, nor close it
        keep = os.path.join(self.dir, "keep")
        self.assertEqual(per_file_sum(m, "fs.write").get(keep), 10)
        self.assertEqual(per_file_sum(m, "fs.close").get(keep), 1)
        self.assertGreaterEqual(sum(b["_value"] for b in metrics_named(m, "fs.stat")), 2)
        e = self.event_lines()
        self.assertEqual([x["data"]["file"] for x in events_of(e, "fs.delete")], [src])
        stdout_text = texts(e, "console").get("stdout", "")
        self.assertNotIn("to the log", stdout_text)   # a file now, not the console
        self.assert_schema_valid(self.metrics, self.events)


class PrintfTest(ScopeTest):
    def test_console_printf_is_formatted_once(self):
        plain = subprocess.run([example("printfdemo")], capture_output=True, text=True)
        p = self.scope_run([example("printfdemo")])
        self.assertEqual(p.stderr.decode().splitlines()[0], "calls=1 n=5000")
        self.assertEqual(p.stdout.decode(), plain.stdout)
        text = texts(self.event_lines(), "console").get("stdout", "")
        self.assertTrue(text.startswith("<1>\n"), text[:20])
        self.assert_schema_valid(self.events)


class SlowReaderTest(ScopeTest):
    def test_fifo_destination_gets_whole_lines_only(self):
        fifo = os.path.join(self.dir, "fifo")
        os.mkfifo(fifo)
        got = []

        def read_slowly():
            with open(fifo, "rb") as f:
                while True:
                    chunk = f.read(4096)
                    if not chunk:
                        return
                    got.append(chunk)
                    time.sleep(0.002)
        reader = threading.Thread(target=read_slowly)
        reader.start()
        body = "import os\nfor i in range(20000):\n    os.write(1, b'line %d\\n' % i)\n"
        self.scope_run([PYTHON, "-c", body], extra=("-e", "file://" + fifo))
        reader.join(timeout=30)
        lines = b"".join(got).split(b"\n")
        self.assertEqual(lines[-1], b"")
        self.assertGreater(len(lines), 100)
        for l in lines[:-1]:
            json.loads(l)               # every line whole


class DaemonFdsTest(ScopeTest):
    def test_closing_every_fd_spares_ours_and_loses_nothing(self):
        # The daemon idiom: close everything above stderr, then open files.
        # Our destination files must neither be closed nor reused for the
        # program's own files.
        body = ("import os, sys\n"
                "for fd in range(3, 4096):\n"
                "    try: os.close(fd)\n"
                "    except OSError: pass\n"
                "os.closerange(3, 4096)\n"
                "d = sys.argv[1]\n"
                "for i in range(300):\n"
                "    fd = os.open(os.path.join(d, f'own{i}'), os.O_WRONLY | os.O_CREAT, 0o600)\n"
                "    os.write(fd, b'mine\\n')\n"
                "    os.close(fd)\n")
        os.mkdir(os.path.join(self.dir, "own"))
        self.scope_run([PYTHON, "-c", body, os.path.join(self.dir, "own")])
        for i in range(300):
            with open(os.path.join(self.dir, "own", f"own{i}"), "rb") as f:
                self.assertEqual(f.read(), b"mine\n")
        sums = per_file_sum(self.metric_lines(), "fs.write")
        self.assertEqual(sums.get(os.path.join(self.dir, "own", "own299")), 5)
        self.assert_schema_valid(self.metrics, self.events)

    def test_dup2_onto_the_same_file_twice_still_closes(self):
        f = os.path.join(self.dir, "d")
        body = ("import os\n"
                f"fd = os.open({f!r}, os.O_WRONLY | os.O_CREAT, 0o600)\n"
                "os.dup2(fd, 10); os.dup2(fd, 10)\n"
                "os.write(10, b'x'); os.close(10); os.close(fd)\n")
        self.scope_run([PYTHON, "-c", body])
        self.assertEqual(per_file_sum(self.metric_lines(), "fs.close").get(f), 1)
        closes = [e for e in events_of(self.event_lines(), "fs.close") if e["data"]["file"] == f]
        self.assertEqual(len(closes), 1)


class ThreadChurnTest(ScopeTest):
    def test_queues_of_exited_threads_are_reused(self):
        # More threads over the run than the pool has records (1024): only
        # works if records of exited threads are drained and given back.
        n = 3000
        body = ("import os, threading, time\n"
                "def say(i):\n"
                "    os.write(1, b'%d\\n' % i)\n"
                f"for i in range({n}):\n"
                "    t = threading.Thread(target=say, args=(i,)); t.start(); t.join()\n"
                "    if i % 500 == 0: time.sleep(0.05)\n")
        p = self.scope_run([PYTHON, "-c", body])
        self.assertEqual(len(p.stdout.splitlines()), n)
        lines = self.event_lines()
        self.assertEqual(events_of(lines, "notice"), [])
        text = texts(lines, "console").get("stdout", "")
        self.assertEqual(sorted(int(x) for x in text.split()), list(range(n)))

    def test_more_threads_than_records_without_events_drop_nothing(self):
        # 1100 threads at once, more than the 1024 queues, none producing
        # an event: nothing may be reported as dropped.
        body = ("import os, threading\n"
                "fd = os.open('/dev/null', os.O_RDONLY)\n"
                "barrier = threading.Barrier(1100)\n"
                "def work():\n"
                "    os.lseek(fd, 0, 0); barrier.wait(); os.lseek(fd, 0, 0)\n"
                "ts = [threading.Thread(target=work) for _ in range(1100)]\n"
                "[t.start() for t in ts]; [t.join() for t in ts]\n")
        self.scope_run([PYTHON, "-c", body])
        self.assertEqual(events_of(self.event_lines(), "notice"), [])


class BuildFlavoursTest(ScopeTest):
    """Lazy PLT and -fno-plt -z now (GLOB_DAT slots under full RELRO)."""

    def check_filedemo(self, name):
        p = self.scope_run([example(name), self.dir, "3", "12345"])
        m = self.metric_lines()
        writes, reads = per_file_sum(m, "fs.write"), per_file_sum(m, "fs.read")
        for i in range(3):
            path = os.path.join(self.dir, f"demo{i}.txt")
            self.assertEqual(writes.get(path), 12345, writes)
            self.assertEqual(reads.get(path), 12345, reads)
        stdout_text = texts(self.event_lines(), "console").get("stdout", "")
        self.assertEqual(stdout_text, p.stdout.decode())
        self.assert_schema_valid(self.metrics, self.events)

    def test_lazy_plt(self):
        self.check_filedemo("filedemo")

    def test_noplt_full_relro(self):
        self.check_filedemo("filedemo_noplt")


if __name__ == "__main__":
    unittest.main()
