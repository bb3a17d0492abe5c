"""fds scope has no record of are learned at their first use: the
standard fds as the shell redirected them, a connection that an accept
already in progress at attach returns, an fd received over a unix socket.
"""
import os
import socket
import subprocess
import sys
import unittest

from scopetest import (PYTHON, SCOPE, ScopeTest, metric_sum, metrics_named, read_ndjson,
                      texts)
from scopetest import AttachTest


class RedirectedStdioTest(ScopeTest):
    def run_redirected(self, cmd, stdin, stdout, extra=()):
        args = [SCOPE, "run", "-v", "9", "--metricformat", "ndjson",
                "-m", "file://" + self.metrics, "-e", "file://" + self.events,
                *extra, "--", *cmd]
        p = subprocess.run(args, env=self.env, stdin=stdin, stdout=stdout,
                           stderr=subprocess.PIPE, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr.decode(errors="replace"))

    def test_gzip_counts_its_redirected_stdin_and_stdout_as_those_files(self):
        src, dst = os.path.join(self.dir, "in"), os.path.join(self.dir, "out.gz")
        with open(src, "wb") as f:
            f.write(os.urandom(3 << 20))
        with open(src, "rb") as i, open(dst, "wb") as o:
            self.run_redirected(["gzip", "-c"], i, o)
        lines = self.metric_lines()
        self.assertEqual(metric_sum(lines, "fs.read", file=src), 3 << 20)
        self.assertEqual(metric_sum(lines, "fs.write", file=dst), os.path.getsize(dst))
        # a file on stdout is that file: its bytes are no console text
        self.assertEqual(texts(self.event_lines(), "console"), {})
        self.assert_schema_valid(self.metrics, self.events)

    def test_a_socket_on_stdout_counts_as_that_socket(self):
        src = os.path.join(self.dir, "in")
        with open(src, "wb") as f:
            f.write(os.urandom(100000))
        mine, theirs = socket.socketpair()
        got = bytearray()
        with mine, theirs, open(src, "rb") as i:
            self.run_redirected(["dd", "bs=4096", "status=none"], i, theirs.fileno())
            theirs.close()
            while chunk := mine.recv(65536):
                got += chunk
        self.assertEqual(len(got), 100000)
        lines = self.metric_lines()
        self.assertEqual(metric_sum(lines, "net.tx"), 100000)
        self.assertEqual(metric_sum(lines, "fs.read", file=src), 100000)
        self.assertEqual(texts(self.event_lines(), "console"), {})

    def test_a_log_file_on_stdout_gives_file_events(self):
        log = os.path.join(self.dir, "app.log")
        with open(log, "wb") as o:
            self.run_redirected(["/bin/echo", "hello from stdout"], subprocess.DEVNULL, o)
        events = self.event_lines()
        self.assertEqual(texts(events, "file"), {log: "hello from stdout"})
        self.assertEqual(texts(events, "console"), {})

    def test_a_pipe_on_stdout_stays_the_console(self):
        self.run_redirected(["/bin/echo", "to the console"], subprocess.DEVNULL,
                            subprocess.PIPE)
        self.assertEqual(texts(self.event_lines(), "console"), {"stdout": "to the console"})


SERVER = r"""
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
print("ready", flush=True)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
n = 0
while True:
    b = c.recv(65536)
    if not b:
        break
    n += len(b)
print("got", n, flush=True)
sys.stdin.readline()
"""

# Receives a connected socket over a unix socket (SCM_RIGHTS), sends on it.
FD_RECEIVER = r"""
import os, socket, sys
u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
u.connect(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
msg, fds, flags, addr = socket.recv_fds(u, 16, 1)
c = socket.socket(fileno=fds[0])
c.sendall(b"y" * 5000)
c.close()
print("sent", flush=True)
sys.stdin.readline()
"""


def received(sock):
    """Bytes read from sock until its peer closes."""
    n = 0
    while chunk := sock.recv(65536):
        n += len(chunk)
    return n


class LearnedAfterAttachTest(AttachTest):
    def net_sum(self, name):
        if not os.path.exists(self.metrics):
            return 0
        return sum(b["_value"] for b in metrics_named(read_ndjson(self.metrics), name))

    def test_the_connection_an_accept_blocked_at_attach_returns_is_counted(self):
        p = self.python_ready(SERVER)
        port = int(p.stdout.readline())
        self.attach(p.pid)
        with socket.create_connection(("127.0.0.1", port)) as c:
            c.sendall(b"x" * 5000)
        self.assertEqual(p.stdout.readline().split(), ["got", "5000"])
        self.wait_for(lambda: self.net_sum("net.rx") == 5000, 5, "net.rx of the accepted connection")

    def test_a_socket_received_over_a_unix_socket_is_counted(self):
        path = os.path.join(self.dir, "pass.sock")
        lst = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lst.bind(path)
        lst.listen(1)
        tcp = socket.socket()
        tcp.bind(("127.0.0.1", 0))
        tcp.listen(1)
        with lst, tcp:
            p = self.started([PYTHON, "-c", FD_RECEIVER, path])
            u, _ = lst.accept()
            self.attach(p.pid)
            out = socket.create_connection(tcp.getsockname())
            peer, _ = tcp.accept()
            with u, out, peer:
                socket.send_fds(u, [b"f"], [out.fileno()])
                out.close()
                self.assertEqual(self.ask(p, "go"), "sent")
                self.assertEqual(received(peer), 5000)
        self.wait_for(lambda: self.net_sum("net.tx") == 5000, 5, "net.tx of the received socket")

    def test_a_connection_opened_before_attach_and_used_after_is_counted(self):
        tcp = socket.socket()
        tcp.bind(("127.0.0.1", 0))
        tcp.listen(1)
        with tcp:
            p = self.python_ready(
                "import socket, sys\n"
                f"c = socket.create_connection(('127.0.0.1', {tcp.getsockname()[1]}))\n"
                "print('ready', flush=True)\n"
                "sys.stdin.readline()\n"
                "c.sendall(b'z' * 5000)\n"
                "c.close()\n"
                "print('sent', flush=True)\n"
                "sys.stdin.readline()\n")
            peer, _ = tcp.accept()
            self.attach(p.pid)
            with peer:
                self.assertEqual(self.ask(p, "go"), "sent")
                self.assertEqual(received(peer), 5000)
        self.wait_for(lambda: self.net_sum("net.tx") == 5000, 5, "net.tx of the pooled connection")


if __name__ == "__main__":
    unittest.main()
