"""test_attach_workloads.py: scope attach / detach on live programs: data within a second or two,
exact counts in the attached window, the GOT given back exactly (checked
with `scope inspect`), and programs that never notice."""
import os
import re
import select
import subprocess
import time
import unittest

from scopetest import AttachTest, example, free_port, metrics_named, read_ndjson


class Mtio:
    """examples/mtio driven through its stdin."""

    def __init__(self, directory):
        self.p = subprocess.Popen([example("mtio"), directory], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, bufsize=1)
        self.pid = int(self.expect("ready"))

    def expect(self, word):
        line = self.p.stdout.readline().split()
        assert line and line[0] == word, (word, line)
        return line[1]

    def say(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()

    def go(self, n):
        self.say(f"go {n}")
        return int(self.expect("done"))

    def quit(self):
        self.say("quit")
        out = self.p.stdout.read()
        return self.p.wait(timeout=30), out

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


class MtioAttachTest(AttachTest):
    def setUp(self):
        super().setUp()
        os.chmod(self.dir, 0o755)
        self.mtio = Mtio(self.dir)
        self.addCleanup(self.mtio.kill)
        self.files = [os.path.join(self.dir, f"mtio.{i}") for i in range(8)]

    def test_attach_counts_window_exactly_and_detach_restores_got(self):
        pid = self.mtio.pid
        self.mtio.go(20)                        # activity before attach: not ours
        before = self.slots(pid)
        self.assertTrue(before)
        self.assertTrue(all(s["state"] == "original" for s in before.values()))

        self.attach(pid)
        hooked = [k for k, s in self.slots(pid).items() if s["state"] == "hooked"]
        self.assertTrue(hooked, "no slot hooked after attach")

        self.mtio.go(100)
        t0 = time.monotonic()
        want = 100 * 4096
        self.wait_for(lambda: all(self.metric_sums("fs.write").get(f) == want for f in self.files),
                      2.0, "exact fs.write per file opened before attach")
        self.assertLess(time.monotonic() - t0, 2.0)
        self.assertEqual({f: self.metric_sums("fs.read").get(f) for f in self.files},
                         {f: want for f in self.files})
        pids = {b["pid"] for b in metrics_named(read_ndjson(self.metrics), "fs.write")}
        self.assertEqual(pids, {pid})

        self.detach(pid)
        self.assert_got_as_before(before, self.slots(pid))

        self.mtio.go(50)                        # after detach: not counted
        time.sleep(1.5)
        self.assertEqual(self.metric_sums("fs.write").get(self.files[0]), want)
        status, out = self.mtio.quit()
        self.assertEqual(status, 0, out)
        self.assertIn("exit ok", out)
        self.assert_schema_valid(self.metrics, self.events)

    def test_attach_detach_cycles_under_load(self):
        pid = self.mtio.pid
        baseline = self.slots(pid)
        fd_count = lambda: len(os.listdir(f"/proc/{pid}/fd"))
        rss_kib = lambda: int(re.search(r"VmRSS:\s+(\d+)", open(f"/proc/{pid}/status").read()).group(1))
        self.mtio.say("run")
        # three CLI runs a cycle: 100 cycles watch fds and RSS over 90
        cycles = int(os.environ.get("SCOPE_ATTACH_CYCLES", "100"))
        for i in range(cycles):
            self.attach(pid, period=10)
            self.detach(pid)
            self.assert_got_as_before(baseline, self.slots(pid), f"cycle {i}")
            if i == 9:
                fds_early, rss_early = fd_count(), rss_kib()
        self.assertEqual(fd_count(), fds_early)
        self.assertLess(rss_kib() - rss_early, 4096, "RSS grew by more than 4 MiB over the cycles")
        self.mtio.say("stop")
        self.mtio.expect("stopped")
        status, out = self.mtio.quit()
        self.assertEqual(status, 0, out)
        self.assertIn("exit ok", out)


class PythonAttachTest(AttachTest):
    def test_python_file_writes_seen_then_detached(self):
        data = os.path.join(self.dir, "py.out")
        script = ("import os, sys, time\n"
                  f"fd = os.open({data!r}, os.O_WRONLY|os.O_CREAT, 0o600)\n"
                  "print('ready', flush=True)\n"
                  "for line in sys.stdin:\n"
                  "    n = int(line)\n"
                  "    os.write(fd, b'p' * n)\n"
                  "    print('wrote', n, flush=True)\n")
        p = self.python_ready(script)
        self.attach(p.pid)
        for n in (1000, 2345):
            self.assertEqual(self.ask(p, str(n)), f"wrote {n}")
        self.wait_for(lambda: self.metric_sums("fs.write").get(data) == 3345, 2.5,
                      "python3's writes to a file opened before attach")
        self.detach(p.pid)
        self.assertFalse([s for s in self.slots(p.pid).values() if s["state"] != "original"])
        self.assertEqual(self.ask(p, "10"), "wrote 10")
        p.stdin.close()
        self.assertEqual(p.wait(timeout=10), 0)

    def test_a_pipe_the_program_closes_ends_while_attached(self):
        # The reporter thread works in its own copy of the fd table (the
        # program's calls are faster when nobody shares theirs): that copy
        # must not keep the program's files open.
        r, w = os.pipe()
        self.addCleanup(os.close, r)
        script = ("import os, sys\n"
                  "print('ready', flush=True)\n"
                  "sys.stdin.readline()\n"
                  f"os.close({w})\n"
                  "print('closed', flush=True)\n"
                  "sys.stdin.readline()\n")
        p = self.python_ready(script, pass_fds=(w,))
        os.close(w)
        self.attach(p.pid)
        self.assertEqual(self.ask(p, "close"), "closed")
        self.assertTrue(select.select([r], [], [], 5)[0], "the pipe is still held open")
        self.assertEqual(os.read(r, 1), b"")
        self.detach(p.pid)
        # (joined, it may still be finishing its exit in the kernel briefly)
        self.wait_for(lambda: os.listdir(f"/proc/{p.pid}/task") == [str(p.pid)], 5,
                      "the reporter thread gone after detach")
        p.stdin.write("\n")
        p.stdin.close()
        self.assertEqual(p.wait(timeout=10), 0)


class SingleThreadedTest(AttachTest):
    """Our reporter thread clears glibc's __libc_single_threaded, which
    makes each cancellable call of the program slower; detach sets it back
    when the program is single-threaded again, unless it made a thread or
    cancelled itself meanwhile (examples/selfcancel.c)."""

    def start(self):
        return self.started([example("selfcancel")], ready=r"ready \d+")

    @unittest.skipUnless(os.confstr("CS_GNU_LIBC_VERSION") == "glibc 2.36",
                         "restored only on glibc versions checked for it (ip_single_thread.c)")
    def test_detach_gives_the_single_threaded_mode_back(self):
        p = self.start()
        self.assertEqual(self.ask(p, "flag"), "flag 1 1")
        self.attach(p.pid)
        self.assertEqual(self.ask(p, "flag"), "flag 0 0")
        self.detach(p.pid)
        self.assertEqual(self.ask(p, "flag"), "flag 1 1")
        self.assertEqual(self.ask(p, "enable"), "alive")

    def test_a_thread_made_meanwhile_keeps_the_flag_cleared(self):
        # glibc leaves it false after a thread, even one that ended
        p = self.start()
        self.attach(p.pid)
        self.assertEqual(self.ask(p, "thread"), "joined")
        self.detach(p.pid)
        self.assertEqual(self.ask(p, "flag"), "flag 0 0")

    def test_a_c11_thread_made_meanwhile_keeps_the_flag_cleared(self):
        # thrd_create makes its thread without pthread_create's symbol
        p = self.start()
        self.attach(p.pid)
        self.assertEqual(self.ask(p, "c11thread"), "joined")
        self.detach(p.pid)
        self.assertEqual(self.ask(p, "flag"), "flag 0 0")

    def test_a_pending_self_cancel_keeps_the_slow_path(self):
        p = self.start()
        self.attach(p.pid)
        self.assertEqual(self.ask(p, "cancel"), "pending")
        self.detach(p.pid)
        self.assertEqual(self.ask(p, "flag"), "flag 0 0")
        # the pending request acts at the write: no "alive", and the
        # program ends as a cancelled main thread does
        self.assertEqual(self.ask(p, "enable"), "")
        self.assertEqual(p.wait(timeout=10), 0)


class ServersTest(AttachTest):
    def test_nginx_worker_keeps_serving(self):
        worker, url, page = self.nginx_serving()
        os.chmod(self.dir, 0o777)               # the worker (nobody) writes our files
        wrk = subprocess.Popen(["wrk", "-t2", "-c32", "-d4s", url], stdout=subprocess.PIPE, text=True)
        time.sleep(0.5)
        self.attach(worker)
        time.sleep(1.5)
        self.detach(worker)
        out = wrk.communicate(timeout=30)[0]
        self.assertNotIn("Non-2xx", out, out)
        self.assertNotRegex(out, r"Socket errors: connect [1-9]", out)
        opens = self.metric_sums("fs.open")
        self.assertGreater(opens.get(page, 0), 0, opens)
        self.assert_network_seen()
        self.assertEqual(subprocess.run(["curl", "-sf", "-o", "/dev/null", url]).returncode, 0)

    def test_redis_keeps_serving(self):
        port = free_port()
        redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                  "--save", "", "--appendonly", "no", "--dir", self.dir],
                                 stdout=subprocess.DEVNULL)
        self.addCleanup(lambda: (redis.terminate(), redis.wait()))
        ping = lambda: subprocess.run(["redis-cli", "-p", str(port), "ping"],
                                      capture_output=True, text=True).stdout.strip() == "PONG"
        self.wait_for(ping, 5, "redis up")
        bench = subprocess.Popen(["redis-benchmark", "-p", str(port), "-t", "set,get",
                                  "-n", "200000", "-q"], stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True)
        time.sleep(0.3)
        self.attach(redis.pid)
        time.sleep(1.0)
        self.detach(redis.pid)
        out = bench.communicate(timeout=120)[0]
        self.assertEqual(bench.returncode, 0, out)
        self.assertRegex(out, r"SET: [0-9.]+ requests per second")
        self.assertRegex(out, r"GET: [0-9.]+ requests per second")
        self.assertTrue(ping())
        self.assert_network_seen()


if __name__ == "__main__":
    unittest.main()
