"""HTTP heads a program looks at with MSG_PEEK (recv, recvfrom, recvmsg,
recvmmsg) before it reads them, or only looks at: each byte is parsed
once, when the program first sees it, so a head only peeked at is seen
and one peeked then read is not counted twice. The programs are
tests/integration/peek_cases.py (a server and a client in one process),
peekget.c (a fortified C client: __recv_chk) and mmsgget.c (a C client
of sendmmsg and recvmmsg only) against nginx."""
import collections
import os
import subprocess

from scopetest import PYTHON, ScopeTest, events_of, example, metrics_named, nginx_started
from test_http import responses

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "peek_cases.py")
TARGETS = ["/a1", "/a2", "/b", "/c"]


class PeekTest(ScopeTest):
    def test_peeked_heads_are_parsed_once(self):
        p = self.scope_run([PYTHON, CASES], verbosity=5)
        self.assertEqual(p.stdout.decode(), "done\n")
        e, m = self.event_lines(), self.metric_lines()
        notices = [x["data"] for x in events_of(e, "notice")]
        got = collections.Counter({k: len(v) for k, v in responses(e).items()})
        want = collections.Counter({(side, t, 200): 1 for side in ("server", "client")
                                    for t in TARGETS})
        self.assertEqual(got, want, notices)
        reqs = collections.Counter(x["data"]["http_target"] for x in events_of(e, "http.req"))
        self.assertEqual(reqs, {t: 2 for t in TARGETS}, notices)
        counted = collections.Counter()
        for b in metrics_named(m, "http.req"):
            counted[b["http_target"]] += b["_value"]
        self.assertEqual(counted, {t: 2 for t in TARGETS}, notices)
        self.assertEqual(notices, [])
        self.assert_schema_valid(self.metrics, self.events)

    def nginx_serving_k(self):
        """nginx serving /k.html (500 bytes), up: its port."""
        root = os.path.join(self.dir, "www")
        os.makedirs(root)
        with open(os.path.join(root, "k.html"), "wb") as f:
            f.write(b"k" * 500)
        port, _ = nginx_started(self, "server { listen 127.0.0.1:{port}; root {dir}/www; }")
        url = f"http://127.0.0.1:{port}/k.html"
        self.wait_for(lambda: subprocess.run(["curl", "-sf", "-o", "/dev/null", url]).returncode
                      == 0, 10, "nginx up")
        return port

    def test_fortified_client_peeks(self):
        port = self.nginx_serving_k()
        # the last response only peeked at, never read
        p = self.scope_run([example("peekget"), str(port), "/k.html", "/none", "/k.html"])
        self.assertEqual(p.stdout.decode().split(), ["200", "404", "200"])
        e = self.event_lines()
        notices = [x["data"] for x in events_of(e, "notice")]
        got = collections.Counter({k: len(v) for k, v in responses(e).items()})
        self.assertEqual(got, {("client", "/k.html", 200): 2, ("client", "/none", 404): 1},
                         notices)
        self.assertEqual(notices, [])

    def test_mmsg_client_peeks(self):
        # sendmmsg, then recvmmsg peeking into two messages (each shows
        # the same bytes), then recvmmsg taking them; the last only peeked
        port = self.nginx_serving_k()
        p = self.scope_run([example("mmsgget"), str(port), "/k.html", "/none", "/k.html"])
        self.assertEqual(p.stdout.decode().split(), ["200", "404", "200"])
        e, m = self.event_lines(), self.metric_lines()
        notices = [x["data"] for x in events_of(e, "notice")]
        got = collections.Counter({k: len(v) for k, v in responses(e).items()})
        self.assertEqual(got, {("client", "/k.html", 200): 2, ("client", "/none", 404): 1},
                         notices)
        reqs = collections.Counter(x["data"]["http_target"] for x in events_of(e, "http.req"))
        self.assertEqual(reqs, {"/k.html": 2, "/none": 1}, notices)
        self.assertEqual(notices, [])


if __name__ == "__main__":
    import unittest
    unittest.main()
