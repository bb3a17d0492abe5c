"""test_musl.py: programs linked against musl (what Alpine images run),
observed with the musl build of libscope.so (lib/musl/libscope.so), which
scope picks by the program's dynamic linker (PT_INTERP):
  - under `scope run` and `scope attach`, every byte of file and socket I/O
    counted exactly; after detach nothing more is counted, every GOT slot
    holds what it held before (`scope inspect --json`) and the program
    exits 0;
  - the same for a -fno-plt build, whose calls go through GLOB_DAT slots;
  - a musl program scope cannot serve (this scope has no musl build) is
    refused with the reason: the program is not started with a library
    that would kill it (glibc's, exit 127), and an attach leaves it
    untouched;
  - under `scope run`, a child exec'd or posix_spawn'ed across C libraries
    (a glibc shell starting a musl program, a musl program exec'ing a glibc
    one) gets the build for its own C library: it starts, and is counted; without a musl
    build a musl child runs unobserved rather than not at all;
  - musl exports no _r_debug: while a thread is inside dlopen (holding the
    loader's lock), attach reads the loader's state through the program's
    DT_DEBUG and says "try again" instead of calling a dlopen that would
    wait for that lock for ever.
The programs are tests/musl/*.c, built with musl-gcc."""
import os
import shutil
import socket
import subprocess
import threading
import time
import unittest

from scopetest import (BUILD, LIB, PYTHON, AttachTest, metrics_named, per_file_sum,
                       read_ndjson)

FIXTURES = os.path.join(BUILD, "tests", "musl")
WORKER = os.path.join(FIXTURES, "musl_worker")
WORKER_NOPLT = os.path.join(FIXTURES, "musl_worker_noplt")
DLOPEN_WAITER = os.path.join(FIXTURES, "dlopen_waiter")
MUSL_LIB = os.path.join(BUILD, "lib", "musl", "libscope.so")
MUSL_LOADER = "/lib/ld-musl-x86_64.so.1"


def net_sums(lines, name, port):
    """Summed _value of the per-connection `name` lines whose peer is port."""
    return sum(b["_value"] for b in metrics_named(lines, name) if b.get("remotep") == port)


class EchoServer:
    """A loopback TCP server that sends back what each connection sent,
    once the peer has shut down its side."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with c:
                data = b""
                while True:
                    d = c.recv(65536)
                    if not d:
                        break
                    data += d
                c.sendall(data)

    def close(self):
        self.sock.close()


class MuslTest(AttachTest):
    def setUp(self):
        super().setUp()
        self.assertTrue(shutil.which("musl-gcc"), "musl-gcc is missing: install musl-tools "
                        "(scripts/deps.sh does)")
        for f in (WORKER, WORKER_NOPLT, DLOPEN_WAITER, MUSL_LIB):
            self.assertTrue(os.path.exists(f), f"{f} was not built")
        with open(WORKER, "rb") as f:
            self.assertIn(MUSL_LOADER.encode(), f.read(4096), "the worker is not musl-linked")
        self.server = EchoServer()
        self.addCleanup(self.server.close)
        self.data = os.path.join(self.dir, "data")

    def library_alone(self):
        """From now on, a scope without a musl build: its glibc library
        copied alone."""
        lib = os.path.join(self.dir, "lib")
        os.mkdir(lib, 0o755)
        os.chmod(self.dir, 0o755)
        shutil.copy2(LIB, lib)
        self.env["SCOPE_LIB_PATH"] = os.path.join(lib, "libscope.so")

    def commands(self, nfile, nnet):
        return [f"file {self.data} {nfile}", f"net {self.server.port} {nnet}"]

    def assert_counted(self, lines, nfile, nnet):
        self.assertEqual(per_file_sum(lines, "fs.write").get(self.data), nfile)
        self.assertEqual(per_file_sum(lines, "fs.read").get(self.data), nfile)
        self.assertEqual(per_file_sum(lines, "fs.open").get(self.data), 2)
        self.assertEqual(per_file_sum(lines, "fs.close").get(self.data), 2)
        self.assertEqual(net_sums(lines, "net.tx", self.server.port), nnet)
        self.assertEqual(net_sums(lines, "net.rx", self.server.port), nnet)


class MuslRun(MuslTest):
    """scope run: the musl build is preloaded, the counts are exact."""

    def check_run(self, program):
        script = os.path.join(self.dir, "commands")
        with open(script, "w") as f:
            f.write("\n".join(self.commands(123457, 234567) + ["quit"]) + "\n")
        with open(script) as stdin:
            p = self.scope_run([program], stdin=stdin)
        self.assertEqual(p.stdout.decode().split(), ["ready", "done", "123457", "done", "234567"])
        self.assert_counted(self.metric_lines(), 123457, 234567)
        self.assert_schema_valid(self.metrics, self.events)

    def test_worker(self):
        self.check_run(WORKER)

    def test_worker_noplt(self):
        self.check_run(WORKER_NOPLT)

    def test_script_run_by_musl_program(self):
        """A script whose interpreter (#!) is a musl program."""
        script = os.path.join(self.dir, "script")
        with open(script, "w") as f:
            f.write(f"#!{WORKER}\n")
        os.chmod(script, 0o755)
        self.check_run(script)


class MuslAttach(MuslTest):
    """scope attach to a running musl program: exact counts while attached,
    none after detach, the GOT as it was, exit 0."""

    def check_attach(self, program):
        p = self.started([program])
        before = self.slots(p.pid)
        self.assertTrue(before, "scope inspect found no slot")
        self.assertEqual(self.ask(p, self.commands(0, 0)[0]), "done 0")   # before: not seen
        r = self.attach(p.pid)
        self.assertIn("attached to", r.stderr)
        for c in self.commands(54321, 65432):
            self.assertRegex(self.ask(p, c), r"^done \d+$")
        self.wait_for(lambda: net_sums(read_ndjson(self.metrics), "net.rx",
                                       self.server.port) == 65432, 10, "the counts while attached")
        self.detach(p.pid)
        self.assertEqual(self.slots(p.pid), before)
        self.assert_got_as_before(before, self.slots(p.pid), "after detach")
        for c in self.commands(777, 888):
            self.assertRegex(self.ask(p, c), r"^done \d+$")
        time.sleep(1.5)                     # a period: anything counted would be out
        self.assert_counted(read_ndjson(self.metrics), 54321, 65432)
        p.stdin.write("quit\n")
        p.stdin.flush()
        self.assertEqual(p.wait(timeout=10), 0)
        self.assert_schema_valid(self.metrics, self.events)

    def test_worker(self):
        self.check_attach(WORKER)

    def test_worker_noplt(self):
        self.check_attach(WORKER_NOPLT)


class MuslRefused(MuslTest):
    """A scope without a musl build (its library copied alone): a musl
    program is refused with the reason, before anything is done to it."""

    def setUp(self):
        super().setUp()
        self.library_alone()

    def test_run(self):
        p = self.scope_run([WORKER], check_status=2)
        err = p.stderr.decode()
        self.assertIn("runs on musl (its dynamic linker is /lib/ld-musl-x86_64.so.1)", err)
        self.assertIn("no libscope.so built for musl", err)
        self.assertEqual(p.stdout, b"", "the program was started")

    def test_attach(self):
        p = self.started([WORKER])
        before = self.slots(p.pid)
        r = self.attach(p.pid, check=1)
        self.assertIn(f"{p.pid} (musl_worker): it runs on musl", r.stderr)
        self.assertIn("musl-tools", r.stderr)
        self.assertNotIn("libscope.so", open(f"/proc/{p.pid}/maps").read())
        self.assertEqual(self.slots(p.pid), before)
        self.assertEqual(self.ask(p, self.commands(10, 10)[0]), "done 10")
        p.stdin.write("quit\n")
        p.stdin.flush()
        self.assertEqual(p.wait(timeout=10), 0)


def pids_of(lines, name):
    """The pids whose proc is name in metric lines."""
    return {l["body"]["pid"] for l in lines if l.get("type") == "metric"
            and l["body"].get("proc") == name}


class MuslExec(MuslTest):
    """scope run across exec between glibc and musl programs."""

    def script(self, *lines):
        path = os.path.join(self.dir, "commands")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def test_glibc_shell_starts_musl_program(self):
        cmds = self.script(f"file {self.data} 4321", "quit")
        p = self.scope_run(["/bin/sh", "-c", f"{WORKER} < {cmds}; echo worker $?"])
        self.assertEqual(p.stdout.decode().split(), ["ready", "done", "4321", "worker", "0"])
        m = self.metric_lines()
        self.assertEqual(per_file_sum(m, "fs.write").get(self.data), 4321)
        self.assertEqual(per_file_sum(m, "fs.read").get(self.data), 4321)
        self.assertEqual(len(pids_of(m, "musl_worker")), 1, "the musl child reported")

    def test_glibc_program_spawns_musl_program(self):
        """posix_spawn: python3's os.posix_spawn calls glibc's."""
        cmds = self.script(f"file {self.data} 2468", "quit")
        spawn = ("import os, sys\n"
                 f"fd = os.open({cmds!r}, os.O_RDONLY)\n"
                 f"pid = os.posix_spawn({WORKER!r}, [{WORKER!r}], dict(os.environ),"
                 " file_actions=[(os.POSIX_SPAWN_DUP2, fd, 0)])\n"
                 "sys.stdout.flush()\n"
                 "print('worker', os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))\n")
        p = self.scope_run([PYTHON, "-c", spawn])
        self.assertEqual(p.stdout.decode().split(), ["ready", "done", "2468", "worker", "0"])
        self.assertEqual(per_file_sum(self.metric_lines(), "fs.write").get(self.data), 2468)

    def test_emptied_environment(self):
        """The program clears its environment before exec: the builds are
        known from the library's load."""
        with open(self.script(f"file {self.data} 1357", "quit")) as stdin:
            p = self.scope_run([PYTHON, "-c", "import os; os.environ.clear(); "
                                f"os.execv({WORKER!r}, [{WORKER!r}])"], stdin=stdin)
        self.assertEqual(p.stdout.decode().split(), ["ready", "done", "1357"])
        self.assertEqual(per_file_sum(self.metric_lines(), "fs.write").get(self.data), 1357)

    def test_musl_program_execs_glibc_program(self):
        with open(self.data, "wb") as f:
            f.write(b"c" * 5678)
        with open(self.script(f"exec /bin/cat {self.data}")) as stdin:
            p = self.scope_run([WORKER], stdin=stdin)
        self.assertEqual(p.stdout, b"ready\n" + b"c" * 5678)
        m = self.metric_lines()
        self.assertEqual(per_file_sum(m, "fs.read").get(self.data), 5678)
        self.assertTrue(pids_of(m, "cat"), "cat, on glibc, reported")

    def test_no_musl_build_musl_child_runs(self):
        self.library_alone()
        cmds = self.script(f"file {self.data} 99", "quit")
        p = self.scope_run(["/bin/sh", "-c", f"{WORKER} < {cmds}; echo worker $?"])
        self.assertEqual(p.stdout.decode().split(), ["ready", "done", "99", "worker", "0"])
        self.assertFalse(pids_of(self.metric_lines(), "musl_worker"))


class MuslLoaderBusy(MuslTest):
    """A thread of a musl program blocked inside dlopen: attach is refused
    (try again), the program is untouched; once dlopen has returned,
    attach works."""

    def in_open(self, pid):
        """A thread of pid is blocked in open or openat (of the FIFO)."""
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/syscall") as f:
                if f.read().split()[0] in ("2", "257"):
                    return True
        return False

    def test_attach_while_loading(self):
        fifo = os.path.join(self.dir, "fifo")
        os.mkfifo(fifo, 0o600)
        p = self.started([DLOPEN_WAITER, fifo])
        self.wait_for(lambda: self.in_open(p.pid), 10, "the thread inside dlopen")
        r = self.attach(p.pid, check=1)
        self.assertIn("busy loading a library; try again", r.stderr)
        self.assertNotIn("libscope.so", open(f"/proc/{p.pid}/maps").read())
        os.close(os.open(fifo, os.O_WRONLY))     # its dlopen reads nothing and fails
        self.assertEqual(p.stdout.readline().strip(), "dlopen returned")
        self.attach(p.pid, check=0)
        self.detach(p.pid, check=0)
        p.stdin.write("quit\n")
        p.stdin.flush()
        self.assertEqual(p.wait(timeout=10), 0)


if __name__ == "__main__":
    unittest.main()
