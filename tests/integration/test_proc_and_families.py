"""scope run on short programs and on sockets of several families:
proc.cpu_perc stays within what the process's threads could use in every
period (the first, short one included), and each socket family is named
as what it is (a netlink or a unix datagram socket is not UDP)."""
import os
import unittest

from scopetest import PYTHON, ScopeTest, metrics_named


def by_period(lines, name):
    """{(pid, _time): value} of one process-wide metric."""
    return {(b["pid"], b["_time"]): b["_value"] for b in metrics_named(lines, name)}


class CpuPercTest(ScopeTest):
    def assert_cpu_perc_bounded(self, cmd):
        self.scope_run(cmd, extra=("-p", "1"))
        m = self.metric_lines()
        perc, threads = by_period(m, "proc.cpu_perc"), by_period(m, "proc.thread")
        self.assertTrue(perc, "no proc.cpu_perc")
        for t, value in perc.items():
            self.assertLessEqual(value, 100 * threads[t], f"process {t[0]}, period at {t[1]}")
        self.assert_schema_valid(self.metrics)

    def test_short_processes(self):
        # a shell starting env, which execs env, which execs bash: each
        # image lives a few ms and is a period of its own, with the CPU of
        # the images before it behind it. One 10 ms tick of utime over such
        # a period read as several hundred percent.
        self.assert_cpu_perc_bounded(
            ["/bin/bash", "-c",
             "for n in $(seq 100); do /usr/bin/env /usr/bin/env /bin/bash -c :; done"])

    def test_busy_python_over_periods(self):
        # a busy single thread for 2.5 periods: first, middle and last
        self.assert_cpu_perc_bounded(
            [PYTHON, "-c", "import time\nt=time.time()\nwhile time.time()-t<2.5: pass"])


FAMILIES = r"""
import socket, struct
# netlink: an RTM_GETLINK dump request, and its answer read back
nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
nl.bind((0, 0))
req = struct.pack("=LHHLL", 32, 18, 0x301, 1, 0) + struct.pack("=BxHiII", 0, 0, 0, 0, 0)
nl.send(req)
nl.recv(65536)
nld = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, socket.NETLINK_ROUTE)
nld.send(req)
nld.recv(65536)
# unix datagram pair
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
a.send(b"x" * 100)
b.recv(1000)
# inet UDP, to itself on loopback
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 0))
u.connect(u.getsockname())
u.send(b"y" * 7)
u.recv(100)
import time; time.sleep(1.5)
"""


class FamiliesTest(ScopeTest):
    def run_families(self, verbosity):
        self.scope_run([PYTHON, "-c", FAMILIES], verbosity=verbosity, extra=("-p", "1"))
        m = self.metric_lines()
        # every line, net.udp's too (its schema wants fd and port)
        self.assertTrue(metrics_named(m, "net.udp"))
        self.assert_schema_valid(self.metrics, self.events)
        return m

    def test_per_connection_names(self):
        m = self.run_families(9)
        # only the inet socket is UDP: 7 bytes each way
        udp_tx = sum(x["_value"] for x in metrics_named(m, "net.tx")
                     if x.get("proto") == "UDP")
        udp_rx = sum(x["_value"] for x in metrics_named(m, "net.rx")
                     if x.get("proto") == "UDP")
        self.assertEqual((udp_tx, udp_rx), (7, 7), "only the inet socket is UDP")
        classes = {x.get("class") for x in metrics_named(m, "net.tx")}
        self.assertEqual(classes, {"inet_udp", "unix_udp", "other"})
        unix_tx = [x for x in metrics_named(m, "net.tx")
                   if x.get("class") == "unix_udp"]
        self.assertEqual(sum(b["_value"] for b in unix_tx), 100)
        # the two netlink requests, sent neither as UDP nor as unix
        other_tx = [x for x in metrics_named(m, "net.tx")
                    if x.get("class") == "other"]
        self.assertEqual(sum(b["_value"] for b in other_tx), 64)
        self.assertEqual({b["proto"] for b in other_tx}, {"OTHER"})
        self.assertEqual({b["proto"] for b in unix_tx}, {"OTHER"})
        # opened: 2 netlink and 2 unix (OTHER: neither is UDP), 1 inet UDP
        opens = {}
        for x in metrics_named(m, "net.open"):
            opens[x["proto"]] = opens.get(x["proto"], 0) + x["_value"]
        self.assertEqual(opens.get("OTHER"), 4, opens)
        self.assertEqual(opens.get("UDP"), 1, opens)

    def test_gauges(self):
        m = self.run_families(4)
        udp = max(x["_value"] for x in metrics_named(m, "net.udp"))
        other = max(x["_value"] for x in metrics_named(m, "net.other"))
        # the inet socket is the only UDP one: the unix pair and the two
        # netlink sockets are other
        self.assertEqual(udp, 1)
        self.assertEqual(other, 4)

    @unittest.skipUnless(os.geteuid() == 0, "packet sockets need CAP_NET_RAW")
    def test_packet_sockets(self):
        # a packet socket's SOCK_DGRAM is link-layer frames without their
        # header, not UDP; its SOCK_RAW is raw
        self.scope_run([PYTHON, "-c",
                        "import socket\n"
                        "d = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM)\n"
                        "r = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n"
                        "import time; time.sleep(1.5)\n"], extra=("-p", "1"))
        m = self.metric_lines()
        opens = sorted(x["proto"] for x in metrics_named(m, "net.open"))
        self.assertEqual(opens, ["OTHER", "RAW"])
        self.assertFalse(metrics_named(m, "net.udp"))
        self.assertEqual(max(x["_value"] for x in metrics_named(m, "net.other")), 2)


if __name__ == "__main__":
    unittest.main()
