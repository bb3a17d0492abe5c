"""test_musl_shell.py: the shells a C library starts where no wrapper sees
it (system(), popen(): posix_spawn inside libc), across C libraries, and
the programs scope cannot observe being said.

  - a musl program under `scope run` on a glibc host: system() and popen()
    start glibc's /bin/sh, which must start (it exited 127 when given the
    musl build in LD_PRELOAD: "invalid ELF header") and is observed with
    the glibc build;
  - a glibc shell under `scope run` starting a musl program with no usable
    musl build: the program runs unobserved and a notice says so;
  - the reverse of the first: a glibc program in an Alpine-style root whose
    /bin/sh is musl (musl_sh, chrooted, scope installed inside as an image
    would have it): system() and popen() start the musl shell, which is
    observed with the musl build (its own write counted, and the glibc
    program it execs with the glibc build); without a musl build the shell
    still starts, unobserved, and a notice says so. The program's own
    counts are exact either way.
"""
import os
import shutil
import subprocess
import sys
import unittest

from scopetest import LIB, SCOPE, metrics_named, per_file_sum, read_ndjson

from test_musl import FIXTURES, MUSL_LIB, MUSL_LOADER, WORKER, MuslTest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "container"))
from ctrtest import install  # noqa: E402  (tests/container's, not on the path)

MUSL_SH = os.path.join(FIXTURES, "musl_sh")
GLIBC_WORKER = os.path.join(FIXTURES, "glibc_worker")


def notices(path):
    """The notice texts among the events at path."""
    return [l["body"].get("data", "") for l in read_ndjson(path)
            if l.get("type") == "evt" and l["body"].get("source") == "notice"]


class MuslShell(MuslTest):
    def run_worker(self, *commands):
        path = os.path.join(self.dir, "commands")
        with open(path, "w") as f:
            f.write("\n".join([*commands, "quit"]) + "\n")
        with open(path) as stdin:
            return self.scope_run([WORKER], stdin=stdin).stdout.decode().splitlines()

    def test_system_and_popen(self):
        out = os.path.join(self.dir, "out")
        lines = self.run_worker(f"system printf 12345 > {out}.s",
                                f"popen printf 1234567; printf 123 > {out}.p")
        self.assertEqual(lines, ["ready", "done 0", "done 0 7"])
        m = self.metric_lines()
        # the shells, on glibc, were observed
        self.assertEqual(per_file_sum(m, "fs.write").get(out + ".s"), 5)
        self.assertEqual(per_file_sum(m, "fs.write").get(out + ".p"), 3)


class UnobservableChild(MuslTest):
    def setUp(self):
        super().setUp()
        self.library_alone()

    def test_notice(self):
        cmds = os.path.join(self.dir, "commands")
        with open(cmds, "w") as f:
            f.write(f"file {self.data} 99\nquit\n")
        p = self.scope_run(["/bin/sh", "-c", f"{WORKER} < {cmds}; echo worker $?"])
        self.assertEqual(p.stdout.decode().split(), ["ready", "done", "99", "worker", "0"])
        said = [n for n in notices(self.events) if "other C library" in n]
        self.assertEqual(len(said), 1, notices(self.events))
        self.assertIn("1 programs this process started run on the other C library", said[0])


class GlibcOnMuslShell(MuslTest):
    """root/: glibc_worker and its libraries, musl_sh as /bin/sh with musl's
    loader, scope at /opt/scope (the musl build beside the glibc one unless
    musl_build is false); the worker run there under `scope run`, chrooted
    in a mount namespace of its own."""

    def run_in_root(self, commands, musl_build=True):
        root = os.path.join(self.dir, "root")
        for d in ("tmp", "proc", "lib"):
            os.makedirs(os.path.join(root, d))
        os.chmod(os.path.join(root, "tmp"), 0o1777)
        install(root, GLIBC_WORKER, "/bin/glibc_worker")
        install(root, SCOPE, "/opt/scope/bin/scope")
        install(root, LIB, "/opt/scope/lib/libscope.so")
        if musl_build:
            os.makedirs(os.path.join(root, "opt/scope/lib/musl"))
            shutil.copy2(MUSL_LIB, os.path.join(root, "opt/scope/lib/musl/libscope.so"))
        shutil.copy2(MUSL_SH, os.path.join(root, "bin/sh"))
        shutil.copy2(os.path.realpath(MUSL_LOADER), os.path.join(root, MUSL_LOADER.lstrip("/")))
        with open(os.path.join(root, "tmp/cmds"), "w") as f:
            f.write("\n".join([*commands, "quit"]) + "\n")
        with open(os.path.join(root, "tmp/child-cmds"), "w") as f:
            f.write("file /tmp/child 777\nquit\n")
        inner = (f"mount -t proc proc {root}/proc && exec chroot {root} /opt/scope/bin/scope "
                 "run -v 9 --metricformat ndjson -p 1 -m file:///tmp/m.json "
                 "-e file:///tmp/e.json -- /bin/glibc_worker")
        with open(os.path.join(root, "tmp/cmds")) as stdin:
            p = subprocess.run(["unshare", "--mount", "--fork", "--propagation", "private",
                                "env", "-i", "SCOPE_HOME=/tmp/home", "sh", "-c", inner],
                               stdin=stdin, capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.root = root
        return p.stdout.decode().splitlines()

    commands = ["file /tmp/own 12345", "system echo 12345 > /tmp/s.out",
                "popen echo 1234567",
                "system /bin/glibc_worker < /tmp/child-cmds > /tmp/child.out"]
    # the shell ran each (not 127): its status 0; popen read "1234567\n"
    answers = ["ready", "done 12345", "done 0", "done 0 8", "done 0"]

    def lines(self, name):
        return read_ndjson(os.path.join(self.root, "tmp", name))

    def assert_own_counts(self, m):
        """The glibc program's own I/O, exact."""
        self.assertEqual(per_file_sum(m, "fs.write").get("/tmp/own"), 12345)
        self.assertEqual(per_file_sum(m, "fs.read").get("/tmp/own"), 12345)
        self.assertEqual(per_file_sum(m, "fs.open").get("/tmp/own"), 2)
        self.assertEqual(per_file_sum(m, "fs.close").get("/tmp/own"), 2)
        with open(os.path.join(self.root, "tmp/child.out")) as f:
            self.assertEqual(f.read().split(), ["ready", "done", "777"])

    def test_shell_observed_with_the_musl_build(self):
        self.assertEqual(self.run_in_root(self.commands), self.answers)
        m = self.lines("m.json")
        self.assert_own_counts(m)
        # the shell's own write (echo), counted by the musl build in it
        self.assertEqual(per_file_sum(m, "fs.write").get("/tmp/s.out"), 6)
        self.assertTrue(any(b.get("proc") == "sh" for b in metrics_named(m, "fs.write")),
                        metrics_named(m, "fs.write"))
        # the glibc program the musl shell exec'd got the glibc build back
        self.assertEqual(per_file_sum(m, "fs.write").get("/tmp/child"), 777)
        self.assertEqual([n for n in notices(os.path.join(self.root, "tmp/e.json"))
                          if "C library" in n], [])

    def test_shell_unobserved_said(self):
        self.assertEqual(self.run_in_root(self.commands, musl_build=False), self.answers)
        m = self.lines("m.json")
        self.assert_own_counts(m)
        self.assertNotIn("/tmp/s.out", per_file_sum(m, "fs.write"))
        said = [n for n in notices(os.path.join(self.root, "tmp/e.json"))
                if "/bin/sh runs on the other C library" in n]
        self.assertEqual(len(said), 1, notices(os.path.join(self.root, "tmp/e.json")))


if __name__ == "__main__":
    unittest.main()
