"""HTTP heads a program looks at with MSG_PEEK (recv, recvfrom, recvmsg)
before it reads them, or only looks at: each byte is parsed once, when
the program first sees it, so a head only peeked at is seen and one
peeked then read is not counted twice. The program is
tests/integration/peek_cases.py: a server and a client in one process."""
import collections
import os

from scopetest import PYTHON, ScopeTest, events_of, metrics_named
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


if __name__ == "__main__":
    import unittest
    unittest.main()
