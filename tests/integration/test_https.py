"""HTTPS: the plaintext of OpenSSL (nginx, curl, python3's ssl) and
GnuTLS (gnutls-cli) goes to the same HTTP parser, with http_scheme
https; the sockets' net.* bytes stay the bytes on the wire. nginx serves
with a self-signed certificate the test makes with `openssl req`."""
import collections
import os
import subprocess
import time

from scopetest import PYTHON, SCOPE, AttachTest, events_of, metrics_named, nginx_started, nginx_worker

PYTHON_CLIENT = """
import http.client, ssl, sys, time
import ssl
time.sleep(0.3)         # the reporter finds libssl, loaded by the import
c = http.client.HTTPSConnection("localhost", int(sys.argv[1]),
                                context=ssl._create_unverified_context())
for t in ("/a.html", "/a.html", "/none"):
    c.request("GET", t)
    r = c.getresponse()
    r.read()
"""


def responses(lines):
    """{(side, target, status): count} of http.resp events, and their schemes."""
    out, schemes = collections.Counter(), set()
    for e in events_of(lines, "http.resp"):
        d = e["data"]
        side = "server" if "http_server_duration" in d else "client"
        out[(side, d["http_target"], d["http_status_code"])] += 1
        schemes.add(d["http_scheme"])
    return out, schemes


class NginxTls(AttachTest):
    """nginx serving {dir}/www/a.html (321 bytes) over TLS at self.url."""

    def setUp(self):
        super().setUp()
        key, cert = os.path.join(self.dir, "key.pem"), os.path.join(self.dir, "cert.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost"],
                       check=True, capture_output=True)
        root = os.path.join(self.dir, "www")
        os.makedirs(root)
        with open(os.path.join(root, "a.html"), "wb") as f:
            f.write(b"s" * 321)
        self.access_log = os.path.join(self.dir, "access.log")
        os.chmod(key, 0o644)
        self.port, nginx = nginx_started(
            self, "server { listen 127.0.0.1:{port} ssl; ssl_certificate {dir}/cert.pem; "
                  "ssl_certificate_key {dir}/key.pem; root {dir}/www; }")
        self.url = f"https://localhost:{self.port}"
        self.wait_for(lambda: self.curl("/a.html").returncode == 0, 10, "nginx up")
        self.worker = nginx_worker(self, nginx)

    def curl(self, *targets, run=subprocess.run):
        args = ["curl", "-skf"]
        for t in targets:
            args += ["-o", "/dev/null", self.url + t]
        return run(args, capture_output=True)

    def gnutls_get(self, target):
        req = f"GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        return ["gnutls-cli", "--insecure", "-p", str(self.port), "localhost"], req.encode()


class HttpsTest(NginxTls):
    def test_nginx_serving_openssl_and_gnutls_clients(self):
        self.attach(self.worker)
        time.sleep(0.5)
        self.curl("/a.html", "/a.html")
        subprocess.run([PYTHON, "-c", PYTHON_CLIENT, str(self.port)], check=True)
        cmd, req = self.gnutls_get("/a.html")
        subprocess.run(cmd, input=req, capture_output=True, timeout=30)
        time.sleep(1.5)
        self.detach(self.worker)
        with open(self.access_log) as f:
            logged = collections.Counter((l.split()[6], int(l.split()[8])) for l in f)
        logged -= collections.Counter({("/a.html", 200): 1})      # nginx up
        got, schemes = responses(self.event_lines())
        self.assertEqual({(t, s): n for (side, t, s), n in got.items()}, dict(logged))
        self.assertEqual(logged[("/a.html", 200)], 5)
        self.assertEqual(schemes, {"https"})
        m = self.metric_lines()
        self.assertEqual(sum(b["_value"] for b in metrics_named(m, "http.req")), 6)
        # the wire's bytes are TLS records: more than the plaintext
        tx = sum(b["_value"] for b in metrics_named(m, "net.tx"))
        self.assertGreater(tx, 5 * 321 + 153)
        self.assert_schema_valid(self.metrics, self.events)

    def test_clients(self):
        self.scope_run(["curl", "-skf", "-o", "/dev/null", "-o", "/dev/null",
                        self.url + "/a.html", self.url + "/a.html"])
        got, schemes = responses(self.event_lines())
        self.assertEqual(got, {("client", "/a.html", 200): 2})
        self.assertEqual(schemes, {"https"})
        os.remove(self.events)
        self.scope_run([PYTHON, "-c", PYTHON_CLIENT, str(self.port)])
        got, _ = responses(self.event_lines())
        self.assertEqual(got, {("client", "/a.html", 200): 2, ("client", "/none", 404): 1})
        os.remove(self.events)
        cmd, req = self.gnutls_get("/none")
        r = subprocess.run([self.scope_args()[0], *self.scope_args()[1:], "--", *cmd],
                           input=req, capture_output=True, env=self.env, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        got, _ = responses(self.event_lines())
        self.assertEqual(got, {("client", "/none", 404): 1})
        self.assert_schema_valid(self.events)

    def scope_args(self):
        return [SCOPE, "run", "-v", "5", "--metricformat", "ndjson",
                "-m", "file://" + self.metrics, "-e", "file://" + self.events]


if __name__ == "__main__":
    import unittest
    unittest.main()
