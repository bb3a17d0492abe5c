"""test_container_hostile.py: a container's root is hostile. While scope
attaches, the container replaces, in a loop, every directory scope might
put something in (its view of /run/scope, /var/tmp/scope, the session and
destination directories, the library's directory) with a symlink to a
host directory, and the libc its process mapped with a symlink to a host
FIFO. Root must never follow them: the bait directory stays empty, no
FIFO is opened (scope does not hang), and the attach works as for any
process: exact counts, slots restored, the worker exits 0.

The container here is bare namespaces on the test's root filesystem; its
root's moves are made from the host on the same directory, as the
container's root would make them from inside.

Each TestCase class is one ctest.
"""
import os
import shutil
import tempfile
import threading
import unittest

from ctrtest import BareNamespaceAttach
from scopetest import LIB


class HostileRoot(BareNamespaceAttach):
    def leaves(self):
        """The container's paths that scope might write through or read,
        relative to its root."""
        # the test's dir holds SCOPE_HOME, its history and the destinations
        host_dirs = (os.path.dirname(os.path.realpath(LIB)), self.dir)
        return [os.path.join("run", "scope"), os.path.join("var", "tmp", "scope"),
                *(d.lstrip("/") for d in host_dirs)]

    def swap(self, path, target):
        """path made a symlink to target, or back to an empty directory, as
        a hostile root would, again and again."""
        if os.path.islink(path):
            os.unlink(path)
            os.mkdir(path)
        else:
            os.rmdir(path)
            os.symlink(target, path)

    def after_detach(self):
        self.stop.set()
        self.hostile.join()

    def test_symlinks_swapped_during_attach(self):
        self.bait = bait = tempfile.mkdtemp(prefix="scope-bait-")
        self.addCleanup(shutil.rmtree, bait, True)
        fifo = os.path.join(bait, "fifo")
        os.mkfifo(fifo)
        p, pid = self.start_worker()
        paths = [os.path.join(self.root, leaf) for leaf in self.leaves()]
        self.moving = frozenset(self.leaves())
        for path in paths:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            os.symlink(bait, path)
        libc = next(os.path.join(d, f) for d, _, fs in os.walk(self.root) for f in fs
                    if f.startswith("libc.so"))
        os.rename(libc, libc + ".real")
        os.symlink(fifo, libc)
        self.stop = threading.Event()

        def hostile():
            while not self.stop.is_set():
                for path in paths:
                    self.swap(path, bait)
        self.hostile = threading.Thread(target=hostile)
        self.hostile.start()
        try:
            self.cycle(p, pid)
        finally:
            self.after_detach()
        self.assertEqual(os.listdir(bait), ["fifo"], "root wrote through a symlink")


if __name__ == "__main__":
    unittest.main()
