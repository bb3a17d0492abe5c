"""A datagram socket that was never connected talks to several peers:
each datagram is attributed to its peer, in net.tx/net.rx events and in
the per-connection metrics (verbosity 5 and above), byte for byte as the
program itself counted them; past the bound of peers a period, the rest is
counted on the socket and said in a notice. The socket's net.close
counts every datagram."""
import json
import socket
import subprocess
import sys

from scopetest import PYTHON, ScopeTest, events_of, example, metrics_named

# Peers: plain python3 processes, not scoped, each echoing what it gets
# back doubled, until the test ends.
ECHO = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
while True:
    data, peer = s.recvfrom(65536)
    s.sendto(data * 2, peer)
"""

# The scoped program: one unbound, unconnected UDP socket; to each peer a
# different number of datagrams by sendto and sendmsg, the answers read
# by recvfrom and recvmsg. Prints its own counts per peer port.
TALKER = r"""
import json, socket, sys
ports = [int(p) for p in sys.argv[1:]]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
tx, rx = {}, {}
for i, port in enumerate(ports):
    for k in range(i + 1):
        data = b"d" * (10 * (i + 1) + k)
        if k % 2:
            n = s.sendmsg([data], [], 0, ("127.0.0.1", port))
        else:
            n = s.sendto(data, ("127.0.0.1", port))
        tx[port] = tx.get(port, 0) + n
        if k % 2:
            got, _, _, peer = s.recvmsg(65536)
        else:
            got, peer = s.recvfrom(65536)
        rx[peer[1]] = rx.get(peer[1], 0) + len(got)
s.close()
print(json.dumps({"tx": tx, "rx": rx}))
"""

# More peers than a period holds: one datagram to each of n ports, where
# nobody listens (an unconnected socket is told nothing of it), slowly
# enough that no event queue fills (a full one leaves its datagrams on
# the socket too, counted as dropped events).
SPRAY = r"""
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
base, n = int(sys.argv[1]), int(sys.argv[2])
for i in range(n):
    s.sendto(b"x" * 5, ("127.0.0.1", base + i))
    if i % 50 == 49:
        time.sleep(0.05)
"""


def by_peer(bodies):
    """{remote port: summed _value} of net.tx or net.rx lines with a peer."""
    out = {}
    for b in bodies:
        if "remotep" in b and b.get("remoteip") == "127.0.0.1":
            out[b["remotep"]] = out.get(b["remotep"], 0) + b["_value"]
    return out


class UdpPeersTest(ScopeTest):
    def echo_peers(self, n):
        ports = []
        for _ in range(n):
            p = subprocess.Popen([PYTHON, "-c", ECHO], stdout=subprocess.PIPE, text=True)
            self.addCleanup(p.stdout.close)
            self.addCleanup(p.wait)
            self.addCleanup(p.kill)
            ports.append(int(p.stdout.readline()))
        return ports

    def talk(self, verbosity, program=(PYTHON, "-c", TALKER)):
        ports = self.echo_peers(3)
        p = self.scope_run([*program, *map(str, ports)], verbosity=verbosity)
        truth = json.loads(p.stdout)
        want = {d: {int(k): v for k, v in truth[d].items()} for d in ("tx", "rx")}
        self.assertEqual(set(want["tx"]), set(ports))
        self.assertEqual(want["rx"], {port: 2 * n for port, n in want["tx"].items()})
        self.assertTrue(all(want["tx"].values()))
        return want

    def test_metrics_by_peer(self):
        want = self.talk(9)
        m = self.metric_lines()
        for d in ("tx", "rx"):
            self.assertEqual(by_peer(metrics_named(m, "net." + d)), want[d], d)
        self.assert_schema_valid(self.metrics, self.events)

    def test_mmsg_by_peer(self):
        # sendmmsg and recvmmsg: each message under its own peer
        want = self.talk(9, (example("mmsg_peers"),))
        m, e = self.metric_lines(), self.event_lines()
        for d in ("tx", "rx"):
            self.assertEqual(by_peer(metrics_named(m, "net." + d)), want[d], d)
            self.assertEqual(by_peer([x["data"] for x in events_of(e, "net." + d)]), want[d], d)
        self.assert_schema_valid(self.metrics, self.events)

    def test_events_by_peer(self):
        want = self.talk(4)
        e = self.event_lines()
        for d in ("tx", "rx"):
            got = events_of(e, "net." + d)
            self.assertEqual(by_peer([x["data"] for x in got]), want[d], d)
            # one event per datagram: 1 + 2 + 3
            self.assertEqual(len(got), 6, d)
        # the socket's close counts its datagrams, whoever they went to
        udp = [x["data"] for x in events_of(e, "net.close")
               if x["data"].get("net_transport") == "IP.UDP"]
        self.assertEqual(len(udp), 1, udp)
        self.assertEqual((udp[0]["net_bytes_sent"], udp[0]["net_bytes_recv"]),
                         (sum(want["tx"].values()), sum(want["rx"].values())))
        # below verbosity 5 the metrics are the class's summary, exact
        m = self.metric_lines()
        tx = [b for b in metrics_named(m, "net.tx") if b.get("class") == "inet_udp"]
        self.assertEqual(sum(b["_value"] for b in tx), sum(want["tx"].values()))
        self.assert_schema_valid(self.metrics, self.events)

    def test_peers_bounded(self):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1] % 20000 + 30000
        self.scope_run([PYTHON, "-c", SPRAY, str(base), "300"], verbosity=9,
                       env=dict(self.env, SCOPE_EVENT_NET="false"))
        m = self.metric_lines()
        tx = metrics_named(m, "net.tx")
        peers = by_peer(tx)
        self.assertEqual(len(peers), 256)
        self.assertEqual(set(peers.values()), {5})
        # every byte counted: the rest on the socket, with no peer
        self.assertEqual(sum(b["_value"] for b in tx if b.get("proto") == "UDP"), 300 * 5)
        told = [x["data"] for x in events_of(self.event_lines(), "notice")
                if "without their peer" in x["data"]]
        self.assertEqual(len(told), 1, told)
        self.assertIn("44 datagrams", told[0])
        self.assert_schema_valid(self.metrics, self.events)


if __name__ == "__main__":
    sys.exit(__import__("unittest").main())
