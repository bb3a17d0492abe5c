"""test_container_bad.py: the bad cases of attaching into a container give
a clear error or a working attach, never a harmed target:

  - the container exits while scope attaches (killed at moments spread
    over the attach): scope says so, exits 1, never crashes nor hangs;
  - a read-only root filesystem (podman --read-only): scope writes
    nothing there, so the attach works as anywhere;
  - a user namespace where scope's uid (root) maps to nobody and the
    process runs as an unprivileged host uid: the attach works;
  - the same user attaching to its own process in a user and mount
    namespace it made, without root: the attach works.

Each TestCase class is one ctest.
"""
import json
import os
import shutil
import signal
import threading
import unittest

from ctrtest import WORKER, BareNamespaceAttach, PodmanAttach
from scopetest import metrics_named, unprivileged_scope

OWNER = 65533
UNPRIVILEGED = ["setpriv", f"--reuid={OWNER}", f"--regid={OWNER}", "--clear-groups"]


class ExitsMidAttach(BareNamespaceAttach):
    def test_killed_during_attach(self):
        accepted = ("exited during attach", "no process with PID", "zombie", "exiting")
        outcomes = set()
        # scope takes ~10 ms to stop it, and keeps it stopped for ~5
        for delay in (0.002, 0.005, 0.008, 0.011, 0.014, 0.017, 0.02, 0.03, 0.05):
            p, pid = self.start_worker()
            killer = threading.Timer(delay, os.kill, (pid, signal.SIGKILL))
            killer.start()
            r = self.scope("attach", "-m", "file://" + self.metrics, "-e",
                           "file://" + self.events, str(pid), check=None, timeout=30)
            killer.join()
            p.wait(timeout=30)
            self.assertIn(r.returncode, (0, 1), f"delay {delay}: {r.stderr}")
            outcomes.add(r.returncode)
            if r.returncode == 1:
                self.assertTrue(any(a in r.stderr for a in accepted),
                                f"delay {delay}: {r.stderr}")
            self.assertNotIn("scope: session", r.stderr if r.returncode else "")


class FullDescriptorTable(BareNamespaceAttach):
    """Room for the pair scope receives over but not for all it hands:
    a clear error, and not one number left in the program's table."""
    chroot_prefix = "prlimit --nofile=6"

    def test_refused_and_untouched(self):
        p, pid = self.start_worker()
        fds = self.fds(pid)
        r = self.scope("attach", "-m", "file://" + self.metrics, "-e", "file://" + self.events,
                       str(pid), check=1)
        self.assertIn("descriptor", r.stderr)
        self.assertEqual(self.fds(pid), fds)
        self.io(p)
        self.quit(p)


class UserNamespace(BareNamespaceAttach):
    """Its own user namespace, made by an unprivileged user: its root is
    host uid 65533, and host root (scope) is nobody there."""

    def start_worker(self):
        os.chmod(self.dir, 0o755)
        inner = (f"ip link set lo up && mount -t proc proc {self.root}/proc && "
                 f"exec chroot {self.root} /bin/ctr_worker")
        p = self.started([*UNPRIVILEGED, "unshare", "--user", "--map-root-user", "--mount",
                          "--pid", "--net", "--fork", "sh", "-c", inner])
        return p, self.child_pid(p.pid)

    def test_root_is_nobody_there(self):
        p, pid = self.start_worker()
        with open(f"/proc/{pid}/uid_map") as f:
            self.assertEqual(f.read().split(), ["0", "65533", "1"])
        self.cycle(p, pid)


class OwnedUserNamespace(BareNamespaceAttach):
    """An unprivileged user attaching to its own process in a user and
    mount namespace it made: ptrace is allowed (the owner holds
    CAP_SYS_PTRACE there) but /proc/PID/map_files is not (CAP_SYS_ADMIN),
    so scope finds the handed library's functions in the process's memory.
    Every scope command runs as that user, from a copy it can reach; the
    worker has a /tmp of its own (a directory of the test's bound there,
    holding the worker), which must hold nothing of ours afterwards."""
    io_in_tree = "ctr-io.txt"

    def setUp(self):
        super().setUp()
        os.chmod(self.dir, 0o755)
        self.tmp = os.path.join(self.dir, "tmp")
        os.mkdir(self.tmp)
        shutil.copy2(WORKER, os.path.join(self.tmp, "ctr_worker"))
        for d in (self.dir, self.tmp):
            os.chown(d, OWNER, OWNER)
        self.env["HOME"] = self.dir
        self.scope_command = [*UNPRIVILEGED, "env", "--chdir=/", unprivileged_scope()]

    def start_worker(self):
        inner = f"mount --bind {self.tmp} /tmp && exec /tmp/ctr_worker"
        p = self.started([*UNPRIVILEGED, "unshare", "--user", "--map-root-user", "--mount",
                          "--fork", "sh", "-c", inner], cwd="/")
        return p, self.child_pid(p.pid)

    def worker_root(self, pid):
        return self.tmp

    def assert_listed(self, pid, *_):
        """`scope ps` and `scope inspect`, run by the owner, read libscope's
        status in it: attached, with slots hooked."""
        rows = [r for r in json.loads(self.scope("ps", "--json").stdout)["processes"]
                if r["pid"] == pid]
        self.assertEqual([r["state"] for r in rows], ["attached"], rows)
        self.assertGreater(rows[0]["patched_slots"], 0, rows)
        doc = json.loads(self.scope("inspect", "--json", str(pid)).stdout)
        self.assertEqual(doc["libscope"]["state"], "attached", doc["libscope"])
        self.assertEqual(doc["libscope"]["patched_slots"], rows[0]["patched_slots"])
        self.assertGreater(doc["summary"]["hooked"], 0, doc["summary"])
        # the wrappers' names are in the file only, which the owner cannot open
        hooked = {s["points_to"] for o in doc["objects"] for s in o["slots"]
                  if s["state"] == "hooked"}
        self.assertEqual(hooked, {"libscope"}, hooked)

    def test_owner_attaches(self):
        p, pid = self.start_worker()
        with open(f"/proc/{pid}/uid_map") as f:
            self.assertEqual(f.read().split(), ["0", str(OWNER), "1"])
        self.assertNotEqual(os.readlink(f"/proc/{pid}/ns/mnt"), os.readlink("/proc/self/ns/mnt"))
        lines = self.cycle(p, pid, listed=(pid, None))
        self.assertTrue(metrics_named(lines, "fs.write"))


class ReadOnlyRoot(PodmanAttach):
    def test_read_only_root(self):
        p, pid = self.start_worker(extra=["--read-only"])
        with open(f"/proc/{pid}/mountinfo") as f:
            root = next(l.split() for l in f if l.split()[4] == "/")
        self.assertIn("ro", root[5].split(","), root)
        self.cycle(p, pid)


if __name__ == "__main__":
    unittest.main()
