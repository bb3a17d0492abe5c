"""test_container_musl.py: a musl-linked program (what Alpine images run)
in a podman container, attached from the host: the injector picks the
musl build of libscope.so by the program's dynamic linker, hands it over
as a sealed memfd, and the counts are exact; detach puts every GOT slot
back, nothing of ours is left in the container's filesystem, and the
program exits 0. The root filesystem holds musl_worker and musl's loader
only (no glibc at all).

Each TestCase class is one ctest.
"""
import os
import shutil
import unittest

from ctrtest import PodmanAttach, tree_of
from scopetest import BUILD, metric_sum, read_ndjson

MUSL_WORKER = os.path.join(BUILD, "tests", "musl", "musl_worker")
MUSL_LOADER = "/lib/ld-musl-x86_64.so.1"
IO = "/tmp/musl-io.txt"


class MuslPodman(PodmanAttach):
    program = "/bin/musl_worker"
    io_in_tree = IO.lstrip("/")

    def build_root(self):
        for f in (MUSL_WORKER, MUSL_LOADER):
            if not os.path.exists(f):
                self.fail(f"no {f}: build scope where musl-gcc is installed (musl-tools)")
        for d in ("bin", "lib", "tmp", "proc"):
            os.makedirs(os.path.join(self.root, d), exist_ok=True)
        os.chmod(os.path.join(self.root, "tmp"), 0o1777)
        shutil.copy2(MUSL_WORKER, os.path.join(self.root, "bin", "musl_worker"))
        # the loader is musl's libc itself: its real file, not the symlink
        shutil.copy2(os.path.realpath(MUSL_LOADER), os.path.join(self.root, "lib",
                                                                 os.path.basename(MUSL_LOADER)))

    def test_attach_counts_detach(self):
        p, pid = self.start_worker()
        before = self.slots(pid)
        tree = tree_of(self.worker_root(pid))
        fds = self.fds(pid)
        self.attach(pid)
        self.assertEqual(self.ask(p, f"file {IO} 3000"), "done 3000")

        def counted():
            lines = read_ndjson(self.metrics) if os.path.exists(self.metrics) else []
            return (metric_sum(lines, "fs.write", file=IO) == 3000 and
                    metric_sum(lines, "fs.read", file=IO) == 3000)
        self.wait_for(counted, 10, "exact counts of the musl worker's file I/O")
        lines = read_ndjson(self.metrics)
        self.assertTrue(all(b.get("host_pid") == pid for b in
                            (l["body"] for l in lines if l.get("type") == "metric")))
        self.detach(pid)
        self.assertEqual(self.fds(pid), fds, "descriptors left after detach")
        self.assert_got_as_before(before, self.slots(pid), "after detach")
        # nothing more counted once detached
        self.assertEqual(self.ask(p, f"file {IO} 1000"), "done 1000")
        self.assertEqual(tree_of(self.worker_root(pid)) - {self.io_in_tree}, tree)
        self.quit(p)
        lines = read_ndjson(self.metrics)
        self.assertEqual(metric_sum(lines, "fs.write", file=IO), 3000)


if __name__ == "__main__":
    unittest.main()
