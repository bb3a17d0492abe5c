"""test_attach_detach.py: scope attach / scope detach on real processes started here (sleep,
python3, sh): what is refused and why, that the target is given back exactly
as it was (sleeps keep their time, reads keep waiting, signals arrive), and
that an attached process reports. Each TestCase class is one ctest.

Comments above a test say the trap of ptrace injection it guards against.
"""
import ctypes
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

from scopetest import (LIB, PYTHON, SCOPE, SESSION_RE, STATIC_SLEEPER, ScopeTest, metrics_named,
                       read_ndjson, unprivileged_scope)

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
OTHER_USER = ["setpriv", "--reuid=65533", "--regid=65533", "--clear-groups"]


def scope_for(prefix):
    """The CLI to run under prefix: for another uid, which may not reach the
    build directory (a fresh clone in a private temp dir), a copy it can."""
    if not any(a.startswith("--reuid") for a in prefix):
        return SCOPE
    return unprivileged_scope()


def state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def tracer(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"^TracerPid:\s+(\d+)", f.read(), re.M).group(1))


def libscope_mappings(pid):
    with open(f"/proc/{pid}/maps") as f:
        return [l.split()[0] for l in f if "libscope.so" in l]


def wait_blocked(pid, timeout=5):
    """Until the main thread waits in a system call."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/syscall") as f:
                if f.read()[:1].isdigit():
                    return
        except OSError:
            pass
        time.sleep(0.01)
    raise AssertionError(f"{pid} never blocked in a system call")


class TargetTest(ScopeTest):
    """ScopeTest with targets started here, killed at the end."""

    def setUp(self):
        super().setUp()
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()
        super().tearDown()

    def start(self, cmd, **kw):
        p = subprocess.Popen(cmd, **kw)
        self.procs.append(p)
        return p

    def start_sleep(self, seconds=30, prefix=()):
        p = self.start([*prefix, "sleep", str(seconds)])
        wait_blocked(p.pid)
        return p

    def start_py(self, code, prefix=(), **kw):
        """A python3 target that prints "ready" once set up."""
        p = self.start([*prefix, PYTHON, "-c", code], stdin=subprocess.PIPE,
                       stdout=subprocess.PIPE, text=True, **kw)
        self.assertEqual(p.stdout.readline().strip(), "ready")
        wait_blocked(p.pid)
        return p

    def scope(self, *args, prefix=(), env=None, timeout=30):
        return subprocess.run([*prefix, scope_for(prefix), *args], env=env or self.env,
                              capture_output=True, text=True, timeout=timeout)

    def ok(self, *args, **kw):
        r = self.scope(*args, **kw)
        self.assertEqual(r.returncode, 0, f"scope {args}: {r.stderr}")
        return r

    def refused(self, r, *texts, status=1):
        self.assertEqual(r.returncode, status, r.stderr)
        for t in texts:
            self.assertIn(t, r.stderr)

    def untouched(self, pid):
        self.assertEqual(tracer(pid), 0)
        self.assertEqual(libscope_mappings(pid), [])


class Refuse(TargetTest):
    def test_usage(self):
        self.refused(self.scope("attach"), "missing the PID", status=2)
        self.refused(self.scope("attach", "-v", "12", "1"), "-v '12'", status=2)
        self.refused(self.scope("attach", "--bogus", "1"), "unknown option", status=2)
        self.refused(self.scope("attach", "1", "2"), "unexpected argument '2'", status=2)
        self.refused(self.scope("detach", "--all", "1"), "--all takes no PID", status=2)
        self.refused(self.scope("detach"), "missing the PID", status=2)

    def test_no_such_pid(self):
        gone = subprocess.Popen(["true"])
        gone.wait()
        self.refused(self.scope("attach", str(gone.pid)), f"no process with PID {gone.pid}")
        self.refused(self.scope("detach", str(gone.pid)), f"no process with PID {gone.pid}")
        self.refused(self.scope("attach", "no-such-name-xyz"), "no process named 'no-such-name-xyz'")

    def test_name_matching_several(self):
        twin = os.path.join(self.dir, "scopeatt_twin")
        shutil.copy("/bin/sleep", twin)
        a, b = self.start([twin, "30"]), self.start([twin, "30"])
        wait_blocked(a.pid)
        wait_blocked(b.pid)
        r = self.scope("attach", "scopeatt_twin")
        self.refused(r, "2 processes are named 'scopeatt_twin'", str(a.pid), str(b.pid))
        self.untouched(a.pid)

    def test_zombie(self):
        p = self.start(["true"])
        deadline = time.monotonic() + 5
        while state(p.pid) != "Z" and time.monotonic() < deadline:
            time.sleep(0.01)
        self.refused(self.scope("attach", str(p.pid)), "zombie")

    def test_other_user(self):
        # a target of another user is refused, with the cause named
        p = self.start_sleep(prefix=NOBODY)
        r = self.scope("attach", str(p.pid), prefix=OTHER_USER)
        self.refused(r, "runs as user nobody (uid 65534)", "scope as uid 65533", "CAP_SYS_PTRACE")
        self.assertEqual(tracer(p.pid), 0)
        self.assertIsNone(p.poll())

    def test_missing_cap_sys_ptrace(self):
        # same uid, but the target has capabilities we lack: refused, cause named
        p = self.start_sleep()
        drop = ["setpriv", "--bounding-set=-sys_ptrace", "--inh-caps=-sys_ptrace"]
        if subprocess.run([*drop, "true"]).returncode != 0:
            self.skipTest("setpriv cannot drop CAP_SYS_PTRACE here")
        r = self.scope("attach", str(p.pid), prefix=drop)
        self.refused(r, "capabilities scope lacks", "CAP_SYS_PTRACE")
        self.untouched(p.pid)

    def test_already_traced(self):
        p = self.start_sleep()
        libc = ctypes.CDLL(None, use_errno=True)
        libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
        PTRACE_SEIZE = 0x4206
        self.assertEqual(libc.ptrace(PTRACE_SEIZE, p.pid, None, None), 0,
                         os.strerror(ctypes.get_errno()))
        r = self.scope("attach", str(p.pid))
        self.refused(r, f"already traced by {os.getpid()} (", "detach it first")
        self.assertEqual(libscope_mappings(p.pid), [])

    def test_static_binary(self):
        p = self.start([STATIC_SLEEPER])
        wait_blocked(p.pid)
        r = self.scope("attach", str(p.pid))
        self.refused(r, "is statically linked", "scope cannot observe it")
        self.assertEqual(r.stderr.count("system calls"), 1, r.stderr)   # said once
        self.untouched(p.pid)

    def test_detach_not_loaded(self):
        p = self.start_sleep()
        self.refused(self.scope("detach", str(p.pid)), "not attached", "not loaded")
        self.untouched(p.pid)

    def test_library_others_may_replace(self):
        # the target opens the library itself: nobody but root or us may swap it
        lib = os.path.join(self.dir, "libscope.so")
        shutil.copy(LIB, lib)
        os.chmod(lib, 0o666)
        p = self.start_sleep()
        r = self.scope("attach", str(p.pid), env=dict(self.env, SCOPE_LIB_PATH=lib))
        self.refused(r, "not writable by group or others")
        self.untouched(p.pid)

    def test_exits_during_attach(self):
        # Whatever moment it dies at: a clear message, no crash, no hang.
        # (Caught just after its exec, before the loader mapped libc, it
        # is refused for that.)
        accepted = ("no process with PID", "exited during attach", "zombie", "exiting",
                    "no libc is mapped")
        for delay in ("0", "0.001", "0.003", "0.006", "0.01", "0.02", "0.04", "0.08"):
            p = self.start(["sleep", delay])
            reaper = threading.Thread(target=p.wait)
            reaper.start()
            r = self.scope("attach", str(p.pid), timeout=20)
            reaper.join()
            self.assertIn(r.returncode, (0, 1), r.stderr)
            if r.returncode == 1:
                self.assertTrue(any(a in r.stderr for a in accepted), r.stderr)


class Restore(TargetTest):
    def test_sleep_keeps_its_time(self):
        # registers restored exactly: the interrupted clock_nanosleep restarts where it was
        t0 = time.monotonic()
        p = self.start_sleep(5)
        time.sleep(0.5)
        self.ok("attach", str(p.pid))
        self.ok("detach", str(p.pid))
        p.wait(timeout=10)
        elapsed = time.monotonic() - t0
        self.assertTrue(4.5 <= elapsed <= 7, f"sleep 5 took {elapsed:.2f} s")
        self.assertEqual(p.returncode, 0)

    def test_read_keeps_waiting(self):
        # registers restored exactly: a read on a pipe is restarted, not failed with EINTR
        p = self.start_py("import sys\nprint('ready', flush=True)\n"
                          "data = sys.stdin.read()\nprint('got', repr(data), flush=True)\n")
        self.ok("attach", str(p.pid))
        self.ok("detach", str(p.pid))
        time.sleep(0.2)
        self.assertIsNone(p.poll())
        out, _ = p.communicate("hello", timeout=10)
        self.assertEqual(out.strip(), "got 'hello'")

    def test_twice(self):
        p = self.start_sleep()
        r = self.ok("attach", str(p.pid))
        self.assertIn(f"scope: attached to {p.pid} (sleep)", r.stderr)
        session = SESSION_RE.findall(r.stderr)
        self.assertEqual(len(session), 1, r.stderr)
        for f in ("metrics.json", "events.json", "info.json"):
            self.assertTrue(os.path.exists(os.path.join(session[0], f)), f)
        r = self.ok("attach", str(p.pid))
        self.assertIn(f"{p.pid} (sleep) is already attached; metrics go to file://"
                      f"{session[0]}/metrics.json", r.stderr)
        self.ok("detach", str(p.pid))
        self.refused(self.scope("detach", str(p.pid)), "not attached", "loaded but detached")
        self.assertEqual(tracer(p.pid), 0)

    def test_reattach_without_second_dlopen(self):
        p = self.start_sleep()
        self.ok("attach", str(p.pid))
        maps = libscope_mappings(p.pid)
        self.assertTrue(maps)
        self.ok("detach", str(p.pid))
        r = self.ok("attach", "--verbose", str(p.pid))
        self.assertRegex(r.stderr, rf"scope: {p.pid} stopped for [0-9.]+ ms \(attach [0-9.]+ ms\)")
        self.assertEqual(libscope_mappings(p.pid), maps)
        r = self.ok("detach", "--verbose", str(p.pid))
        self.assertRegex(r.stderr, rf"scope: {p.pid} stopped for [0-9.]+ ms \(detach [0-9.]+ ms\)")

    def test_by_name_and_detach_all(self):
        name = "scopeatt_uniq"
        prog = os.path.join(self.dir, name)
        shutil.copy("/bin/sleep", prog)
        p = self.start([prog, "30"])
        wait_blocked(p.pid)
        r = self.ok("attach", "--verbose", name)
        self.assertRegex(r.stderr, rf"stopped for [0-9.]+ ms \(dlopen [0-9.]+ ms, attach [0-9.]+ ms\)")
        r = self.ok("detach", "--all")
        self.assertIn(f"detached from {p.pid} ({name})", r.stderr)
        self.refused(self.scope("detach", name), "not attached")


class Signals(TargetTest):
    CODE = """
import os, signal, sys
r, w = os.pipe()
os.set_blocking(w, False)
kinds = (signal.SIGUSR1, signal.SIGUSR2, signal.SIGRTMIN + 1)
for s in kinds:
    signal.signal(s, lambda *a: None)
signal.set_wakeup_fd(w, warn_on_full_buffer=False)   # one byte per delivery
print('ready', flush=True)
sys.stdin.readline()
os.set_blocking(r, False)
data = b''
try:
    while True:
        data += os.read(r, 65536)
except BlockingIOError:
    pass
print(' '.join(str(data.count(bytes([int(s)]))) for s in kinds), flush=True)
"""

    def test_signals_during_attach_arrive(self):
        # signals that arrive while we run calls in the target are re-delivered to it
        p = self.start_py(self.CODE)
        kinds = (signal.SIGUSR1, signal.SIGUSR2, signal.SIGRTMIN + 1)
        sent = [0, 0, 0]
        stop = threading.Event()

        def sender():
            while not stop.is_set():
                for i, s in enumerate(kinds):
                    os.kill(p.pid, s)
                    sent[i] += 1
                time.sleep(0.002)

        th = threading.Thread(target=sender)
        th.start()
        try:
            for _ in range(3):
                self.ok("attach", str(p.pid))
                self.ok("detach", str(p.pid))
        finally:
            stop.set()
            th.join()
        time.sleep(0.3)
        out, _ = p.communicate("\n", timeout=10)
        got = [int(x) for x in out.split()]
        # Real-time signals queue: each one must arrive.
        self.assertEqual(got[2], sent[2], f"sent {sent}, got {got}")
        for i in (0, 1):
            self.assertTrue(1 <= got[i] <= sent[i], f"sent {sent}, got {got}")


class Observe(TargetTest):
    WRITER = """
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
print('ready', flush=True)
for _ in range(400):
    os.write(fd, b'x' * 100)
    time.sleep(0.05)
"""

    def writer(self, path, prefix=()):
        p = self.start([*prefix, PYTHON, "-c", self.WRITER, path],
                       stdout=subprocess.PIPE, text=True)
        self.assertEqual(p.stdout.readline().strip(), "ready")
        wait_blocked(p.pid)
        return p

    def wait_write_metric(self, metrics, path):
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            lines = read_ndjson(metrics) if os.path.exists(metrics) else []
            if any(b.get("file") == path for b in metrics_named(lines, "fs.write")):
                return
            time.sleep(0.1)
        self.fail(f"no fs.write for {path} in {metrics} within 3 s")

    def test_file_opened_before_attach(self):
        path = os.path.join(self.dir, "out.txt")
        p = self.writer(path)
        env = dict(self.env, SCOPE_SUMMARY_PERIOD="1")
        r = self.ok("attach", "-v", "9", str(p.pid), env=env)
        session = SESSION_RE.findall(r.stderr)[0]
        self.wait_write_metric(os.path.join(session, "metrics.json"), path)
        self.ok("detach", str(p.pid))

    def test_session_of_another_user(self):
        # root attaching to a process of nobody: the session must be reachable
        # by nobody, and listed in our history through a symlink.
        shared = tempfile.mkdtemp(prefix="scope-att-nobody-")
        self.addCleanup(shutil.rmtree, shared, True)
        os.chmod(shared, 0o777)
        path = os.path.join(shared, "out.txt")
        p = self.writer(path, prefix=NOBODY)
        env = dict(self.env, SCOPE_SUMMARY_PERIOD="1")
        r = self.ok("attach", "-v", "9", str(p.pid), env=env)
        session = SESSION_RE.findall(r.stderr)[0]
        self.addCleanup(shutil.rmtree, session, True)
        self.assertRegex(session, r"^(/run|/var/tmp)/scope/python3_\d+_\d+_\d+$")
        parent = os.stat(os.path.dirname(session))
        self.assertEqual((parent.st_uid, parent.st_mode & 0o7777), (0, 0o711))
        st = os.stat(session)
        self.assertEqual((st.st_uid, st.st_gid, st.st_mode & 0o7777), (65534, 65534, 0o700))
        st = os.stat(os.path.join(session, "metrics.json"))
        self.assertEqual((st.st_uid, st.st_mode & 0o7777), (65534, 0o600))
        link = os.path.join(self.env["SCOPE_HOME"], "history", os.path.basename(session))
        self.assertEqual(os.readlink(link), session)
        self.wait_write_metric(os.path.join(session, "metrics.json"), path)
        self.ok("detach", str(p.pid))
        self.assertIn("fs.write", self.ok("metrics").stdout)


if __name__ == "__main__":
    unittest.main()
