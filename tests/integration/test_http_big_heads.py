"""HTTP heads larger than what a call usually hands over (4 KiB): up to
16 KiB they are parsed on both sides; a longer one is counted as not
parsed and said in a notice. nginx (its header buffer made big enough to
read a head at once) serves python3's http.client, which sends each head
in one sendall (read in one read), and a raw socket client that sends
each head as its first 100 bytes, then, a moment later, the rest (read
so too: the long call starts in the middle of the head)."""
import collections
import os
import subprocess
import time

from scopetest import (PYTHON, AttachTest, events_of, metrics_named, nginx_started, nginx_worker,
                       notices_told)

CLIENT = """
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
for arg in sys.argv[2:]:
    target, size = arg.split(":")
    headers = {"X-Pad-%d" % i: "p" * 1000 for i in range(int(size) // 1012)}
    c.request("GET", target, headers=headers)
    r = c.getresponse()
    r.read()
"""

SPLIT_CLIENT = """
import socket, sys, time
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
replies = c.makefile("rb")
for arg in sys.argv[2:]:
    target, size = arg.split(":")
    pad = "".join("X-Pad-%d: %s\\r\\n" % (i, "p" * 1000) for i in range(int(size) // 1012))
    head = ("GET %s HTTP/1.1\\r\\nHost: big\\r\\n%s\\r\\n" % (target, pad)).encode()
    c.sendall(head[:100])
    time.sleep(0.2)
    c.sendall(head[100:])
    length = 0
    for line in iter(replies.readline, b"\\r\\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    replies.read(length)
"""

# heads of about 10 KiB, one of about 20 KiB (past the bound), then a
# small one: the stream is parsed again after the long head
REQUESTS = ["/k.html:10240", "/k.html:10240", "/none:10240", "/k.html:10240",
            "/k.html:20480", "/k.html:100"]
PARSED = {("/k.html", 200): 4, ("/none", 404): 1}


def responses(lines, side):
    """{(target, status): count} of one side's http.resp events."""
    key = "http_server_duration" if side == "server" else "http_client_duration"
    return collections.Counter((e["data"]["http_target"], e["data"]["http_status_code"])
                               for e in events_of(lines, "http.resp") if key in e["data"])


def unparsed(lines):
    """The heads the notices say were not parsed."""
    return notices_told(lines, r"saw (\d+) HTTP requests? whose heads")


class BigHeadsTest(AttachTest):
    def setUp(self):
        super().setUp()
        root = os.path.join(self.dir, "www")
        os.makedirs(root)
        with open(os.path.join(root, "k.html"), "wb") as f:
            f.write(b"k" * 500)
        self.port, nginx = nginx_started(
            self, "client_header_buffer_size 64k; large_client_header_buffers 4 64k; "
                  "server { listen 127.0.0.1:{port}; root {dir}/www; }")
        url = f"http://127.0.0.1:{self.port}/k.html"
        self.wait_for(lambda: subprocess.run(["curl", "-sf", "-o", "/dev/null", url]).returncode
                      == 0, 10, "nginx up")
        self.worker = nginx_worker(self, nginx)

    def client(self, script=CLIENT):
        return [PYTHON, "-c", script, str(self.port), *REQUESTS]

    def assert_parsed(self, side):
        e, m = self.event_lines(), self.metric_lines()
        notices = [x["data"] for x in events_of(e, "notice")]
        self.assertEqual(responses(e, side), PARSED, notices)
        reqs = collections.Counter(b["http_status_code"] for b in metrics_named(m, "http.req")
                                   for _ in range(b["_value"]))
        self.assertEqual(reqs, {200: 4, 404: 1}, notices)
        self.assertEqual(unparsed(e), 1, notices)
        self.assert_schema_valid(self.metrics, self.events)

    def test_server_reads_each_head_at_once(self):
        self.attach(self.worker)
        time.sleep(0.5)
        subprocess.run(self.client(), check=True, timeout=60)
        time.sleep(1.5)
        self.detach(self.worker)
        self.assert_parsed("server")

    def test_client_writes_each_head_at_once(self):
        self.scope_run(self.client())
        self.assert_parsed("client")

    def test_server_reads_each_head_in_two(self):
        self.attach(self.worker)
        time.sleep(0.5)
        subprocess.run(self.client(SPLIT_CLIENT), check=True, timeout=60)
        time.sleep(1.5)
        self.detach(self.worker)
        self.assert_parsed("server")

    def test_client_writes_each_head_in_two(self):
        self.scope_run(self.client(SPLIT_CLIENT))
        self.assert_parsed("client")


if __name__ == "__main__":
    import unittest
    unittest.main()
