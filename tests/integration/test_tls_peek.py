"""TLS plaintext a program looks at before it reads (SSL_peek and
SSL_peek_ex, then SSL_read of the same bytes) is parsed once, when the
program first sees it; a response only peeked at is seen too. A client
whose OpenSSL is linked in statically goes through no GOT scope patches:
its handshakes without plaintext are said once in a notice, which a
client of libssl.so never causes. The client is tests/integration/tlsget.c
against nginx over TLS."""
import os

from scopetest import events_of, example, metrics_named
from test_https import NginxTls, responses

TARGETS = ["/a.html", "/none", "/a.html", "/a.html"]
SEEN = {("client", "/a.html", 200): 3, ("client", "/none", 404): 1}


def notices(lines):
    return [e["data"] for e in events_of(lines, "notice")]


class TlsClientTest(NginxTls):
    def client(self, program, flags):
        """The events and metrics of one run of tlsget under scope."""
        for f in (self.events, self.metrics):
            if os.path.exists(f):
                os.remove(f)
        p = self.scope_run([example(program), str(self.port), flags, *TARGETS])
        self.assertEqual(len(p.stdout.splitlines()), len(TARGETS), p.stdout)
        return self.event_lines(), self.metric_lines()

    def test_peeked_plaintext_is_parsed_once(self):
        # p: each response peeked, then read in two parts; x: the _ex
        # forms; l: the last response only peeked at before the close
        for flags in ("pl", "pxl"):
            e, m = self.client("tlsget", flags)
            got, schemes = responses(e)
            self.assertEqual(got, SEEN, (flags, notices(e)))
            self.assertEqual(schemes, {"https"})
            self.assertEqual(sum(b["_value"] for b in metrics_named(m, "http.req")), 4, flags)
            self.assertEqual(notices(e), [], flags)
            self.assert_schema_valid(self.metrics, self.events)

    def test_static_tls_said_once(self):
        # c: a connection for each request, each a handshake with no
        # plaintext scope can see
        e, _ = self.client("tlsget_static", "c")
        told = [n for n in notices(e) if "TLS handshake" in n]
        self.assertEqual(len(told), 1, notices(e))
        self.assertEqual(events_of(e, "http.resp"), [])
        e, _ = self.client("tlsget", "c")
        self.assertEqual(responses(e)[0], SEEN)
        self.assertEqual(notices(e), [])


if __name__ == "__main__":
    import unittest
    unittest.main()
