"""Network and name lookups under scope run: exact bytes both
ways over loopback TCP, connections opened and closed, dns.req, every line
schema-valid."""
import http.server
import os
import socket
import threading
import unittest

from scopetest import PYTHON, ScopeTest, events_of, metrics_named

LOOPBACK = """
import socket, sys, threading
socket.getaddrinfo("localhost", 80)
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
port = srv.getsockname()[1]
def serve():
    c, _ = srv.accept()
    got = 0
    while got < 100000:
        d = c.recv(65536)
        if not d: break
        got += len(d)
    c.sendall(b"r" * 54321)
    c.close()
t = threading.Thread(target=serve); t.start()
cl = socket.create_connection(("127.0.0.1", port))
cl.sendall(b"s" * 100000)
got = 0
while got < 54321:
    d = cl.recv(65536)
    if not d: break
    got += len(d)
cl.close(); t.join(); srv.close()
print(port)
"""


def by_ports(lines, name):
    """{(localp, remotep): summed _value} of per-connection net lines."""
    out = {}
    for b in metrics_named(lines, name):
        key = (b.get("localp"), b.get("remotep"))
        out[key] = out.get(key, 0) + b["_value"]
    return out


class LoopbackTest(ScopeTest):
    def test_tcp_bytes_exact_both_ways(self):
        p = self.scope_run([PYTHON, "-c", LOOPBACK])
        port = int(p.stdout.split()[0])
        m = self.metric_lines()
        rx, tx = by_ports(m, "net.rx"), by_ports(m, "net.tx")
        server = [k for k in rx if k[0] == port]
        client = [k for k in rx if k[1] == port]
        self.assertEqual(len(server), 1, rx)
        self.assertEqual(len(client), 1, rx)
        self.assertEqual(rx[server[0]], 100000)
        self.assertEqual(tx[server[0]], 54321)
        self.assertEqual(rx[client[0]], 54321)
        self.assertEqual(tx[client[0]], 100000)
        for b in metrics_named(m, "net.rx"):
            self.assertEqual(b["class"], "inet_tcp")
        e = self.event_lines()
        closes = [x["data"] for x in events_of(e, "net.close") if "net_peer_port" in x["data"]]
        self.assertIn((100000, 54321), {(c["net_bytes_sent"], c["net_bytes_recv"]) for c in closes})
        self.assertIn((54321, 100000), {(c["net_bytes_sent"], c["net_bytes_recv"]) for c in closes})
        self.assertEqual(len([x for x in events_of(e, "net.open")
                              if x["data"].get("net_peer_port") == port]), 1)
        self.assertTrue(metrics_named(m, "dns.req"))
        self.assertIn("localhost", [x["data"]["domain"] for x in events_of(e, "dns.req")])
        resp = [x["data"] for x in events_of(e, "dns.resp") if x["data"]["domain"] == "localhost"]
        self.assertTrue(resp and "127.0.0.1" in resp[0]["addrs"], resp)
        self.assert_schema_valid(self.metrics, self.events)

    def test_summary_below_verbosity_5(self):
        self.scope_run([PYTHON, "-c", LOOPBACK], verbosity=4)
        m = self.metric_lines()
        rx = metrics_named(m, "net.rx")
        self.assertEqual(sum(b["_value"] for b in rx), 100000 + 54321)
        for b in rx:
            self.assertEqual(b.get("summary"), "true")
            self.assertNotIn("localp", b)
        self.assert_schema_valid(self.metrics)


class CurlTest(ScopeTest):
    def test_curl_download_counted(self):
        body = os.urandom(200000)
        with open(os.path.join(self.dir, "blob"), "wb") as f:
            f.write(body)
        handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=self.dir)
        httpd = http.server.ThreadingHTTPServer(("0.0.0.0", 0), handler)
        httpd.RequestHandlerClass.log_message = lambda *a: None
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        self.addCleanup(httpd.shutdown)
        # Not "localhost": curl answers that one itself, without a lookup.
        host = socket.gethostname()
        socket.getaddrinfo(host, 80, socket.AF_INET)   # resolvable here
        url = f"http://{host}:{httpd.server_address[1]}/blob"
        out = os.path.join(self.dir, "got")
        p = self.scope_run(["curl", "-s", "-4", "-o", out, "-w", "%{size_download} %{size_header}", url])
        body_len, header_len = map(int, p.stdout.split())
        self.assertEqual(body_len, len(body))
        m = self.metric_lines()
        rx = sum(b["_value"] for b in metrics_named(m, "net.rx"))
        self.assertEqual(rx, body_len + header_len)
        self.assertIn(host, [x["data"]["domain"] for x in events_of(self.event_lines(), "dns.req")])
        self.assert_schema_valid(self.metrics, self.events)


if __name__ == "__main__":
    unittest.main()
