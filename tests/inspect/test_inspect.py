"""test_inspect.py: `scope ps` and `scope inspect` on live programs.

Programs run under `scope run` with the real libscope.so (python3; the
-fno-plt filedemo_noplt held inside open() by a FIFO) and without it; the
tests read them the way an operator would, in both output forms.

Run by ctest one TestCase at a time: test_inspect.py -v Inspect
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from scopetest import LIB, PYTHON, SCOPE, ScopeTest, example, ps_table, unprivileged_scope

LIBSCOPE = os.path.realpath(LIB)
# Prints its pid once its imports are done (and their slots bound), then waits.
SLEEPER = [PYTHON, "-c", "import os, time; print(os.getpid(), flush=True); time.sleep(300)"]
SUMMARY_RE = re.compile(r"^(\d+) slots: (\d+) hooked, (\d+) original, (\d+) other$", re.M)
ROW_RE = re.compile(r"^(0x[0-9a-f]+)\s+(\S+)\s+(JUMP_SLOT|GLOB_DAT|64)\s+(\S+)\s+"
                    r"(hooked|original|other)\s+(0x[0-9a-f]+)\s+(\S+)$", re.M)
DEVNULL_URL = "file:///dev/null"


class LiveTestCase(ScopeTest):
    """ScopeTest (bin/scope finds ../lib/libscope.so) with helpers to start
    programs that stay alive until the test ends."""

    def start(self, argv, scoped, env=None):
        """Start argv (under `scope run` when scoped); stopped at cleanup."""
        if scoped:
            argv = [SCOPE, "run", "-m", DEVNULL_URL, "-e", DEVNULL_URL, "--", *argv]
        with open(os.path.join(self.dir, "stderr"), "a") as err:
            p = subprocess.Popen(argv, env=env or self.env, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=err, text=True)
        self.addCleanup(self.stop, p)
        return p

    @staticmethod
    def stop(p):
        """SIGTERM: `scope run` passes it on to its program, which must not
        outlive the test (a SIGKILLed scope would leave it running)."""
        if p.poll() is None:
            p.terminate()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)
        p.stdout.close()

    def sleeper(self, scoped):
        """A python3 that waits; its pid (not scope's)."""
        p = self.start(SLEEPER, scoped)
        return int(p.stdout.readline())

    def inspect_json(self, pid):
        r = self.scope("inspect", "--json", str(pid))
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def ps_json(self):
        r = self.scope("ps", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return {p["pid"]: p for p in json.loads(r.stdout)["processes"]}

    def assertUsage(self, args, needle, cmd):
        r = self.scope(*args)
        self.assertEqual(r.returncode, 2, r)
        self.assertEqual(r.stdout, "")
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn(needle, lines[0])
        self.assertTrue(lines[0].endswith(f"see `scope {cmd} --help`"), lines[0])

    def nobody_prefix(self):
        """The setpriv command line that runs as uid/gid 65534, or a skip
        when that cannot be done."""
        setpriv = shutil.which("setpriv")
        if os.getuid() != 0 or not setpriv:
            self.skipTest("needs root and setpriv to run scope as another user")
        return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]

    def as_nobody(self, *args):
        """scope ARGS run as uid/gid 65534 (a copy it can reach)."""
        return subprocess.run([*self.nobody_prefix(), unprivileged_scope(), *args],
                              env=self.env, capture_output=True, text=True, timeout=60)


def child_of(ppid):
    """The pid of a child of ppid, or None."""
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == ppid:
            return int(name)
    return None


class Ps(LiveTestCase):
    def test_scoped_process_is_listed_as_run(self):
        pid = self.sleeper(scoped=True)
        row = self.ps_json().get(pid)
        self.assertIsNotNone(row, f"scope ps --json does not list {pid}")
        self.assertEqual(row["command"], "python3")
        self.assertEqual(row["state"], "run")
        self.assertEqual(row["metric_dest"], DEVNULL_URL)
        self.assertEqual(row["event_dest"], DEVNULL_URL)
        self.assertGreater(row["patched_slots"], 0)
        self.assertEqual(os.path.realpath(row["library"]), LIBSCOPE)

        r = self.scope("ps")
        self.assertEqual(r.returncode, 0, r.stderr)
        head = r.stdout.splitlines()[0].split()
        self.assertIn(head, (["PID", "COMMAND", "STATE", "SLOTS", "METRICS", "EVENTS"],
                             ["PID", "NSPID", "CONTAINER", "COMMAND", "STATE", "SLOTS",
                              "METRICS", "EVENTS"]))
        shown = ps_table(r.stdout)[pid]
        self.assertEqual(shown.pop("NSPID", "-"), "-")
        self.assertEqual(shown.pop("CONTAINER", "-"), "-")
        self.assertEqual(shown, {"PID": str(pid), "COMMAND": "python3", "STATE": "run",
                                 "SLOTS": str(row["patched_slots"]),
                                 "METRICS": DEVNULL_URL, "EVENTS": DEVNULL_URL})

    def test_unscoped_process_is_not_listed(self):
        pid = self.sleeper(scoped=False)
        self.assertNotIn(pid, self.ps_json())
        r = self.scope("ps")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn(str(pid), [l.split()[0] for l in r.stdout.splitlines()])

    def test_other_users_processes_are_left_out(self):
        """uid 65534 sees its own scoped process and not root's, which it
        may not read: left out, with no error since one process was read."""
        theirs = self.sleeper(scoped=True)
        nobody_home = tempfile.mkdtemp(prefix="scope-nobody-")
        self.addCleanup(shutil.rmtree, nobody_home, ignore_errors=True)
        os.chown(nobody_home, 65534, 65534)
        env = dict(self.env, SCOPE_HOME=nobody_home)
        own = self.start([*self.nobody_prefix(), unprivileged_scope(), "run", "-m", DEVNULL_URL,
                          "-e", DEVNULL_URL, "--", *SLEEPER], scoped=False, env=env)
        own = int(own.stdout.readline())
        self.wait_for(lambda: self.ps_json().get(own, {}).get("state") == "run", 20,
                      "libscope.so to start in uid 65534's python3")
        r = self.as_nobody("ps", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        pids = [p["pid"] for p in json.loads(r.stdout)["processes"]]
        self.assertIn(own, pids)
        self.assertNotIn(theirs, pids)

    def test_usage_and_help(self):
        self.assertUsage(["ps", "extra"], "unexpected argument 'extra'", "ps")
        self.assertUsage(["ps", "--bogus"], "unknown option '--bogus'", "ps")
        for args in (["ps", "--help"], ["ps", "-h"], ["help", "ps"]):
            r = self.scope(*args)
            self.assertEqual(r.returncode, 0, r)
            self.assertTrue(r.stdout.startswith("Usage: scope ps [--json]\n"), r.stdout)


class Inspect(LiveTestCase):
    def table(self, pid):
        """(text, summary numbers, {slot: state}) of `scope inspect PID`."""
        r = self.scope("inspect", str(pid))
        self.assertEqual(r.returncode, 0, r.stderr)
        found = SUMMARY_RE.findall(r.stdout)
        self.assertEqual(len(found), 1, r.stdout)
        rows = {m[0]: m[4] for m in ROW_RE.findall(r.stdout)}
        return r.stdout, tuple(int(n) for n in found[0]), rows

    def assertTableMatchesJson(self, pid):
        """The two forms agree: same summary, same slots in the same states."""
        text, summary, rows = self.table(pid)
        doc = self.inspect_json(pid)
        s = doc["summary"]
        self.assertEqual(summary, (s["slots"], s["hooked"], s["original"], s["other"]))
        self.assertEqual(s["slots"], s["hooked"] + s["original"] + s["other"])
        slots = [sl for o in doc["objects"] for sl in o["slots"]]
        self.assertEqual(len(slots), s["slots"])
        self.assertEqual(rows, {sl["slot"]: sl["state"] for sl in slots})
        return text, doc

    def test_scoped_python_is_hooked(self):
        pid = self.sleeper(scoped=True)
        text, doc = self.assertTableMatchesJson(pid)
        self.assertIn(f"PID {pid} (python3)\nlibscope run: ", text)
        lib = doc["libscope"]
        self.assertTrue(lib["loaded"])
        self.assertEqual(lib["state"], "run")
        self.assertEqual((lib["metric_dest"], lib["event_dest"]), (DEVNULL_URL, DEVNULL_URL))
        s = doc["summary"]
        self.assertGreater(s["hooked"], 0)
        self.assertEqual(s["other"], 0)
        # What the library says it patched is what is found patched.
        self.assertEqual(s["hooked"], lib["patched_slots"])
        paths = [o["path"] for o in doc["objects"]]
        self.assertFalse([p for p in paths if "libscope" in p], paths)
        self.assertTrue([p for p in paths if "/ld-linux" in p], paths)
        self.assertTrue([p for p in paths if "/libc.so" in p], paths)
        for o in doc["objects"]:
            for sl in o["slots"]:
                if sl["state"] == "hooked":
                    self.assertEqual(sl["points_to"], "libscope:ip_wrap_" + sl["symbol"], sl)

    def test_noplt_program_has_glob_dat_slots_hooked(self):
        """Note 2: -fno-plt calls go through GLOB_DAT slots, which must be
        hooked too. filedemo_noplt waits in open() on a FIFO meanwhile."""
        os.mkfifo(os.path.join(self.dir, "demo0.txt"))
        scope = self.start([example("filedemo_noplt"), self.dir], scoped=True)
        pid = self.wait_for(lambda: child_of(scope.pid), 20, "filedemo_noplt to start")
        self.wait_for(lambda: self.ps_json().get(pid, {}).get("state") == "run", 20,
                      "libscope.so to attach in filedemo_noplt")
        _, doc = self.assertTableMatchesJson(pid)
        exe = [o for o in doc["objects"] if o["path"].endswith("/filedemo_noplt")]
        self.assertEqual(len(exe), 1, [o["path"] for o in doc["objects"]])
        by_symbol = {sl["symbol"]: sl for sl in exe[0]["slots"]}
        for name in ("open", "write", "fopen", "fread", "fclose"):
            self.assertIn(name, by_symbol)
            self.assertEqual(by_symbol[name]["type"], "GLOB_DAT", by_symbol[name])
            self.assertEqual(by_symbol[name]["state"], "hooked", by_symbol[name])
        self.assertEqual(doc["summary"]["other"], 0)

    def test_unscoped_python_is_all_original(self):
        pid = self.sleeper(scoped=False)
        text, doc = self.assertTableMatchesJson(pid)
        self.assertIn(f"PID {pid} (python3)\nlibscope not loaded\n", text)
        self.assertEqual(doc["libscope"], {"loaded": False})
        s = doc["summary"]
        self.assertGreater(s["slots"], 0)
        self.assertEqual(s["original"], s["slots"])
        for o in doc["objects"]:
            for sl in o["slots"]:
                # Bound slots hold the definition itself; unbound ones their stub.
                if sl["points_to"] != "plt-stub":
                    self.assertEqual(sl["value"], sl["original"], sl)
                    self.assertRegex(sl["points_to"], r"^libc\.so\.6:")

    def test_the_process_is_not_stopped(self):
        """No ptrace: the target keeps running and never gets a tracer."""
        pid = self.sleeper(scoped=True)
        for _ in range(3):
            self.inspect_json(pid)
        with open(f"/proc/{pid}/status") as f:
            status = f.read()
        self.assertIn("\nTracerPid:\t0\n", status)
        self.assertRegex(status, r"\nState:\tS ")

    def test_no_such_process(self):
        with open("/proc/sys/kernel/pid_max") as f:
            missing = int(f.read()) + 1
        r = self.scope("inspect", str(missing))
        self.assertEqual(r.returncode, 1, r)
        self.assertEqual(r.stdout, "")
        self.assertEqual(r.stderr, f"scope: no process with PID {missing}\n")

    def test_permission_denied_says_what_is_needed(self):
        pid = self.sleeper(scoped=False)
        r = self.as_nobody("inspect", str(pid))
        self.assertEqual(r.returncode, 1, r)
        self.assertEqual(r.stdout, "")
        self.assertIn(f"cannot read process {pid}: permission denied", r.stderr)
        self.assertIn("ptrace access", r.stderr)
        self.assertIn("CAP_SYS_PTRACE", r.stderr)

    def test_usage_and_help(self):
        self.assertUsage(["inspect"], "missing the PID", "inspect")
        self.assertUsage(["inspect", "abc"], "PID 'abc' is not a number", "inspect")
        self.assertUsage(["inspect", "1", "2"], "unexpected argument '2'", "inspect")
        self.assertUsage(["inspect", "--bogus", "1"], "unknown option '--bogus'", "inspect")
        for args in (["inspect", "--help"], ["inspect", "-h"], ["help", "inspect"]):
            r = self.scope(*args)
            self.assertEqual(r.returncode, 0, r)
            self.assertTrue(r.stdout.startswith("Usage: scope inspect [--json] PID\n"), r.stdout)


if __name__ == "__main__":
    unittest.main()
