"""scope detach PID also detaches the descendants that inherited PID's
attach (children forked while it was attached), unless --no-children.
Each TestCase class is one ctest.
"""
import json
import os
import subprocess
import sys
import time
import unittest

from scopetest import SCOPE, ScopeTest

NOWHERE = ["-m", "file:///dev/null", "-e", "file:///dev/null"]

# Forks two children when told on stdin (each forks a grandchild), prints
# their pids, and waits.
FORKER = r"""
import os, sys, time
sys.stdin.readline()
pids = []
for i in range(2):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        g = os.fork()
        if g == 0:
            time.sleep(60)
            os._exit(0)
        os.write(w, b"%d\n" % g)
        time.sleep(60)
        os._exit(0)
    pids += [pid, int(os.read(r, 64))]
print(" ".join(map(str, pids)), flush=True)
time.sleep(60)
"""


class Tree(ScopeTest):
    """Children and grandchildren forked while attached are attached; a
    detach of the parent detaches them all (listed), --no-children none."""

    def states(self):
        out = subprocess.run([SCOPE, "ps", "--json"], env=self.env, capture_output=True,
                             text=True, timeout=30).stdout
        return {p["pid"]: p["state"] for p in json.loads(out)["processes"]}

    def forked_tree(self):
        p = subprocess.Popen([sys.executable, "-c", FORKER], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
        self.addCleanup(self.reap, p)
        time.sleep(0.5)
        r = subprocess.run([SCOPE, "attach", *NOWHERE, str(p.pid)], env=self.env,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        p.stdin.write("fork\n")
        p.stdin.flush()
        kids = [int(x) for x in p.stdout.readline().split()]
        self.kids = kids
        self.assertEqual(len(kids), 4)
        states = self.states()
        self.assertEqual([states.get(k) for k in kids], ["attached"] * 4, states)
        return p

    def reap(self, p):
        for k in getattr(self, "kids", []):
            try:
                os.kill(k, 9)
            except ProcessLookupError:
                pass
        p.kill()
        p.wait()

    def test_detach_takes_the_descendants(self):
        p = self.forked_tree()
        r = subprocess.run([SCOPE, "detach", str(p.pid)], env=self.env, capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"scope: 4 descendants of {p.pid} inherited the attach:", r.stderr)
        for pid in [p.pid, *self.kids]:
            self.assertIn(f"scope: detached from {pid} ", r.stderr)
        states = self.states()
        self.assertEqual([states.get(k) for k in [p.pid, *self.kids]], ["detached"] * 5, states)

    def test_no_children_leaves_them(self):
        p = self.forked_tree()
        r = subprocess.run([SCOPE, "detach", "--no-children", str(p.pid)], env=self.env,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("descendant", r.stderr)
        states = self.states()
        self.assertEqual(states.get(p.pid), "detached", states)
        self.assertEqual([states.get(k) for k in self.kids], ["attached"] * 4, states)


if __name__ == "__main__":
    unittest.main()
