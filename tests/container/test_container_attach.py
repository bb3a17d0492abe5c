"""test_container_attach.py: `scope attach PID` (the host's PID) into a
process in other namespaces works as for any other: exact counts, detach
puts every slot back, nothing of ours is left in its filesystem, it exits
0. In bare namespaces (unshare + chroot) and in a real podman container;
with file:// destinations (host paths) and with the default session
directory (on the host, read with `scope metrics`).

Each TestCase class is one ctest.
"""
import os
import shutil
import subprocess
import tempfile
import unittest

from ctrtest import WORKER, BareNamespaceAttach, PodmanAttach, install
from scopetest import LIB, SCOPE, metrics_named, read_ndjson


class Namespaces(BareNamespaceAttach):
    def test_file_destinations_are_host_paths(self):
        p, pid = self.start_worker()
        lines = self.cycle(p, pid, listed=(1, None))
        # its own pid namespace: it is 1 there; no container runtime's cgroup
        self.assert_pids(lines + read_ndjson(self.events), pid, 1)
        self.assert_schema_valid(self.metrics, self.events)

    def test_default_destination_is_a_host_session(self):
        p, pid = self.start_worker()
        self.cycle(p, pid, attach_args=[])

    def test_a_destination_naming_a_program_fd_leaves_it_open(self):
        # -e file://fd/2: the program's own stderr, not a number scope
        # handed: the library writes to a copy and must not close it
        p, pid = self.start_worker()
        err = os.readlink(f"/proc/{pid}/fd/2")
        self.scope("attach", "-v", "9", "--metricformat", "ndjson", "-p", "1",
                   "-m", "file://" + self.metrics, "-e", "file://fd/2", str(pid))
        self.io(p)
        self.wait_exact(self.metrics)
        self.assertEqual(os.readlink(f"/proc/{pid}/fd/2"), err, "the program's stderr")
        self.detach(pid)
        self.assertEqual(os.readlink(f"/proc/{pid}/fd/2"), err, "the program's stderr")
        self.quit(p)

    def test_attach_again_after_detach(self):
        # the library is loaded already: only the destinations go in
        p, pid = self.start_worker()
        self.attach(pid)
        self.io(p)
        self.wait_exact(self.metrics)
        self.detach(pid)
        fds = sorted(os.listdir(f"/proc/{pid}/fd"))
        os.rename(self.metrics, self.metrics + ".first")
        self.attach(pid)
        self.io(p)
        self.io(p)
        self.wait_exact(self.metrics, times=2)
        self.detach(pid)
        self.assertEqual(sorted(os.listdir(f"/proc/{pid}/fd")), fds, "descriptors left")
        self.quit(p)


class Chroot(BareNamespaceAttach):
    """A plain chroot in our own mount namespace: the kernel shows its
    objects by their full host path (/.../rootfs/lib/...), which must not
    be prefixed with /proc/PID/root again. And a container whose libc is
    bind-mounted from the host: maps names it by a path of neither."""

    def test_chroot(self):
        self.proc = os.path.join(self.root, "proc")
        subprocess.run(["mount", "-t", "proc", "proc", self.proc], check=True)
        p = self.started(["chroot", self.root, "/bin/ctr_worker"])
        self.cycle(p, p.pid)

    def tearDown(self):
        # before the test's directory goes (cleanups run after tearDown)
        if getattr(self, "proc", None):
            subprocess.run(["umount", "-l", self.proc], check=True)
        super().tearDown()

    def test_libc_bind_mounted_from_the_host(self):
        libc = next(os.path.join(d, f) for d, _, fs in os.walk(self.root) for f in fs
                    if f.startswith("libc.so"))
        host_libc = "/" + os.path.relpath(libc, self.root)
        inner = (f"mount --bind {host_libc} {libc} && ip link set lo up && "
                 f"mount -t proc proc {self.root}/proc && exec chroot {self.root} /bin/ctr_worker")
        p = self.started(["unshare", "--mount", "--pid", "--net", "--fork",
                          "--propagation", "private", "sh", "-c", inner])
        self.cycle(p, self.child_pid(p.pid))


class PrivateTmp(BareNamespaceAttach):
    """systemd's PrivateTmp: the host's root, but a mount namespace of its
    own with a tmpfs on /tmp, which hides the library scope would load
    (SCOPE_LIB_PATH under /tmp) and the destinations (the test's dir is
    under /tmp). It gets both as descriptors."""

    def test_hidden_library_and_destinations(self):
        hidden = tempfile.mkdtemp(prefix="scope-ctr-lib-")
        self.addCleanup(shutil.rmtree, hidden, True)
        os.chmod(hidden, 0o755)
        lib = os.path.join(hidden, "libscope.so")
        shutil.copy(LIB, lib)
        self.env["SCOPE_LIB_PATH"] = lib
        # The worker itself must stay visible: a build under /tmp (a clone
        # made with mktemp) would be hidden by the tmpfs with the rest.
        outside = tempfile.mkdtemp(prefix="scope-ctr-worker-", dir="/var/tmp")
        self.addCleanup(shutil.rmtree, outside, True)
        os.chmod(outside, 0o755)
        worker = os.path.join(outside, "ctr_worker")
        shutil.copy(WORKER, worker)
        p = self.started(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                          f"mount -t tmpfs tmpfs /tmp && exec {worker}"])
        pid = self.child_pid(p.pid) if self.comm(p.pid) != "ctr_worker" else p.pid
        self.cycle(p, pid)

    def comm(self, pid):
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()

    def worker_root(self, pid):
        return f"/proc/{pid}/root/tmp"
    io_in_tree = "ctr-io.txt"


class RunInside(BareNamespaceAttach):
    """An image with scope installed (/opt/scope/bin and lib): `scope run`
    inside the container, by the container's own paths, works as on the
    host."""

    def test_scope_run_in_the_container(self):
        install(self.root, SCOPE, "/opt/scope/bin/scope")
        install(self.root, LIB, "/opt/scope/lib/libscope.so")
        inner = (f"ip link set lo up && mount -t proc proc {self.root}/proc && "
                 f"exec chroot {self.root} /opt/scope/bin/scope run -v 9 --metricformat ndjson "
                 "-p 1 -m file:///tmp/m.json -e file:///tmp/e.json -- /bin/ctr_worker")
        p = self.started(["unshare", "--mount", "--pid", "--net", "--fork", "--propagation",
                          "private", "env", "-i", "SCOPE_HOME=/tmp/home", "sh", "-c", inner])
        self.io(p)
        lines = self.wait_exact(os.path.join(self.root, "tmp", "m.json"))
        self.quit(p)
        # its pid there; the host's is nobody's business inside
        bodies = metrics_named(lines, "fs.write")
        self.assertTrue(all(b["pid"] < 10 and "host_pid" not in b for b in bodies), bodies)


class Podman(PodmanAttach):
    def test_file_destinations_are_host_paths(self):
        p, pid = self.start_worker()
        cid = self.container_id(p)
        lines = self.cycle(p, pid, listed=(1, cid))
        self.assert_pids(lines + read_ndjson(self.events), pid, 1, cid)
        self.assert_schema_valid(self.metrics, self.events)

    def test_default_destination_is_a_host_session(self):
        p, pid = self.start_worker()
        self.cycle(p, pid, attach_args=[])


if __name__ == "__main__":
    unittest.main()
