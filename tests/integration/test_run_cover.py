"""What scope run covers beyond plain reads and writes: functions looked up with dlsym, the
positioned vector calls, sendfile, rename, the old stat entry points,
fs.error and net.error events, log file events, event name filters,
binary console output, net.port and net.other, the start message, and
every pid of a shell pipeline on its own."""
import os
import re
import socket
import unittest

from scopetest import (BUILD, PYTHON, AttachTest, ScopeTest, events_of, example, metric_sum,
                       metrics_named, per_file_sum, read_ndjson, texts)


class DlsymTest(ScopeTest):
    def test_write_looked_up_with_dlsym_is_observed(self):
        # dlsymdemo calls write only through pointers from dlsym (RTLD_DEFAULT
        # and a dlopen handle): no GOT slot of its own names write.
        out = os.path.join(self.dir, "dl.out")
        self.scope_run([example("dlsymdemo"), out, "10001"])
        self.assertEqual(os.path.getsize(out), 10001)
        self.assertEqual(per_file_sum(self.metric_lines(), "fs.write").get(out), 10001)
        self.assert_schema_valid(self.metrics, self.events)

    def test_programs_own_rtld_next_interposer_still_works(self):
        # LD_PRELOAD=libscope.so:libnextwrap.so. nextwrap's write asks for
        # dlsym(RTLD_NEXT, "write"): answered as if from libscope it would be
        # nextwrap's own write, and dd would recurse until it crashed.
        out = os.path.join(self.dir, "dd.out")
        seen = os.path.join(self.dir, "nextwrap.count")
        # Set by env(1) under scope, not for scope itself (an ASan build of
        # the CLI refuses a preloaded library); scope keeps itself in front.
        self.scope_run(["env", "LD_PRELOAD=" + os.path.join(BUILD, "lib", "libnextwrap.so"),
                        "NEXTWRAP_OUT=" + seen,
                        "dd", "if=/dev/zero", "of=" + out, "bs=1000", "count=5"])
        self.assertEqual(os.path.getsize(out), 5000)
        self.assertEqual(per_file_sum(self.metric_lines(), "fs.write").get(out), 5000)
        with open(seen) as f:
            counts = [int(l) for l in f.read().split()]
        self.assertTrue(any(c >= 5000 for c in counts), counts)


class MoreCallsTest(ScopeTest):
    def run_py(self, body, **kw):
        return self.scope_run([PYTHON, "-c", "import os, socket, threading\n" + body], **kw)

    def test_positioned_vector_calls_count_exactly(self):
        f = os.path.join(self.dir, "vec")
        # pwritev, pwritev2 (a flag makes python call the v2 form), preadv,
        # preadv2: 123 + 10 bytes written, 100 + 7 read.
        self.run_py(f"fd = os.open({f!r}, os.O_RDWR|os.O_CREAT, 0o600)\n"
                    "assert os.pwritev(fd, [b'a' * 100, b'b' * 23], 0) == 123\n"
                    "assert os.pwritev(fd, [b'c' * 10], 200, os.RWF_DSYNC) == 10\n"
                    "assert os.preadv(fd, [bytearray(50), bytearray(50)], 0) == 100\n"
                    "assert os.preadv(fd, [bytearray(7)], 0, os.RWF_HIPRI) == 7\n"
                    "os.close(fd)\n")
        m = self.metric_lines()
        self.assertEqual(per_file_sum(m, "fs.write").get(f), 133)
        self.assertEqual(per_file_sum(m, "fs.read").get(f), 107)
        self.assertEqual(metric_sum(m, "fs.write", field="numops", file=f), 2)

    def test_sendfile_is_a_file_read_and_a_socket_send(self):
        f = os.path.join(self.dir, "src")
        with open(f, "wb") as out:
            out.write(b"s" * 50000)
        self.run_py("srv = socket.create_server(('127.0.0.1', 0))\n"
                    "got = []\n"
                    "def serve():\n"
                    "    c, _ = srv.accept()\n"
                    "    n = 0\n"
                    "    while (b := c.recv(65536)):\n"
                    "        n += len(b)\n"
                    "    got.append(n)\n"
                    "t = threading.Thread(target=serve)\n"
                    "t.start()\n"
                    "s = socket.create_connection(srv.getsockname())\n"
                    f"fd = os.open({f!r}, os.O_RDONLY)\n"
                    "off = 0\n"
                    "while off < 50000:\n"
                    "    off += os.sendfile(s.fileno(), fd, off, 50000 - off)\n"
                    "s.close()\n"
                    "t.join()\n"
                    "assert got == [50000], got\n")
        m = self.metric_lines()
        self.assertEqual(per_file_sum(m, "fs.read").get(f), 50000)
        # the client's tx (sendfile) and the server's rx (recv)
        self.assertEqual(metric_sum(m, "net.tx"), 50000)
        self.assertEqual(metric_sum(m, "net.rx"), 50000)

    def test_old_stat_entry_points_count_as_stat(self):
        f = os.path.join(self.dir, "statme")
        missing = os.path.join(self.dir, "missing")
        open(f, "w").close()
        self.scope_run([example("xstatdemo"), f, missing])
        m = self.metric_lines()
        self.assertEqual(metric_sum(m, "fs.stat", file=f), 2)      # __fxstat, __fxstat64
        self.assertEqual(sum(b["_value"] for b in metrics_named(m, "fs.stat")
                             if "file" not in b), 6)
        self.assertEqual(metric_sum(m, "fs.error", **{"class": "stat"}), 1)
        errors = events_of(self.event_lines(), "fs.error")
        self.assertEqual([(e["data"]["op"], e["data"]["file"]) for e in errors],
                         [("__xstat", missing)])
        self.assert_schema_valid(self.metrics, self.events)


class ImplicitCloseTest(ScopeTest):
    def test_dup2_and_close_range_close_files_with_their_totals(self):
        """A file whose last fd goes by dup2 onto it, or by close_range, is
        closed: an fs.close event with what was written to it."""
        a, b, c = (os.path.join(self.dir, n) for n in "abc")
        body = ("import os\n"
                f"a = os.open({a!r}, os.O_WRONLY | os.O_CREAT); os.write(a, b'x' * 10)\n"
                f"b = os.open({b!r}, os.O_WRONLY | os.O_CREAT); os.write(b, b'y' * 5)\n"
                "os.dup2(b, a)\n"
                f"c = os.open({c!r}, os.O_WRONLY | os.O_CREAT); os.write(c, b'z' * 7)\n"
                "os.closerange(c, c + 1)\n"
                "os.close(a); os.close(b)\n")
        self.scope_run([PYTHON, "-c", body])
        closes = {e["data"]["file"]: e["data"] for e in events_of(self.event_lines(), "fs.close")
                  if e["data"]["file"] in (a, b, c)}
        self.assertEqual({f: d["file_write_bytes"] for f, d in closes.items()},
                         {a: 10, b: 5, c: 7})
        self.assertEqual({d["op"] for d in closes.values()}, {"close"})
        self.assert_schema_valid(self.events)

    def test_a_number_reused_while_the_records_are_out_closes_the_old_file(self):
        # The program closes a's fd behind our back (a raw system call),
        # then opens /dev/null until libscope's 16384 file records are all
        # in use: the open that gets a's number has no record of its own,
        # and a's is still mapped there. a is closed all the same. (The
        # pause lets the reporter empty the queue the opens' events filled.)
        a = os.path.join(self.dir, "a")
        body = ("import ctypes, os, resource, time\n"
                "resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))\n"
                f"a = os.open({a!r}, os.O_WRONLY | os.O_CREAT); os.write(a, b'x' * 3)\n"
                "held = [os.open('/dev/null', os.O_RDONLY) for _ in range(16400)]\n"
                "time.sleep(0.2)\n"
                "assert ctypes.CDLL(None).syscall(3, a) == 0\n"
                "assert os.open('/dev/null', os.O_RDONLY) == a\n")
        self.scope_run([PYTHON, "-c", body], env=dict(self.env, SCOPE_EVENT_MAXEPS="10000000"))
        closes = [e["data"] for e in events_of(self.event_lines(), "fs.close")
                  if e["data"]["file"] == a]
        self.assertEqual([(d["op"], d["file_write_bytes"]) for d in closes], [("close", 3)])


class ErrorEventsTest(ScopeTest):
    def test_failed_calls_are_error_events_and_metrics(self):
        missing = os.path.join(self.dir, "no", "such")
        wo = os.path.join(self.dir, "writeonly")
        closed = socket.socket()
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]      # bound, not listening: refused
        self.scope_run([PYTHON, "-c",
                        "import errno, os, socket\n"
                        "def fails(fn, *a):\n"
                        "    try:\n"
                        "        fn(*a)\n"
                        "    except OSError:\n"
                        "        return\n"
                        "    raise SystemExit('did not fail: %s' % fn.__name__)\n"
                        f"fails(os.open, {missing!r}, os.O_RDONLY)\n"
                        f"fails(os.rename, {missing!r}, {missing + '2'!r})\n"
                        f"fd = os.open({wo!r}, os.O_WRONLY|os.O_CREAT, 0o600)\n"
                        "fails(os.read, fd, 10)\n"
                        f"fails(socket.create_connection, ('127.0.0.1', {port}))\n"])
        closed.close()
        ev = self.event_lines()
        fs = [(e["data"]["op"], e["data"].get("file"), e["data"]["class"])
              for e in events_of(ev, "fs.error")]
        self.assertIn(("open64", missing, "open_close"), fs)
        self.assertIn(("rename", missing, "open_close"), fs)
        self.assertIn(("read", wo, "read_write"), fs)
        net = [(e["data"]["op"], e["data"]["class"]) for e in events_of(ev, "net.error")]
        self.assertEqual(net, [("connect", "connection")])
        for e in events_of(ev, "fs.error") + events_of(ev, "net.error"):
            self.assertEqual(e["sourcetype"], "metric")
            self.assertEqual(e["data"]["_value"], 1)
        m = self.metric_lines()
        self.assertGreaterEqual(metric_sum(m, "fs.error", **{"class": "open_close"}), 2)
        self.assertEqual(metric_sum(m, "fs.error", **{"class": "read_write"}, file=wo), 1)
        self.assertEqual(metric_sum(m, "net.error", **{"class": "connection"}), 1)
        self.assert_schema_valid(self.metrics, self.events)


class LogFileEventsTest(ScopeTest):
    def write_files(self, env=None, check_status=0):
        d = self.dir
        os.mkdir(os.path.join(d, "logs"))
        long_line = "L" * 1000
        return self.scope_run(["sh", "-c",
                               f"echo first >> {d}/app.log; echo second >> {d}/app.log; "
                               f"echo rotated > {d}/app.log.1; echo in-dir > {d}/logs/current; "
                               f"echo {long_line} > {d}/long.log; echo not-a-log > {d}/data.txt"],
                              env=env, check_status=check_status)

    def test_writes_to_log_files_become_file_events(self):
        self.write_files()
        d = self.dir
        got = texts(self.event_lines(), "file")
        self.assertEqual(got, {f"{d}/app.log": "first\nsecond\n", f"{d}/app.log.1": "rotated\n",
                               f"{d}/logs/current": "in-dir\n", f"{d}/long.log": "L" * 1000 + "\n"})
        self.assert_schema_valid(self.events)

    def test_switch_and_pattern(self):
        self.write_files(env=dict(self.env, SCOPE_EVENT_LOGFILE_NAME=r"data\.txt$"))
        self.assertEqual(texts(self.event_lines(), "file"),
                         {f"{self.dir}/data.txt": "not-a-log\n"})

    def test_off(self):
        self.write_files(env=dict(self.env, SCOPE_EVENT_FILE="false"))
        self.assertEqual(texts(self.event_lines(), "file"), {})
        self.assertEqual(per_file_sum(self.metric_lines(), "fs.write").get(f"{self.dir}/app.log"), 13)


    def test_burst_at_open_is_sent_or_counted_exactly(self):
        # 200 writes of 100 bytes right after the open: what was written
        # before the reporter knew app.log for a log file past the probe is
        # said in a notice; sent + said = written.
        log = os.path.join(self.dir, "burst.log")
        self.scope_run([PYTHON, "-c",
                        f"import os\nfd = os.open({log!r}, os.O_WRONLY|os.O_CREAT, 0o600)\n"
                        "for i in range(200):\n"
                        "    os.write(fd, b'%099d\\n' % i)\n"])
        lines = self.event_lines()
        sent = len(texts(lines, "file").get(log, ""))
        said = 0
        for b in events_of(lines, "notice"):
            m = re.search(r"did not send (\d+) bytes written to log files", b["data"])
            said += int(m.group(1)) if m else 0
        self.assertEqual(sent + said, 20000)
        self.assertGreaterEqual(sent, 4000)


class EventFiltersTest(ScopeTest):
    def test_name_filters_keep_only_matching_events(self):
        out = os.path.join(self.dir, "f")
        env = dict(self.env, SCOPE_EVENT_FS_NAME=r"^fs\.close$", SCOPE_EVENT_CONSOLE_NAME="stderr",
                   SCOPE_EVENT_NET_NAME="^net\\.close$", SCOPE_EVENT_DNS_NAME="resp")
        self.scope_run([PYTHON, "-c",
                        "import os, socket, sys\n"
                        f"fd = os.open({out!r}, os.O_WRONLY|os.O_CREAT, 0o600)\n"
                        "os.write(fd, b'x')\n"
                        "os.close(fd)\n"
                        "socket.getaddrinfo('localhost', 80)\n"
                        "a, b = socket.socketpair()\n"
                        "srv = socket.create_server(('127.0.0.1', 0))\n"
                        "c = socket.create_connection(srv.getsockname())\n"
                        "c.close()\n"
                        "print('to stdout', flush=True)\n"
                        "print('to stderr', file=sys.stderr, flush=True)\n"], env=env)
        sources = {l["body"]["source"] for l in self.event_lines() if l.get("type") == "evt"}
        self.assertIn("fs.close", sources)
        self.assertIn("net.close", sources)
        self.assertIn("dns.resp", sources)
        self.assertIn("stderr", sources)
        for gone in ("fs.open", "net.open", "dns.req", "stdout"):
            self.assertNotIn(gone, sources)

    def test_bad_regex_is_said_and_replaced_by_the_default(self):
        env = dict(self.env, SCOPE_EVENT_FS_NAME="(")
        p = self.scope_run(["sh", "-c", "echo hi"], env=env)
        self.assertIn('SCOPE_EVENT_FS_NAME="(" is not a valid regular expression', p.stderr.decode())
        self.assertIn("hi\n", texts(self.event_lines(), "console").get("stdout", ""))


class BinaryConsoleTest(ScopeTest):
    SCRIPT = "printf 'caf\\303\\251\\n'; printf '\\001\\002\\000\\377bin'; echo after"

    def test_binary_console_output_is_held_back_and_counted(self):
        self.scope_run(["sh", "-c", self.SCRIPT])
        lines = self.event_lines()
        self.assertEqual(texts(lines, "console").get("stdout"),
                         "caf\u00e9\nbinary data ignoredafter\n")
        notices = [b["data"] for b in events_of(lines, "notice")]
        self.assertTrue(any("did not send 7 bytes of console output" in n for n in notices), notices)
        self.assert_schema_valid(self.events)

    def test_allowed_binary_console_output_is_sent(self):
        self.scope_run(["sh", "-c", self.SCRIPT],
                       env=dict(self.env, SCOPE_ALLOW_BINARY_CONSOLE="true"))
        text = texts(self.event_lines(), "console").get("stdout")
        self.assertEqual(text, "caf\u00e9\n\u0001\u0002\u0000\ufffdbinafter\n")


class StartMessageTest(ScopeTest):
    def test_each_event_stream_opens_with_a_valid_start_message(self):
        # sh forks a child for the subshell: each pid opens its own stream
        # with its own start message, before any of its events.
        self.scope_run(["sh", "-c", "echo parent; (echo child; true)"],
                       env=dict(self.env, SCOPE_TAG_team="storage"))
        lines = self.event_lines()
        first_of = {}
        for i, l in enumerate(lines):
            pid = l["info"]["process"]["pid"] if "info" in l else l["body"]["pid"]
            first_of.setdefault(pid, (i, l))
        self.assertGreaterEqual(len(first_of), 2, "the subshell is a process of its own")
        for pid, (i, l) in first_of.items():
            self.assertIn("info", l, f"pid {pid}'s first line is not a start message")
            p = l["info"]["process"]
            self.assertEqual(p["uid"], os.getuid())
            self.assertEqual(p["hostname"], socket.gethostname())
            self.assertEqual(p["procname"], "sh")
            self.assertEqual(l["info"]["configuration"]["current"]["tags"], {"team": "storage"})
            self.assertEqual(l["info"]["configuration"]["current"]["event"]["transport"],
                             {"type": "file", "path": self.events})
        starts = [l for l in lines if "info" in l]
        self.assertEqual(len(starts), len(first_of))
        self.assertEqual(len({l["info"]["process"]["uuid"] for l in starts}), len(starts))
        self.assert_schema_valid(self.events)


class NetGaugesTest(ScopeTest):
    def test_port_and_other_gauges(self):
        # Open at exit: a listening TCP socket and a connection to it (three
        # inet sockets with a local port), and a SEQPACKET pair (other).
        self.scope_run([PYTHON, "-c",
                        "import socket, sys\n"
                        "srv = socket.create_server(('127.0.0.1', 0))\n"
                        "c = socket.create_connection(srv.getsockname())\n"
                        "a, _ = srv.accept()\n"
                        "pair = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)\n"
                        "sys.stdout.flush()\n"
                        "import os\n"
                        "os._exit(0)\n"])
        m = self.metric_lines()
        self.assertEqual([b["_value"] for b in metrics_named(m, "net.port")][-1:], [3])
        self.assertEqual([b["_value"] for b in metrics_named(m, "net.other")][-1:], [2])
        self.assert_schema_valid(self.metrics)


class ShellPipelineTest(ScopeTest):
    def test_each_pid_of_a_pipeline_and_subshell_reports_only_its_own(self):
        src = os.path.join(self.dir, "src")
        out = os.path.join(self.dir, "X")
        with open(src, "wb") as f:
            f.write(b"p" * 12345)
        p = self.scope_run(["bash", "-c",
                            f"cat {src} | wc -c; (dd if=/dev/zero of={out} bs=1k count=7 2>/dev/null)"])
        m = self.metric_lines()

        def by_pid(name, path):
            got = {}
            for b in metrics_named(m, name):
                if b.get("file") == path:
                    got[(b["pid"], b["proc"])] = got.get((b["pid"], b["proc"]), 0) + b["_value"]
            return got

        reads = by_pid("fs.read", src)
        self.assertEqual(list(reads.values()), [12345], reads)
        self.assertEqual([proc for _, proc in reads], ["cat"])
        writes = by_pid("fs.write", out)
        self.assertEqual(list(writes.values()), [7168], writes)
        self.assertEqual([proc for _, proc in writes], ["dd"])
        zero = by_pid("fs.read", "/dev/zero")
        self.assertEqual(list(zero.values()), [7168], zero)
        self.assertEqual(list(zero), list(writes))
        opens = by_pid("fs.open", src)
        self.assertEqual(list(opens.values()), [1], opens)
        # wc's answer reached the console from wc's own pid, once
        ev = self.event_lines()
        wc = [e for e in events_of(ev, "stdout") if e["proc"] == "wc"]
        self.assertEqual("".join(e["data"]["message"] for e in wc).strip(), "12345")
        self.assertEqual(p.stdout.decode().strip(), "12345")
        # every process image that reported opened its stream with its own
        # start message (a forked bash that execs cat is one pid, two images)
        pids = {b["pid"] for b in (l["body"] for l in m)}
        starts = [(l["info"]["process"]["pid"], l["info"]["process"]["procname"])
                  for l in ev if "info" in l]
        self.assertEqual(len(starts), len(set(starts)), starts)
        self.assertLessEqual(pids, {pid for pid, _ in starts})
        self.assertIn("cat", [proc for _, proc in starts])
        self.assertGreaterEqual(len(pids), 4)       # bash, cat, wc, dd (and subshell)
        self.assert_schema_valid(self.metrics, self.events)


class DlsymAttachTest(AttachTest):
    def test_dlsym_after_attach_gives_wrapper_that_outlives_detach(self):
        # python3's ctypes looks write up with dlsym when the attribute is
        # first used: after the attach, it must get the wrapper; after the
        # detach, that pointer must still write.
        data = os.path.join(self.dir, "ct.out")
        script = ("import ctypes, os, sys\n"
                  f"fd = os.open({data!r}, os.O_WRONLY|os.O_CREAT, 0o600)\n"
                  "print('ready', flush=True)\n"
                  "libc = None\n"
                  "for line in sys.stdin:\n"
                  "    libc = libc or ctypes.CDLL(None)\n"
                  "    n = int(line)\n"
                  "    print('wrote', libc.write(fd, b'c' * n, n), flush=True)\n")
        p = self.python_ready(script)
        self.attach(p.pid)
        for n in (700, 77):
            self.assertEqual(self.ask(p, str(n)), f"wrote {n}")
        self.wait_for(lambda: self.metric_sums("fs.write").get(data) == 777, 2.5,
                      "writes through a pointer dlsym gave after the attach")
        self.detach(p.pid)
        self.assertEqual(self.ask(p, "5"), "wrote 5")
        p.stdin.close()
        self.assertEqual(p.wait(timeout=10), 0)
        self.assertEqual(os.path.getsize(data), 782)



class LogAndErrorsAttachTest(AttachTest):
    def test_log_file_open_before_attach_and_errors_after(self):
        # The log file was open before the attach (learned from /proc at
        # attach); what is written after it becomes file events, and a
        # failed open after it an fs.error event.
        log = os.path.join(self.dir, "svc.log")
        missing = os.path.join(self.dir, "missing")
        script = ("import os, sys\n"
                  f"fd = os.open({log!r}, os.O_WRONLY|os.O_CREAT|os.O_APPEND, 0o600)\n"
                  "os.write(fd, b'before attach\\n')\n"
                  "print('ready', flush=True)\n"
                  "for line in sys.stdin:\n"
                  "    os.write(fd, line.encode())\n"
                  "    try:\n"
                  f"        os.open({missing!r}, os.O_RDONLY)\n"
                  "    except OSError:\n"
                  "        pass\n"
                  "    print('done', flush=True)\n")
        p = self.python_ready(script)
        self.attach(p.pid)
        self.assertEqual(self.ask(p, "after attach"), "done")

        def seen():
            if not os.path.exists(self.events):
                return False
            lines = read_ndjson(self.events)
            return (texts(lines, "file").get(log) == "after attach\n" and
                    [e["data"]["file"] for e in events_of(lines, "fs.error")] == [missing])
        self.wait_for(seen, 3, "file event and fs.error event after the attach")
        self.detach(p.pid)
        p.stdin.close()
        self.assertEqual(p.wait(timeout=10), 0)
        self.assert_schema_valid(self.events)


if __name__ == "__main__":
    unittest.main()
