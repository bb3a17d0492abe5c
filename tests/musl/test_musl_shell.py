"""test_musl_shell.py: the shells a C library starts where no wrapper sees
it (system(), popen(): posix_spawn inside libc), across C libraries, and
the programs scope cannot observe being said.

  - a musl program under `scope run` on a glibc host: system() and popen()
    start glibc's /bin/sh, which must start (it exited 127 when given the
    musl build in LD_PRELOAD: "invalid ELF header") and is observed with
    the glibc build;
  - a glibc shell under `scope run` starting a musl program with no usable
    musl build: the program runs unobserved and a notice says so.
"""
import os
import unittest

from scopetest import per_file_sum, read_ndjson

from test_musl import WORKER, MuslTest


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


if __name__ == "__main__":
    unittest.main()
