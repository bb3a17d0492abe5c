"""scope run and the life of a process: exit paths lose nothing, children
report under their own pid and never repeat the parent's data, periods
repeat, drops are counted."""
import os
import re
import unittest

from scopetest import BUILD, PYTHON, ScopeTest, events_of, example, metric_sum, metrics_named, texts


def write_file_py(path, nbytes):
    return (f"fd = os.open({path!r}, os.O_WRONLY|os.O_CREAT|os.O_TRUNC, 0o600)\n"
            f"os.write(fd, b'y' * {nbytes})\n"
            "os.close(fd)\n")


def writes_by_pid(lines):
    """{(pid, file): bytes}"""
    out = {}
    for b in metrics_named(lines, "fs.write"):
        if "file" in b:
            key = (b["pid"], b["file"])
            out[key] = out.get(key, 0) + b["_value"]
    return out


class ExitPathsTest(ScopeTest):
    def run_py(self, body, status=0):
        return self.scope_run([PYTHON, "-c", "import os, sys\n" + body], check_status=status)

    def test_underscore_exit_flushes_last_period(self):
        f = os.path.join(self.dir, "a")
        self.run_py(write_file_py(f, 777) + "os._exit(3)\n", status=3)
        self.assertEqual(writes_by_pid(self.metric_lines()).get((self.pid_of(f), f)), 777)

    def test_exit_flushes_last_period(self):
        f = os.path.join(self.dir, "a")
        self.run_py(write_file_py(f, 778) + "sys.exit(4)\n", status=4)
        self.assertEqual(sum(v for (p, n), v in writes_by_pid(self.metric_lines()).items() if n == f), 778)

    def test_exec_flushes_before_the_image_is_replaced(self):
        f = os.path.join(self.dir, "a")
        self.run_py(write_file_py(f, 779) + "os.execv('/bin/true', ['true'])\n")
        self.assertEqual(sum(v for (p, n), v in writes_by_pid(self.metric_lines()).items() if n == f), 779)

    def test_signal_exit_status(self):
        self.run_py("os.kill(os.getpid(), 9)\n", status=128 + 9)

    def pid_of(self, f):
        for (p, n) in writes_by_pid(self.metric_lines()):
            if n == f:
                return p
        self.fail(f"no fs.write for {f}")


class ChildrenTest(ScopeTest):
    def test_fork_child_reports_only_its_own_data(self):
        parent_f, child_f = os.path.join(self.dir, "parent"), os.path.join(self.dir, "child")
        body = ("import os\n" + write_file_py(parent_f, 1000) +
                "pid = os.fork()\n"
                "if pid == 0:\n" +
                "".join("    " + l + "\n" for l in write_file_py(child_f, 2000).splitlines()) +
                "    os._exit(0)\n"
                "os.waitpid(pid, 0)\n"
                "print(pid)\n")
        p = self.scope_run([PYTHON, "-c", body])
        child_pid = int(p.stdout.decode().strip())
        w = writes_by_pid(self.metric_lines())
        self.assertEqual(w.get((child_pid, child_f)), 2000, w)
        self.assertNotIn((child_pid, parent_f), w)
        parent_pids = [pid for (pid, n) in w if n == parent_f]
        self.assertEqual(len(parent_pids), 1, w)
        self.assertEqual(w[(parent_pids[0], parent_f)], 1000)

    def test_children_stay_scoped_when_the_environment_is_replaced(self):
        # env -i empties the environment; sh then runs dd with execve.
        out = os.path.join(self.dir, "envless")
        self.scope_run(["env", "-i", "/bin/sh", "-c",
                        f"dd if=/dev/zero of={out} bs=100 count=7 2>/dev/null"])
        w = writes_by_pid(self.metric_lines())
        self.assertEqual(sum(v for (p, n), v in w.items() if n == out), 700, w)

    def test_exec_children_are_scoped_under_their_own_pid(self):
        a, b = os.path.join(self.dir, "a"), os.path.join(self.dir, "b")
        self.scope_run(["sh", "-c", f"dd if=/dev/zero of={a} bs=100 count=3 2>/dev/null; "
                                    f"dd if=/dev/zero of={b} bs=100 count=5 2>/dev/null"])
        w = writes_by_pid(self.metric_lines())
        pa = [p for (p, n) in w if n == a]
        pb = [p for (p, n) in w if n == b]
        self.assertEqual(len(pa), 1)
        self.assertEqual(len(pb), 1)
        self.assertNotEqual(pa[0], pb[0])
        self.assertEqual(w[(pa[0], a)], 300)
        self.assertEqual(w[(pb[0], b)], 500)
        self.assert_schema_valid(self.metrics, self.events)


class PeriodsTest(ScopeTest):
    def test_each_period_reports_its_own_part(self):
        f = os.path.join(self.dir, "slow")
        body = (f"fd = os.open({f!r}, os.O_WRONLY|os.O_CREAT, 0o600)\n"
                "for i in range(5):\n"
                "    os.write(fd, b'z' * 100)\n"
                "    time.sleep(0.6)\n"
                "os.close(fd)\n")
        env = dict(self.env, SCOPE_SUMMARY_PERIOD="1")
        self.scope_run([PYTHON, "-c", "import os, time\n" + body], env=env)
        writes = [b for b in metrics_named(self.metric_lines(), "fs.write") if b.get("file") == f]
        self.assertGreaterEqual(len(writes), 2, "expected more than one period")
        self.assertEqual(sum(b["_value"] for b in writes), 500)
        self.assertEqual(len({b["_time"] for b in writes}), len(writes))


class DlopenTest(ScopeTest):
    def test_library_loaded_later_is_observed(self):
        out = os.path.join(self.dir, "late")
        self.scope_run([example("dlopendemo"), os.path.join(BUILD, "lib", "libdemoio.so"),
                        out, "12345"])
        self.assertEqual(writes_by_pid(self.metric_lines()).get((self.pid_of_file(out), out)), 12345)

    def pid_of_file(self, f):
        for (p, n) in writes_by_pid(self.metric_lines()):
            if n == f:
                return p
        self.fail(f"no fs.write for {f}: the dlopen'ed library was not patched")


class NamespaceTest(ScopeTest):
    def test_unshare_user_namespace_still_works(self):
        # The kernel refuses CLONE_NEWUSER to a multi-threaded process; our
        # reporter thread must not make the program fail.
        import subprocess
        if subprocess.run(["unshare", "-U", "true"]).returncode != 0:
            self.skipTest("unshare -U is not allowed on this machine")
        self.scope_run(["unshare", "-U", "sh", "-c", "echo inside"])
        text = texts(self.event_lines(), "console").get("stdout", "")
        self.assertIn("inside", text)


    def test_setns_into_a_user_namespace_still_works(self):
        # nsenter -U calls setns(fd, CLONE_NEWUSER), refused to a
        # multi-threaded process likewise.
        import subprocess
        holder = subprocess.Popen(["unshare", "-U", "--map-root-user", "sleep", "60"])
        self.addCleanup(holder.wait)
        self.addCleanup(holder.kill)
        ours = os.readlink("/proc/self/ns/user")
        self.wait_for(lambda: holder.poll() is not None
                      or os.readlink(f"/proc/{holder.pid}/ns/user") != ours, 5, "unshare -U")
        if holder.poll() is not None:
            self.skipTest("unshare -U is not allowed on this machine")
        self.scope_run(["nsenter", "-t", str(holder.pid), "-U", "sh", "-c", "echo inside"])
        text = texts(self.event_lines(), "console").get("stdout", "")
        self.assertIn("inside", text)


class EventControlsTest(ScopeTest):
    def test_rate_limit_cuts_and_says_so(self):
        body = "import os\nfor i in range(30000):\n    os.write(1, b'x\\n')\n"
        env = dict(self.env, SCOPE_EVENT_MAXEPS="100")
        self.scope_run([PYTHON, "-c", body], env=env)
        lines = self.event_lines()
        delivered = sum(e["data"]["message"].count("\n") for e in events_of(lines, "stdout"))
        self.assertLessEqual(delivered, 300)     # 100 a second, over at most ~3 seconds
        notices = [e["data"] for e in events_of(lines, "notice")]
        self.assertTrue(any("exceeded 100 events per second" in n for n in notices), notices)
        # every write is an event sent, cut, or dropped (a full queue): counted
        cut = sum(int(m) for n in notices for m in re.findall(r": (\d+) cut", n))
        dropped = sum(int(m) for n in notices for m in re.findall(r"dropped (\d+) events", n))
        self.assertEqual(delivered + cut + dropped, 30000, notices)
        self.assert_schema_valid(self.events)

    def test_kinds_switched_off_and_custom_tags(self):
        f = os.path.join(self.dir, "quiet")
        body = (f"fd = os.open({f!r}, os.O_WRONLY | os.O_CREAT, 0o600)\n"
                "os.write(fd, b'q' * 10); os.close(fd); print('hello')\n")
        env = dict(self.env, SCOPE_EVENT_FS="false", SCOPE_TAG_team="storage",
                   SCOPE_TAG_zone="eu-1")
        self.scope_run([PYTHON, "-c", "import os\n" + body], env=env)
        lines = self.event_lines()
        self.assertEqual(events_of(lines, "fs.open") + events_of(lines, "fs.close"), [])
        self.assertTrue(events_of(lines, "stdout"))
        for b in [l["body"] for l in self.metric_lines()]:
            self.assertEqual((b.get("team"), b.get("zone")), ("storage", "eu-1"), b)
        self.assert_schema_valid(self.metrics, self.events)


class ProcMetricsTest(ScopeTest):
    def test_process_gauges_and_start(self):
        body = ("import os, threading, time\n"
                "fds = [os.open('/dev/null', os.O_RDONLY) for _ in range(20)]\n"
                "ts = [threading.Thread(target=time.sleep, args=(1.5,)) for _ in range(5)]\n"
                "[t.start() for t in ts]\n"
                "time.sleep(1.2)\n"
                "[t.join() for t in ts]\n")
        env = dict(self.env, SCOPE_SUMMARY_PERIOD="1")
        self.scope_run([PYTHON, "-c", body], verbosity=4, env=env)
        m = self.metric_lines()
        start = metrics_named(m, "proc.start")
        self.assertEqual(len(start), 1)
        self.assertEqual(start[0]["uid"], os.getuid())
        self.assertTrue(start[0]["username"])
        threads = [b["_value"] for b in metrics_named(m, "proc.thread")]
        fds = [b["_value"] for b in metrics_named(m, "proc.fd")]
        # during the run: main + 5 sleepers + our reporter; 20 extra fds
        self.assertGreaterEqual(max(threads), 7, threads)
        self.assertGreaterEqual(max(fds), 23, fds)
        self.assertTrue(metrics_named(m, "proc.mem"))
        self.assertTrue(metrics_named(m, "proc.cpu"))
        self.assert_schema_valid(self.metrics)


class DropsTest(ScopeTest):
    def test_console_flood_every_line_delivered_or_counted(self):
        n = 200000
        body = f"for i in range({n}):\n    os.write(1, b'x\\n')\n"
        self.scope_run([PYTHON, "-c", "import os\n" + body])
        lines = self.event_lines()
        delivered = sum(e["data"]["message"].count("\n") for e in events_of(lines, "stdout"))
        dropped = cut = 0
        for e in events_of(lines, "notice"):
            m = re.match(r"scope dropped (\d+) events", e["data"])
            c = re.search(r"per second: (\d+) cut", e["data"])
            self.assertTrue(m or c, e["data"])
            dropped += int(m.group(1)) if m else 0
            cut += int(c.group(1)) if c else 0
        self.assertEqual(delivered + dropped + cut, n)
        self.assertGreater(dropped + cut, 0, "the flood was not over a bound")
        # the metric stream counts the same losses
        m = self.metric_lines()
        self.assertEqual((metric_sum(m, "scope.dropped", reason="queue"),
                          metric_sum(m, "scope.dropped", reason="rate")), (dropped, cut))
        self.assert_schema_valid(self.events, self.metrics)


if __name__ == "__main__":
    unittest.main()
