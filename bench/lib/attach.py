"""bench/lib/attach.py: bench/run's attach section.

How long `scope attach` and `scope detach` keep a target (bench/threads.c,
also inside a container) stopped, the time to its first metric line, and
the resident memory libscope adds, for a few thread counts.
"""
import atexit
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time

from common import Unavailable, progress, wait_until, plain_env, Row, Section, measure_cell


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def stopped_ms(verbose_output):
    """The stop time `scope attach/detach --verbose` reports, from its line
    "scope: PID stopped for 1.2 ms (phases...)"."""
    scale = {"ns": 1e-6, "us": 1e-3, "µs": 1e-3, "ms": 1.0, "s": 1000.0}
    m = re.search(r"stopped for (\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s)\b", verbose_output)
    if not m:
        raise Unavailable("n/a (no 'stopped for' time in --verbose output)")
    return float(m.group(1)) * scale[m.group(2)]


def first_line_written(path):
    try:
        with open(path, "rb") as f:
            return b"\n" in f.read(65536)
    except FileNotFoundError:
        return False


class ThreadsTarget:
    def __init__(self, settings, n):
        self.p = subprocess.Popen([settings.threads, str(n)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, env=plain_env())
        self.pid = int(self.p.stdout.readline().split()[1])

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=30)


class ContainedThreadsTarget(ThreadsTarget):
    """`threads N` in a container: new mount and pid namespaces (unshare),
    chrooted into a root filesystem holding only it, its libraries and
    /dev/null; scope attaches to it by the host's pid, handing it the
    library and the destinations as descriptors."""
    root = None

    @classmethod
    def rootfs(cls, settings):
        if cls.root:
            return cls.root
        if not shutil.which("unshare"):
            raise Unavailable("n/a (no unshare)")
        cls.root = tempfile.mkdtemp(prefix="scope-bench-root-")
        atexit.register(shutil.rmtree, cls.root, True)
        for d in ("bin", "proc", "dev"):
            os.makedirs(os.path.join(cls.root, d))
        open(os.path.join(cls.root, "dev", "null"), "w").close()
        shutil.copy2(settings.threads, os.path.join(cls.root, "bin", "threads"))
        ldd = subprocess.run(["ldd", settings.threads], capture_output=True, text=True).stdout
        for word in ldd.split():
            if word.startswith("/") and os.path.exists(word):
                dst = os.path.join(cls.root, word.lstrip("/"))
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copy2(word, dst)
        return cls.root

    def __init__(self, settings, n):
        root = self.rootfs(settings)
        inner = (f"mount --bind /dev/null {root}/dev/null && mount -t proc proc {root}/proc "
                 f"&& exec chroot {root} /bin/threads {n}")
        self.p = subprocess.Popen(["unshare", "--mount", "--pid", "--fork", "--propagation",
                                   "private", "sh", "-c", inner], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, env=plain_env())
        if not self.p.stdout.readline().startswith("ready"):
            raise Unavailable("n/a (threads did not start in a container)")
        self.pid = next(int(t) for t in os.listdir("/proc") if t.isdigit()
                        and proc_parent(int(t)) == self.p.pid)


class ForkedThreadsTarget(ThreadsTarget):
    """`threads N` on the host started the way the container's is, as the
    child of `unshare --fork` (with no new namespace) rather than of the
    harness: the stop times of the two depend on that (a target whose
    parent is not the harness lands in the slow mode of the ptrace stops
    far more often), so this is the host figure the container's compares
    with."""

    def __init__(self, settings, n):
        if not shutil.which("unshare"):
            raise Unavailable("n/a (no unshare)")
        self.p = subprocess.Popen(["unshare", "--fork", "sh", "-c",
                                   f"exec {settings.threads} {n}"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, env=plain_env())
        if not self.p.stdout.readline().startswith("ready"):
            raise Unavailable("n/a (threads did not start under unshare)")
        self.pid = next(int(t) for t in os.listdir("/proc") if t.isdigit()
                        and proc_parent(int(t)) == self.p.pid)


def proc_parent(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def attach_cycle(settings, scope, n_threads, samples, target_class=ThreadsTarget, key=""):
    """Attach to a fresh `threads N`: stop times, time to the first metric
    line (period 1 s), RSS one second after attach; then detach. key
    prefixes the samples' names (a container's)."""
    scope.forget_output()
    target = target_class(settings, n_threads)
    try:
        rss_before = vm_rss_kib(target.pid)
        t0 = time.monotonic()
        out = scope.attach(target.pid, "--verbose", "-p", "1")
        attached_at = time.monotonic()
        measure_cell(samples, key + "attach stop", lambda: stopped_ms(out))
        wait_until(lambda: first_line_written(scope.metrics), 10, "first metric line")
        samples.setdefault(key + "first metric", []).append(time.monotonic() - t0)
        time.sleep(max(0.0, attached_at + 1.0 - time.monotonic()))
        samples.setdefault(f"{key}rss {n_threads}", []).append(
            (vm_rss_kib(target.pid) - rss_before) / 1024)
        out = scope.detach(target.pid, "--verbose")
        measure_cell(samples, key + "detach stop", lambda: stopped_ms(out))
    finally:
        target.close()


def attach_section(settings, scope):
    section = Section("attach: scope attach / detach on bench/threads (N threads "
                      "writing 64 B every 10 ms)", notes=[
                          "stop times as `scope attach/detach --verbose` print them",
                          "first metric line: from the start of `scope attach -p 1` to "
                          "a line in the metrics file",
                          "RSS added: VmRSS 1 s after attach minus VmRSS before",
                          "in a container: `threads N` in its own mount and pid "
                          "namespaces, chrooted (unshare), attached by the host's pid",
                          "as a container's is started: the child of `unshare --fork` "
                          "with no new namespace, on the host"])
    samples = {}
    for run in range(settings.runs):
        progress(f"attach: run {run + 1}/{settings.runs}")
        for n in (1, 64):
            try:
                attach_cycle(settings, scope, n, samples)
            except Unavailable as e:
                samples.setdefault("error", str(e))
            try:
                attach_cycle(settings, scope, n, samples, ContainedThreadsTarget, "ctr ")
            except Unavailable as e:
                samples.setdefault("ctr error", str(e))
            try:
                attach_cycle(settings, scope, n, samples, ForkedThreadsTarget, "forked ")
            except Unavailable as e:
                samples.setdefault("forked error", str(e))
    na = samples.get("error", "n/a")

    def add(workload, key, unit):
        return section.add(Row(workload, "attached", samples.get(key), unit,
                               na=samples.get(key + " n/a", na)))

    add("target stopped by attach", "attach stop", "ms").judge(
        lambda r: r.median <= 10, "<= 10 ms")
    host_attach = samples.get("attach stop")
    section.add(Row("target stopped by attach, in a container", "attached",
                    samples.get("ctr attach stop"), "ms",
                    na=samples.get("ctr error", "n/a"))).judge(
        lambda r: r.median <= 10 and (not host_attach or
                                      r.median <= statistics.median(host_attach) * 1.2),
        "<= 10 ms, <= host's + 20%")
    section.add(Row("target stopped by attach, on the host as a container's is "
                    "started", "attached", samples.get("forked attach stop"), "ms",
                    na=samples.get("forked error", "n/a")))
    add("target stopped by detach", "detach stop", "ms").judge(
        lambda r: r.median <= 10, "<= 10 ms")
    section.add(Row("target stopped by detach, in a container", "attached",
                    samples.get("ctr detach stop"), "ms",
                    na=samples.get("ctr error", "n/a"))).judge(
        lambda r: r.median <= 10, "<= 10 ms")
    add("attach to first metric line", "first metric", "s")
    for n in (1, 64):
        limit = 8 + n * 256 / 1024
        add(f"RSS added, {n} thread{'s' if n > 1 else ''}", f"rss {n}", "MiB").judge(
            lambda r, limit=limit: r.median <= limit, f"<= {limit:g} MiB")
    if samples.get("rss 1") and samples.get("rss 64"):
        per_thread = [(b - a) * 1024 / 63 for a, b in zip(samples["rss 1"], samples["rss 64"])]
        section.add(Row("RSS added per extra thread", "attached", per_thread, "KiB")).judge(
            lambda r: r.median <= 256, "<= 256 KiB")
    return section
