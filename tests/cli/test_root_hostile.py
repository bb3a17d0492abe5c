"""scope run as root where a user can reach: each test makes an attacker
user (useradd), lets it do what any user could, and checks that root's
scope neither writes where the attacker chooses nor hangs, nor prints its
terminal escapes. The user is removed afterwards. Needs root (skipped, exit
77, without). Each TestCase class is one ctest.
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import time
import unittest

from scopetest import SCOPE, HarmlessLibTest


class Attacker:
    """A fresh system user, and commands run as it."""

    def __init__(self):
        self.name = f"scopeatk{os.getpid() % 100000}"
        subprocess.run(["userdel", self.name], capture_output=True)
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                        "/usr/sbin/nologin", self.name], check=True, capture_output=True)
        import pwd
        pw = pwd.getpwnam(self.name)
        self.uid, self.gid = pw.pw_uid, pw.pw_gid

    def run(self, *cmd, **kw):
        return subprocess.run(["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}",
                               "--clear-groups", *cmd], capture_output=True, text=True,
                              timeout=30, **kw)

    def sh(self, script):
        r = self.run("/bin/sh", "-ec", script)
        if r.returncode != 0:
            raise AssertionError(f"attacker's script failed: {r.stderr}")
        return r

    def remove(self):
        subprocess.run(["userdel", self.name], capture_output=True)


class RootTestCase(HarmlessLibTest):
    def setUp(self):
        super().setUp()
        os.chmod(self.dir, 0o755)
        self.atk = Attacker()
        self.addCleanup(self.atk.remove)
        self.victim = os.path.join(self.dir, "victim")
        with open(self.victim, "w") as f:
            f.write("precious\n")

    def attacker_process(self, comm):
        """A process of the attacker's that names itself comm (and has it in
        its command line), sleeping."""
        target = subprocess.Popen(
            ["setpriv", f"--reuid={self.atk.uid}", f"--regid={self.atk.gid}", "--clear-groups",
             "/usr/bin/python3", "-c",
             "import sys, time; open('/proc/self/comm', 'w').write(sys.argv[1]); time.sleep(30)",
             comm])
        self.addCleanup(target.wait)
        self.addCleanup(target.kill)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with open(f"/proc/{target.pid}/comm") as f:
                if f.read().rstrip("\n") == comm:
                    return target
            time.sleep(0.02)
        raise AssertionError("the attacker's process never renamed itself")

    def assert_victim_intact(self):
        with open(self.victim) as f:
            self.assertEqual(f.read(), "precious\n", "root's scope overwrote the victim")


class HomeSwap(RootTestCase):
    """HOME points into the attacker's tree (sudo -E): while the program
    runs, the attacker moves root's .scope away and puts a symlink where
    the session directory was, to a directory of its own whose
    info.json.tmp is a symlink to a root-owned file. scope's final
    info.json write must not follow it."""

    def test_session_dir_swapped_for_symlink(self):
        u = os.path.join(self.dir, "u")
        os.mkdir(u, 0o755)
        os.chown(u, self.atk.uid, self.atk.gid)
        env = dict(self.env, HOME=u)
        del env["SCOPE_HOME"]
        run = subprocess.Popen([SCOPE, "run", "--", "sleep", "1.5"], env=env,
                               stderr=subprocess.PIPE, text=True)
        hist = os.path.join(u, ".scope", "history")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (os.path.isdir(hist) and os.listdir(hist)):
            time.sleep(0.01)
        name = os.listdir(hist)[0]
        self.atk.sh(f"""cd {u}; mv .scope old; mkdir -p .scope/history trap
                        ln -s {self.victim} trap/info.json.tmp
                        ln -s {u}/trap .scope/history/{name}""")
        _, err = run.communicate(timeout=30)
        self.assert_victim_intact()
        self.assertFalse(os.path.exists(os.path.join(u, "trap", "info.json")), err)
        self.assertIn(name, err)


    def test_history_made_by_the_attacker(self):
        """The attacker made $HOME/.scope/history first: root must not make
        its session (and write its files) in a directory another user can
        change under it."""
        u = os.path.join(self.dir, "u")
        os.mkdir(u, 0o755)
        os.chown(u, self.atk.uid, self.atk.gid)
        self.atk.sh(f"mkdir -p {u}/.scope/history")
        env = dict(self.env, HOME=u)
        del env["SCOPE_HOME"]
        marker = os.path.join(self.dir, "ran")
        r = self.scope("run", "--", "touch", marker, env=env)
        self.assertNotEqual(r.returncode, 0, r.stderr)
        self.assertIn("not a directory of this user's", r.stderr)
        self.assertEqual(os.listdir(os.path.join(u, ".scope", "history")), [])


class HostileName(RootTestCase):
    """The attacker's process calls itself ../../pwnd (its comm): root's
    scope attach must not make /pwnd_... nor a symlink outside history/."""

    def test_comm_with_slashes(self):
        from scopetest import LIB as LIBSCOPE
        if not os.path.exists(LIBSCOPE):
            self.skipTest(f"no {LIBSCOPE}")
        before = set(glob.glob("/pwnd*")) | set(glob.glob("/run/pwnd*"))
        target = self.attacker_process("../../pwnd")
        env = dict(self.env, SCOPE_LIB_PATH=LIBSCOPE)
        r = self.scope("attach", str(target.pid), env=env)
        made = (set(glob.glob("/pwnd*")) | set(glob.glob("/run/pwnd*"))) - before
        for path in made:
            subprocess.run(["rm", "-rf", path])
        for name in self.sessions():
            link = os.path.join(self.hist, name)
            if os.path.islink(link):
                self.addCleanup(subprocess.run, ["rm", "-rf", os.readlink(link)])
        self.scope("detach", str(target.pid), env=env)
        self.assertEqual(made, set(), r.stderr)
        self.assertEqual(r.returncode, 0, r.stderr)
        names = self.sessions()
        self.assertEqual(len(names), 1, names)
        self.assertTrue(names[0].startswith("_._.._pwnd_1_"), names)


ESC = "\x1b]0;pw\x07\x1b[2J"     # retitle the terminal, clear the screen


class TerminalEscapes(RootTestCase):
    """Names from a process printed for a person keep no control
    character: the attacker's process has terminal escapes in its comm,
    its command line and the file names libscope records."""

    def assert_no_control(self, r):
        for stream in (r.stdout, r.stderr):
            self.assertNotIn("\x1b", stream)
            self.assertNotIn("\x07", stream)

    def test_attach_ps_inspect_history(self):
        from scopetest import LIB as LIBSCOPE
        if not os.path.exists(LIBSCOPE):
            self.skipTest(f"no {LIBSCOPE}")
        target = self.attacker_process(ESC)
        env = dict(self.env, SCOPE_LIB_PATH=LIBSCOPE)
        r = self.scope("attach", str(target.pid), env=env)
        for name in self.sessions():
            link = os.path.join(self.hist, name)
            if os.path.islink(link):
                self.addCleanup(subprocess.run, ["rm", "-rf", os.readlink(link)])
        self.addCleanup(self.scope, "detach", str(target.pid), env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_no_control(r)
        self.assertIn("\\x1b]0;pw\\x07", r.stderr)
        for args in (("ps",), ("inspect", str(target.pid)), ("history",)):
            r = self.scope(*args, env=env)
            self.assertEqual(r.returncode, 0, (args, r.stderr))
            self.assert_no_control(r)
        r = self.scope("ps", "--json", env=env)
        mine = [p for p in json.loads(r.stdout)["processes"] if p["pid"] == target.pid]
        self.assertEqual([p["command"] for p in mine], [ESC])

    def test_metrics_events(self):
        d = os.path.join(self.hist, "dd_1_12_1700000000")
        os.makedirs(d)
        body = {"sourcetype": "fs", "_time": 1700000000.5, "source": "fs.open", "host": "h",
                "proc": ESC, "cmd": ESC, "pid": 12, "data": {"file": "/tmp/" + ESC, "op": ESC}}
        with open(os.path.join(d, "events.json"), "w") as f:
            f.write(json.dumps({"type": "evt", "id": "h", "_channel": "1", "body": body}) + "\n")
        body = {"_metric": "fs.open", "_metric_type": "counter", "_value": 1, "proc": ESC,
                "pid": 12, "host": "h", "file": ESC, "_time": 1700000000.5}
        with open(os.path.join(d, "metrics.json"), "w") as f:
            f.write(json.dumps({"type": "metric", "body": body}) + "\n")
        for cmd in ("events", "metrics"):
            r = self.scope(cmd)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assert_no_control(r)
            self.assertIn("\\x1b[2J", r.stdout)
            r = self.scope(cmd, "--json")
            self.assertIn("\\u001b", r.stdout)


class SessionFileSwap(RootTestCase):
    """A session handed to the attacker's user (as scope attach does under
    /run/scope): the attacker puts FIFOs in place of its files, and a
    symlink to /dev/zero. Root's history, events and metrics must neither
    hang nor read forever: they skip what is not a regular file, saying
    so."""

    def handed_session(self, name):
        d = os.path.join(self.dir, "run", name)
        os.makedirs(d)
        os.chmod(os.path.dirname(d), 0o711)
        os.chown(d, self.atk.uid, self.atk.gid)
        os.makedirs(self.hist, exist_ok=True)
        os.symlink(d, os.path.join(self.hist, name))
        return d

    def scope_bounded(self, *args):
        try:
            return subprocess.run([SCOPE, *args], env=self.env, capture_output=True,
                                  text=True, timeout=10)
        except subprocess.TimeoutExpired:
            self.fail(f"scope {' '.join(args)} did not finish in 10 s")

    def test_fifo_and_dev_zero(self):
        a = self.handed_session("sh_1_100_1700000000")
        b = self.handed_session("sh_2_101_1700000001")
        self.atk.sh(f"""mkfifo {a}/info.json {a}/events.json {a}/metrics.json
                        ln -s /dev/zero {b}/events.json; ln -s /dev/zero {b}/info.json
                        mkfifo {b}/metrics.json""")
        r = self.scope_bounded("history")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("not a regular file", r.stderr)
        for args in (("events", "--id", "1"), ("events", "--id", "2"), ("metrics", "--id", "1"),
                     ("metrics", "--id", "2"), ("events", "--json", "--id", "2")):
            r = self.scope_bounded(*args)
            self.assertEqual(r.returncode, 1, (args, r.stderr))
            self.assertIn("not a regular file", r.stderr, args)
            self.assertLess(len(r.stdout), 4096, args)


class LibraryTrust(RootTestCase):
    """The library root preloads or injects: neither the attacker's file,
    nor root's file in a directory the attacker can write, is loaded;
    something that is not a shared object is refused in plain words."""

    def place(self, dirname, owner=None, dirmode=0o755, src=None):
        from scopetest import HARMLESS_LIB
        d = os.path.join(self.dir, dirname)
        os.mkdir(d)
        os.chmod(d, dirmode)
        if owner:
            os.chown(d, owner.uid, owner.gid)
        lib = os.path.join(d, "libscope.so")
        shutil.copy(src or HARMLESS_LIB, lib)
        os.chmod(lib, 0o644)
        if owner and not src:
            os.chown(lib, owner.uid, owner.gid)
        return lib

    def assert_run_refused(self, lib, why):
        marker = os.path.join(self.dir, "ran")
        r = self.scope("run", "--", "touch", marker, env=dict(self.env, SCOPE_LIB_PATH=lib))
        self.assertNotEqual(r.returncode, 0, r.stderr)
        self.assertFalse(os.path.exists(marker), "scope ran the program with the library")
        self.assertIn(why, r.stderr)

    def test_attackers_library(self):
        self.assert_run_refused(self.place("atk", owner=self.atk), "refusing the library")

    def test_roots_library_in_attackers_directory(self):
        from scopetest import HARMLESS_LIB
        self.assert_run_refused(self.place("atk", owner=self.atk, src=HARMLESS_LIB),
                                "refusing the library")

    def test_roots_library_in_world_writable_directory(self):
        from scopetest import HARMLESS_LIB
        self.assert_run_refused(self.place("ww", dirmode=0o777, src=HARMLESS_LIB),
                                "refusing the library")

    def test_attach_roots_library_in_attackers_directory(self):
        from scopetest import LIB as LIBSCOPE
        if not os.path.exists(LIBSCOPE):
            self.skipTest(f"no {LIBSCOPE}")
        lib = self.place("atk", owner=self.atk, src=LIBSCOPE)
        target = subprocess.Popen(["sleep", "30"])
        self.addCleanup(target.wait)
        self.addCleanup(target.kill)
        time.sleep(0.2)
        env = dict(self.env, SCOPE_LIB_PATH=lib)
        r = self.scope("attach", str(target.pid), env=env)
        if r.returncode == 0:
            self.scope("detach", str(target.pid), env=env)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("refusing the library", r.stderr)

    def test_not_a_shared_object(self):
        self.assert_run_refused("/etc/passwd", "SCOPE_LIB_PATH=/etc/passwd is not a 64-bit "
                                "x86-64 ELF shared object")

    def test_relative_scope_home(self):
        r = self.scope("run", "--", "true", env=dict(self.env, SCOPE_HOME="rel/home"),
                       cwd=self.dir)
        self.assertNotEqual(r.returncode, 0, r.stderr)
        self.assertIn("SCOPE_HOME must be an absolute path", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "rel")))


if __name__ == "__main__":
    if os.geteuid() != 0:
        sys.exit(77)
    unittest.main()
