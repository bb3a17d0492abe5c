"""scope attach never harms the thread it stops, and finds one to stop
where a process waits for a signal: no write cut short, no process under
seccomp killed, sigsuspend and sigwait taken, a process whose main thread
exited attached through another. Each TestCase class is one
ctest; the programs are the small C fixtures of this directory.
"""
import os
import signal
import subprocess
import time
import unittest

from scopetest import SCOPE, AttachTest, ScopeTest, ps_table

FIXTURES = os.environ.get("SCOPE_TEST_FIXTURES", "")
NOWHERE = ["-m", "file:///dev/null", "-e", "file:///dev/null"]


def fixture(name):
    return os.path.join(FIXTURES, name)


class Target:
    """A fixture started with its stdout piped; waits for its first line."""

    def __init__(self, *argv, stdin=None):
        self.p = subprocess.Popen(list(argv), stdin=stdin, stdout=subprocess.PIPE, text=True)
        self.first = self.p.stdout.readline().strip()

    def syscall(self):
        with open(f"/proc/{self.p.pid}/syscall") as f:
            return f.read().split()[0]

    def wait_in(self, nr, timeout=5):
        end = time.monotonic() + timeout
        while self.syscall() != str(nr):
            if time.monotonic() > end:
                raise AssertionError(f"never blocked in system call {nr}: {self.syscall()}")
            time.sleep(0.02)

    def finish(self, timeout=30):
        out = self.p.stdout.read()
        return self.p.wait(timeout=timeout), out

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()
        self.p.stdout.close()


class SafeTest(ScopeTest):
    def setUp(self):
        super().setUp()
        self.assertTrue(os.path.isdir(FIXTURES), FIXTURES)

    def start(self, *argv, **kw):
        t = Target(*argv, **kw)
        self.addCleanup(t.kill)
        return t

    def attach(self, pid):
        return subprocess.run([SCOPE, "attach", *NOWHERE, str(pid)], env=self.env,
                              capture_output=True, text=True, timeout=60)

    def detach(self, pid):
        return subprocess.run([SCOPE, "detach", str(pid)], env=self.env,
                              capture_output=True, text=True, timeout=60)


class PartialWrite(SafeTest):
    """A 64 KiB pipe write blocked with one page written: stopping its
    thread would make it return 4096. scope leaves that thread alone: it
    says so when no other thread is at a safe point, and stops another one
    when there is."""

    def attach_during_the_write(self, *args):
        t = self.start(fixture("partial_writer"), *args)
        self.assertEqual(t.first, "writing")
        t.wait_in(1)   # write
        r = self.attach(t.p.pid)
        rc, out = t.finish()
        self.assertEqual((rc, out.strip()), (0, "wrote 65536"), r.stderr)
        return r

    def test_single_thread_is_refused_and_the_write_is_whole(self):
        r = self.attach_during_the_write()
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("blocked in write, which a stop would cut short", r.stderr)

    def test_another_thread_is_stopped_and_the_write_is_whole(self):
        r = self.attach_during_the_write("thread")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("scope: attached to", r.stderr)


class Seccomp(SafeTest):
    """A process under a seccomp filter that kills on mmap, or in strict
    mode, was killed by scope attach; it is refused and lives on."""

    def test_filter_is_refused_and_the_process_lives(self):
        t = self.start(fixture("seccomp_sleeper"), "filter")
        self.assertEqual(t.first, "ready")
        r = self.attach(t.p.pid)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("seccomp filter", r.stderr)
        self.assertNotIn("exited during attach", r.stderr)
        time.sleep(0.2)
        self.assertIsNone(t.p.poll(), "the process died")
        t.p.terminate()
        self.assertEqual(t.p.wait(timeout=10), -signal.SIGTERM)

    def test_strict_mode_is_refused_and_the_process_lives(self):
        t = self.start(fixture("seccomp_sleeper"), "strict", stdin=subprocess.PIPE)
        self.assertEqual(t.first, "ready")
        r = self.attach(t.p.pid)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("seccomp strict mode", r.stderr)
        self.assertIsNone(t.p.poll(), "the process died")
        t.p.stdin.write("x")
        t.p.stdin.close()
        self.assertEqual(t.finish()[0], 0)


class SignalWait(SafeTest):
    """A process whose only thread waits for a signal (sigsuspend, sigwait;
    `timeout` waits in sigsuspend) was refused; it is attached through that
    thread and detached (its GOT as before), and then gets its signal with
    its mask as it set it."""

    def attach_detach_signal(self, mode, nr):
        t = self.start(fixture("signal_waiter"), mode)
        self.assertEqual(t.first, "waiting")
        t.wait_in(nr)
        before = AttachTest.slots(self, t.p.pid)
        r = self.attach(t.p.pid)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.detach(t.p.pid)
        self.assertEqual(r.returncode, 0, r.stderr)
        AttachTest.assert_got_as_before(self, before, AttachTest.slots(self, t.p.pid), "after detach")
        t.p.send_signal(signal.SIGUSR1)
        rc, out = t.finish()
        self.assertEqual((rc, out.strip()), (0, "mask kept"))

    def test_sigsuspend(self):
        self.attach_detach_signal("suspend", 130)     # rt_sigsuspend

    def test_sigwait(self):
        self.attach_detach_signal("sigwait", 128)     # rt_sigtimedwait

    def test_timeout(self):
        p = subprocess.Popen(["timeout", "3", "sleep", "60"])
        self.addCleanup(lambda: p.poll() is None and (p.kill(), p.wait()))
        time.sleep(0.3)
        r = self.attach(p.pid)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.detach(p.pid)
        self.assertEqual(r.returncode, 0, r.stderr)
        # It still ends its command on time, with its own status.
        self.assertEqual(p.wait(timeout=10), 124)


class LeaderExited(SafeTest):
    """A process whose main thread called pthread_exit (state Z, another
    thread alive) was refused as a zombie; it is attached through the live
    thread, shown by ps, inspected (through a live thread too: its GOT as
    before after detach), detached, and exits 0 on its own."""

    @staticmethod
    def state(pid):
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]

    def test_attached_through_a_live_thread(self):
        t = self.start(fixture("leader_exited"))
        self.assertEqual(t.first, "ready")
        end = time.monotonic() + 5
        while self.state(t.p.pid) != "Z":
            self.assertLess(time.monotonic(), end, "the main thread never exited")
            time.sleep(0.02)
        before = AttachTest.slots(self, t.p.pid)
        self.assertTrue(before, "no slots inspected")
        r = self.attach(t.p.pid)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"scope: attached to {t.p.pid}", r.stderr)
        ps = subprocess.run([SCOPE, "ps"], env=self.env, capture_output=True, text=True,
                            timeout=30).stdout
        row = ps_table(ps).get(t.p.pid, {})
        self.assertEqual((row.get("COMMAND"), row.get("STATE")), ("leader_exited", "attached"), ps)
        r = self.detach(t.p.pid)
        self.assertEqual(r.returncode, 0, r.stderr)
        AttachTest.assert_got_as_before(self, before, AttachTest.slots(self, t.p.pid), "after detach")
        t.p.send_signal(signal.SIGUSR1)
        self.assertEqual(t.finish()[0], 0)


if __name__ == "__main__":
    unittest.main()
