"""ctrtest.py: what the container tests share.

A root filesystem built here (ctr_worker and the libraries it loads, as
ldd lists them; empty /tmp and /proc), the worker started in it either in
bare namespaces (unshare --mount --pid --net --fork, proc mounted, chroot)
or in a podman container made from it (podman import), and the attach /
I/O / detach cycle every test checks:

  - the counts are exact (3000 bytes written and read in /tmp/ctr-io.txt,
    1000 sent and received on the container's loopback);
  - detach puts every GOT slot back (`scope inspect --json`);
  - the container's filesystem holds nothing of ours afterwards (every
    path under /proc/PID/root but /proc, before and after);
  - the worker exits 0.
"""
import json
import os
import shutil
import subprocess
import time
import unittest
import uuid

from scopetest import BUILD, AttachTest, metric_sum, metrics_named, read_ndjson

WORKER = os.environ.get("SCOPE_TEST_CTR_WORKER",
                        os.path.join(BUILD, "tests", "container", "ctr_worker"))
IO_FILE = "/tmp/ctr-io.txt"
PODMAN = shutil.which("podman")
# runc, cgroupfs: crun and --cgroups=disabled fail on some kernels' cgroup
# layouts; the ulimits keep podman from raising them past what runc may set.
PODMAN_GLOBAL = ["--runtime", "runc", "--cgroup-manager=cgroupfs"]
PODMAN_RUN = ["run", "--rm", "-i", "--network", "none", "--ulimit", "nofile=1024:1024",
              "--ulimit", "nproc=1024:1024"]


def install(root, program, at):
    """program copied to root/at, with the libraries ldd lists at their
    paths."""
    dst = os.path.join(root, at.lstrip("/"))
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copy2(program, dst)
    out = subprocess.run(["ldd", program], capture_output=True, text=True, check=True).stdout
    for word in out.split():
        if word.startswith("/") and os.path.exists(word):
            dst = os.path.join(root, word.lstrip("/"))
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(word, dst)


def build_rootfs(root):
    """root/: the worker at /bin/ctr_worker, its libraries at their paths."""
    for d in ("bin", "tmp", "proc"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    os.chmod(os.path.join(root, "tmp"), 0o1777)
    install(root, WORKER, "/bin/ctr_worker")


def tree_of(root):
    """Every path under root (relative), /proc left out, no symlink
    followed."""
    found = set()
    for d, dirs, files in os.walk(root):
        rel = os.path.relpath(d, root)
        if rel == "proc":
            dirs[:] = []
            continue
        for name in dirs + files:
            found.add(os.path.normpath(os.path.join(rel, name)))
    return found


class ContainerAttach(AttachTest):
    """AttachTest on a ctr_worker in a container; subclasses start it
    (start_worker: the Popen and the host PID)."""

    def setUp(self):
        super().setUp()
        self.assertTrue(os.access(WORKER, os.X_OK), f"no worker at {WORKER}")
        self.root = os.path.join(self.dir, "rootfs")
        self.build_root()

    program = "/bin/ctr_worker"     # what start_worker runs there

    def build_root(self):
        """The root filesystem the worker runs in, at self.root."""
        build_rootfs(self.root)

    def worker_root(self, pid):
        """The part of its filesystem that must hold nothing of ours."""
        return f"/proc/{pid}/root"
    io_in_tree = "tmp/ctr-io.txt"   # IO_FILE there
    moving = frozenset()            # paths a test's own container moves about

    def io(self, p):
        self.assertEqual(self.ask(p, "io"), "done")

    def wait_exact(self, metrics, times=1):
        """The counts of `times` io requests, exactly, in metrics."""
        want = {"fs.write": 3000 * times, "fs.read": 3000 * times}

        def counted():
            if not os.path.exists(metrics):
                return False
            lines = read_ndjson(metrics)
            got = {n: metric_sum(lines, n, file=IO_FILE) for n in want}
            net = {n: metric_sum(lines, n, proto="TCP") for n in ("net.tx", "net.rx")}
            return got == want and net == {"net.tx": 1000 * times, "net.rx": 1000 * times}
        self.wait_for(counted, 10, f"exact counts of {times} io in {metrics}")
        lines = read_ndjson(metrics)
        self.assertEqual(metric_sum(lines, "fs.write", "numops", file=IO_FILE), 3 * times)
        self.assertEqual(metric_sum(lines, "fs.read", "numops", file=IO_FILE), 3 * times)
        return lines

    def cycle(self, p, pid, attach_args=None, listed=None):
        """attach, io, exact counts, (`scope ps` lists it as listed: its
        pid inside and its container's id), detach, slots as before, nothing
        of ours left in the container's filesystem, the worker exits 0. The
        metrics lines."""
        before = self.slots(pid)
        # inspect reads its objects however their names look from here
        self.assertTrue(any(path.endswith("/ctr_worker") for path, _ in before), before)
        tree = tree_of(self.worker_root(pid))
        fds = self.fds(pid)
        args = (["-m", "file://" + self.metrics, "-e", "file://" + self.events]
                if attach_args is None else attach_args)
        r = self.scope("attach", "-v", "9", "--metricformat", "ndjson", "-p", "1", *args,
                       str(pid))
        self.io(p)
        if attach_args is None:
            metrics, events = self.metrics, self.events
        else:
            metrics = self.session_metrics(r)
            events = os.path.join(os.path.dirname(metrics), "events.json")
        lines = self.wait_exact(metrics)
        # every number handed over closed again; the library's own copies
        # of the destinations, high in the program's table (its children
        # inherit them), and of the host's pid namespace (theirs have host
        # pids)
        now = self.fds(pid)
        self.assertEqual({fd: now[fd] for fd in fds}, fds)
        extra = {now[fd] for fd in set(now) - set(fds)}
        self.assertTrue(extra <= {os.path.realpath(metrics), os.path.realpath(events),
                                  os.readlink("/proc/self/ns/pid")},
                        f"descriptors left in the program's table: {extra}")
        if listed:
            self.assert_listed(pid, *listed)
        self.detach(pid)
        self.assertEqual(self.fds(pid), fds, "descriptors left after detach")
        self.after_detach()
        self.assert_got_as_before(before, self.slots(pid), "after detach")
        self.assertEqual(tree_of(self.worker_root(pid)) - {self.io_in_tree} - self.moving,
                         tree - self.moving,
                         "the container's filesystem changed")
        self.quit(p)
        return lines

    def assert_pids(self, lines, pid, inner, container_id=None):
        """Every metric and event line of the process carries its pid as
        the container sees it, the host's, and the container's id."""
        bodies = [l["body"] for l in lines if l.get("type") in ("metric", "evt")
                  and "pid" in l["body"]]
        self.assertTrue(bodies)
        for b in bodies:
            self.assertEqual(b["pid"], inner, b)
            if inner != pid:
                self.assertEqual(b.get("host_pid"), pid, b)
            else:
                self.assertNotIn("host_pid", b)
            self.assertEqual(b.get("container_id"), container_id, b)
        self.assertTrue(metrics_named(lines, "fs.write"))

    def assert_listed(self, pid, inner, container_id):
        """`scope ps` shows it with both pids (and the container's id)."""
        rows = [r for r in json.loads(self.scope("ps", "--json").stdout)["processes"]
                if r["pid"] == pid]
        self.assertEqual(len(rows), 1, rows)
        self.assertEqual((rows[0].get("ns_pid"), rows[0].get("container_id"), rows[0]["state"]),
                         (inner, container_id, "attached"))
        table = self.scope("ps").stdout.splitlines()
        self.assertEqual(table[0].split()[:4], ["PID", "NSPID", "CONTAINER", "COMMAND"])
        row = [l.split() for l in table[1:] if l.split()[0] == str(pid)]
        self.assertEqual(row[0][1:4], [str(inner), (container_id or "-")[:12], "ctr_worker"])

    def fds(self, pid):
        return {fd: os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}

    def after_detach(self):
        """What a test does once detached, before its filesystem is
        compared."""

    def session_metrics(self, r):
        return os.path.join(self.session_of(r), "metrics.json")

    def quit(self, p):
        p.stdin.write("quit\n")
        p.stdin.flush()
        self.assertEqual(p.wait(timeout=30), 0, "the worker did not exit 0")


class BareNamespaceAttach(ContainerAttach):
    """The worker in new mount, pid and network namespaces (loopback up,
    proc mounted for it), chrooted into the test's root filesystem; under
    chroot_prefix (a command that execs the rest) if one is set."""
    chroot_prefix = ""

    def start_worker(self):
        inner = (f"ip link set lo up && mount -t proc proc {self.root}/proc && "
                 f"exec {self.chroot_prefix} chroot {self.root} /bin/ctr_worker")
        p = self.started(["unshare", "--mount", "--pid", "--net", "--fork",
                          "--propagation", "private", "sh", "-c", inner])
        return p, self.child_pid(p.pid)

    def child_pid(self, unshare_pid):
        """The worker: the process under unshare whose exe is ctr_worker."""
        def found():
            for name in os.listdir("/proc"):
                if not name.isdigit():
                    continue
                try:
                    with open(f"/proc/{name}/stat") as f:
                        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                    with open(f"/proc/{name}/comm") as f:
                        comm = f.read().strip()
                except (OSError, ValueError, IndexError):
                    continue
                if comm == "ctr_worker" and ppid == unshare_pid:
                    return int(name)
            return None
        return self.wait_for(found, 5, "the worker under unshare")


class PodmanAttach(ContainerAttach):
    """The worker in a podman container (runc, cgroupfs) made from the
    test's root filesystem, under podman's default seccomp profile (a
    filter that fails calls it denies with an errno, and kills only calls
    of other architectures); skipped when podman is missing."""
    image = None

    @classmethod
    def setUpClass(cls):
        if not PODMAN:
            raise unittest.SkipTest("podman is not installed (scripts/deps.sh installs it)")

    def setUp(self):
        super().setUp()
        tar = os.path.join(self.dir, "rootfs.tar")
        subprocess.run(["tar", "-C", self.root, "-cf", tar, "."], check=True)
        self.image = f"localhost/scope-test-{uuid.uuid4().hex[:12]}:1"
        subprocess.run(["podman", *PODMAN_GLOBAL, "import", tar, self.image], check=True,
                       capture_output=True, timeout=120)
        self.addCleanup(subprocess.run, ["podman", *PODMAN_GLOBAL, "rmi", "-f", self.image],
                        capture_output=True, timeout=120)

    def container_id(self, p):
        return self.names[p.pid][1]

    def start_worker(self, extra=()):
        name = "scope-test-" + uuid.uuid4().hex[:12]
        p = self.started(["podman", *PODMAN_GLOBAL, *PODMAN_RUN,
                          "--name", name, *extra, self.image, self.program],
                         stderr=subprocess.DEVNULL)
        self.addCleanup(subprocess.run, ["podman", *PODMAN_GLOBAL, "rm", "-f", "-t", "0", name],
                        capture_output=True, timeout=120)
        pid, cid = subprocess.run(["podman", *PODMAN_GLOBAL, "inspect", "--format",
                                   "{{.State.Pid}} {{.Id}}", name], capture_output=True,
                                  text=True, check=True, timeout=60).stdout.split()
        self.names = getattr(self, "names", {})
        self.names[p.pid] = (name, cid)
        return p, int(pid)

    def wait_until_gone(self, pid):
        deadline = time.monotonic() + 30
        while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
            time.sleep(0.05)
