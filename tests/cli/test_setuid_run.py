"""`scope run` by a user of a program that would run as someone else
(setuid root): the loader ignores LD_PRELOAD for it, so scope refuses it in
plain words instead of leaving an empty session. The user is made with
useradd and removed afterwards; needs root."""
import os
import shutil
import unittest

from scopetest import ScopeTest, unprivileged_scope
from test_root_hostile import Attacker


@unittest.skipUnless(os.geteuid() == 0, "needs root")
class SetuidRunTest(ScopeTest):
    def setUp(self):
        super().setUp()
        os.chmod(self.dir, 0o755)
        self.user = Attacker()
        self.addCleanup(self.user.remove)
        self.prog = os.path.join(self.dir, "id")
        shutil.copy("/usr/bin/id", self.prog)
        self.user_home = os.path.join(self.dir, "userhome")
        os.mkdir(self.user_home)
        os.chown(self.user_home, self.user.uid, self.user.gid)

    def run_as_user(self):
        return self.user.run("env", f"SCOPE_HOME={self.user_home}/scope", unprivileged_scope(),
                             "run", "--", self.prog)

    def test_a_setuid_program_is_refused(self):
        os.chmod(self.prog, 0o4755)         # setuid root
        r = self.run_as_user()
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn(f"scope: {self.prog} is setuid", r.stderr)
        self.assertIn("scope cannot observe it", r.stderr)
        self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.user_home, "scope")))

    def test_the_same_program_without_the_bit_runs(self):
        os.chmod(self.prog, 0o755)
        r = self.run_as_user()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"uid={self.user.uid}", r.stdout)
        self.assertIn("scope: session", r.stderr)


if __name__ == "__main__":
    unittest.main()
