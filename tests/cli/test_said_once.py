"""What scope refuses or warns about is said once, in one line: a bad
SCOPE_* value under `scope run` is not warned about again by every process
the program execs; a refused static program gets one line, not two that
say the same."""
import os
import unittest

from scopetest import STATIC, ScopeTest


class SaidOnceTest(ScopeTest):
    def test_a_bad_setting_is_warned_about_once_per_run(self):
        env = dict(self.env, SCOPE_EVENT_MAXEPS="abc")
        # sh, then two more process images exec'd by it
        r = self.scope("run", "--", "sh", "-c", "/bin/true; /bin/true; echo done", env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "done\n")
        warned = [l for l in r.stderr.splitlines() if "SCOPE_EVENT_MAXEPS" in l]
        self.assertEqual(len(warned), 1, r.stderr)
        self.assertIn('SCOPE_EVENT_MAXEPS="abc" is not a number', warned[0])

    def test_a_clean_environment_does_not_warn_again(self):
        # env -i drops the variables; scope keeps its own across exec
        env = dict(self.env, SCOPE_SUMMARY_PERIOD="-5")
        r = self.scope("run", "--", "sh", "-c", "env -i /bin/true; /bin/true", env=env)
        warned = [l for l in r.stderr.splitlines() if "SCOPE_SUMMARY_PERIOD" in l]
        self.assertEqual(len(warned), 1, r.stderr)

    def test_a_static_program_is_refused_in_one_line(self):
        r = self.scope("run", "--", STATIC)
        self.assertEqual(r.returncode, 2, r)
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn(f"scope: {STATIC} is statically linked", lines[0])
        self.assertIn("run a dynamically linked build", lines[0])


if __name__ == "__main__":
    unittest.main()
