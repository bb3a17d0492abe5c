"""Chunked bodies of many small chunks, each written in one call of
36 KiB and read in calls of 8 KiB (http.client) or 64 KiB (a raw
socket), past the 4 KiB the tap hands over of a call: once scope knows a
stream's bodies are chunked, each chunk-size line is seen, so each
response ends where it does (its length and duration exact) and the next
one on the connection is parsed. The first body of a connection written
with its head comes before scope knows: its framing is not seen, which
is counted and said in a notice. The programs are chunked_cases.py (a
server and its clients in one process)."""
import collections
import os

from scopetest import PYTHON, ScopeTest, events_of, metrics_named, notices_told
from test_http import responses

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "chunked_cases.py")
BODY = 7 * 3000                     # chunked_cases.py's data bytes
PAUSE = 0.3


class ChunkedTest(ScopeTest):
    def test_many_chunks_in_one_call(self):
        p = self.scope_run([PYTHON, CASES], verbosity=5)
        made = collections.Counter(line.split()[0] for line in p.stdout.decode().splitlines())
        self.assertEqual(made, {"/stream": 3, "/small": 4, "/atonce": 2})
        e, m = self.event_lines(), self.metric_lines()
        notices = [x["data"] for x in events_of(e, "notice")]
        got = responses(e)
        for side in ("server", "client"):
            seen = collections.Counter({t: len(v) for (sd, t, s), v in got.items()
                                        if sd == side and s == 200})
            self.assertEqual(seen, {"/stream": 3, "/small": 4, "/atonce": 1}, (side, notices))
            for target in ("/stream", "/atonce"):
                for d in got[(side, target, 200)]:
                    self.assertEqual(d["http_response_content_length"], BODY, (side, target))
            for d in got[(side, "/stream", 200)]:
                self.assertGreaterEqual(d[f"http_{side}_duration"], PAUSE * 1000, side)
        # the first /atonce on each side: counted, said once
        self.assertEqual(notices_told(e, r"framing of (\d+) chunked HTTP bod"), 2, notices)
        self.assertEqual(len(notices), 1, notices)
        reqs = sum(b["_value"] for b in metrics_named(m, "http.req"))
        self.assertEqual(reqs, 2 * 8, notices)
        self.assert_schema_valid(self.metrics, self.events)


if __name__ == "__main__":
    import unittest
    unittest.main()
