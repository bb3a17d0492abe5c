"""scope trace in a real terminal (tmux, 80x24): within 3 s the pane shows
the traced process's file events, escaped; Ctrl-C typed there detaches
it with the GOT as before and exit status 0. The terminal's Ctrl-C goes
to trace's process group only (the target is not in it), as when an
operator types it."""
import os
import re
import shlex
import shutil
import subprocess
import time
import unittest

from scopetest import PYTHON, SCOPE, AttachTest

# writes a file whose name holds an escape every 50 ms until stop.txt
LOOP = ("import os, sys, time\n"
        "d = sys.argv[1]\n"
        "print('ready', flush=True)\n"
        "while not os.path.exists(os.path.join(d, 'stop.txt')):\n"
        "    with open(os.path.join(d, 'tick\\x1b[2J.txt'), 'w') as f:\n"
        "        f.write('x')\n"
        "    time.sleep(0.05)\n")


@unittest.skipUnless(shutil.which("tmux"), "tmux is not installed")
class TraceTerminalTest(AttachTest):
    def setUp(self):
        super().setUp()
        self.socket = os.path.join(self.dir, "tmux.sock")
        self.script = os.path.join(self.dir, "loop.py")
        with open(self.script, "w") as f:
            f.write(LOOP)

    def tmux(self, *args):
        return subprocess.run(["tmux", "-S", self.socket, *args], capture_output=True,
                              text=True, env=self.env, timeout=30)

    def pane(self):
        return self.tmux("capture-pane", "-p", "-t", "trace").stdout

    def test_events_within_3s_and_ctrl_c_detaches(self):
        p = self.started([PYTHON, self.script, self.dir])
        before = self.slots(p.pid)
        cmd = "%s trace %d; echo EXIT=$?; sleep 60" % (shlex.quote(SCOPE), p.pid)
        r = self.tmux("new-session", "-d", "-s", "trace", "-x", "80", "-y", "24", cmd)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.addCleanup(self.tmux, "kill-server")
        began = time.monotonic()
        tick = re.escape(os.path.join(self.dir, "tick\\x1b[2J.txt")[:30])
        self.wait_for(lambda: re.search(r"  %d  fs\.open  open\S* %s" % (p.pid, tick),
                                        self.pane()), 10, "an fs.open line in the pane")
        self.assertLess(time.monotonic() - began, 3 + 1.5)    # 1.5: the attach itself
        self.assertNotIn("\x1b", self.pane())
        self.tmux("send-keys", "-t", "trace", "C-c")
        self.wait_for(lambda: "EXIT=" in self.pane(), 20, "trace ending on Ctrl-C")
        text = self.pane()
        self.assertIn("EXIT=0", text)
        self.assertIn("GOT slots restored", text)
        self.assert_got_as_before(before, self.slots(p.pid), "after Ctrl-C")
        self.assertIsNone(p.poll(), "the target died")
        open(os.path.join(self.dir, "stop.txt"), "w").close()
        p.wait(timeout=10)              # before its folder goes
        self.tmux("kill-server")


if __name__ == "__main__":
    unittest.main()
