"""Crash backtraces: on SIGSEGV, SIGBUS, SIGILL, SIGFPE and
SIGABRT the library writes a backtrace event and file, then the process
dies exactly as it would have without scope."""
import glob
import os
import re
import subprocess
import unittest

from scopetest import (PYTHON, SCHEMAS, SCOPE, SRC, VALIDATOR, ScopeTest, events_of, example,
                       read_ndjson)

EXTENSIONS = os.path.join(SRC, "tests", "tools", "scope-schemas")


class CrashCase(ScopeTest):
    def run_crashy(self, *args, backtrace=True, status):
        """scope run [--backtrace] -- crashy ARGS in a session directory."""
        cmd = [SCOPE, "run", *(["--backtrace"] if backtrace else []), "--", *args]
        p = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, status, p.stderr)
        m = re.search(r"scope: session (\S+)", p.stderr)
        self.assertTrue(m, p.stderr)
        return p, m.group(1)

    def backtrace_of(self, session):
        files = glob.glob(os.path.join(session, "backtrace_*_*"))
        self.assertEqual(len(files), 1, files)
        self.assertRegex(os.path.basename(files[0]), r"^backtrace_\d+_\d+$")
        self.assertEqual(os.stat(files[0]).st_mode & 0o777, 0o600)
        with open(files[0]) as f:
            text = f.read()
        events = events_of(read_ndjson(os.path.join(session, "events.json")), "backtrace")
        self.assertEqual(len(events), 1)
        self.assert_valid_with_extensions(os.path.join(session, "events.json"))
        return text, events[0]["data"]

    def assert_valid_with_extensions(self, path):
        p = subprocess.run([PYTHON, VALIDATOR, "--schemas", SCHEMAS, "--extensions", EXTENSIONS,
                            path], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout)

    def assert_frames_in_order(self, data, names):
        functions = [f["function"] for f in data["frames"]]
        at = [functions.index(n) for n in names]
        self.assertEqual(at, sorted(at), functions)


class RunCrashTest(CrashCase):

    def test_segv_three_frames_deep(self):
        p, session = self.run_crashy(example("crashy"), "segv", status=139)
        text, data = self.backtrace_of(session)
        self.assertEqual(data["signal"], "SIGSEGV")
        self.assertEqual(data["fault_addr"], "0x0")
        self.assert_frames_in_order(data, ["crash_inner", "crash_middle", "crash_outer", "main"])
        for name in ("crash_inner", "crash_middle", "crash_outer"):
            self.assertIn(name, text)
        self.assertLess(text.index("crash_inner"), text.index("crash_middle"))
        self.assertLess(text.index("crash_middle"), text.index("crash_outer"))
        self.assertIn("received SIGSEGV", text)
        self.assertIn("backtrace in " + session, p.stderr)

    def test_program_handler_still_runs(self):
        p, session = self.run_crashy(example("crashy"), "handler", status=3)
        self.assertIn("handler ran", p.stderr)
        _, data = self.backtrace_of(session)
        self.assert_frames_in_order(data, ["crash_inner", "crash_middle", "crash_outer"])

    def test_program_handler_runs_with_its_own_mask(self):
        # A probe that longjmps out of its SIGSEGV handler keeps the mask
        # the handler ran with: only SIGSEGV, as without scope.
        p, session = self.run_crashy(example("crashy"), "probe", status=0)
        self.assertEqual(p.stdout.strip(), "sigint free")

    def test_stack_overflow(self):
        _, session = self.run_crashy(example("crashy"), "overflow", status=139)
        _, data = self.backtrace_of(session)
        self.assertEqual(data["frames"][0]["function"], "recurse_forever")

    def test_abort(self):
        _, session = self.run_crashy(example("crashy"), "abort", status=134)
        _, data = self.backtrace_of(session)
        self.assertEqual(data["signal"], "SIGABRT")
        self.assert_frames_in_order(data, ["abort", "crash_inner", "crash_middle"])

    def test_python_os_abort(self):
        _, session = self.run_crashy(PYTHON, "-c", "import os; os.abort()", status=134)
        _, data = self.backtrace_of(session)
        self.assertEqual(data["signal"], "SIGABRT")
        self.assertIn("abort", [f["function"] for f in data["frames"]])

    def test_off_by_default(self):
        _, session = self.run_crashy(example("crashy"), "segv", backtrace=False, status=139)
        self.assertEqual(glob.glob(os.path.join(session, "backtrace_*")), [])


class AttachedCrashTest(CrashCase):
    def crash_attached(self, mode, status):
        """Start crashy MODE wait, attach with --backtrace, let it crash."""
        p = subprocess.Popen([example("crashy"), mode, "wait"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        pid = int(p.stdout.readline().split()[1])
        a = subprocess.run([SCOPE, "attach", "--backtrace", str(pid)], env=self.env,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(a.returncode, 0, a.stderr)
        session = re.search(r"scope: session (\S+)", a.stderr).group(1)
        _, err = p.communicate("go\n", timeout=30)
        self.assertEqual(p.returncode, status, err)
        return err, session

    def test_crash_after_attach(self):
        _, session = self.crash_attached("segv", -11)
        _, data = self.backtrace_of(session)
        self.assert_frames_in_order(data, ["crash_inner", "crash_middle", "crash_outer", "main"])

    def test_handler_installed_before_attach_still_runs(self):
        err, session = self.crash_attached("handler", 3)
        self.assertIn("handler ran", err)
        _, data = self.backtrace_of(session)
        self.assertEqual(data["signal"], "SIGSEGV")


if __name__ == "__main__":
    unittest.main()
