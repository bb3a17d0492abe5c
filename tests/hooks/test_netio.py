"""Socket calls the suite's programs do not make, counted exactly on
loopback: a TCP connection from accept, a file sent with sendfile (a read
of the file and a send on the socket) and received with __recv_chk;
unconnected UDP datagrams sent with sendto and sendmmsg and received with
recvfrom, __recvfrom_chk and recvmmsg, each under its peer where the call
names it. The file's size and the program's
own sums are the truth."""
import os
import unittest

from scopetest import ScopeTest, events_of, example, metrics_named, per_file_sum

SIZE = 50000        # under the loopback buffers: one thread sends, then receives


def by_local_port(lines, name):
    out = {}
    for b in metrics_named(lines, name):
        out[b.get("localp")] = out.get(b.get("localp"), 0) + b["_value"]
    return out


class NetIoTest(ScopeTest):
    def test_tcp_and_udp_bytes_exact(self):
        path = os.path.join(self.dir, "payload")
        with open(path, "wb") as f:
            f.write(os.urandom(SIZE))
        p = self.scope_run([example("netio"), path])
        (srv, cl, tcp_got), (urx, utx, udp_got) = [tuple(map(int, l.split()))
                                                  for l in p.stdout.splitlines()]
        self.assertEqual((tcp_got, udp_got), (SIZE, 1500))
        m = self.metric_lines()
        rx, tx = by_local_port(m, "net.rx"), by_local_port(m, "net.tx")
        self.assertEqual((rx.get(srv), tx.get(cl)), (SIZE, SIZE), (rx, tx))
        # unconnected UDP: each datagram under its peer, one op each
        # (recvmmsg asked for no addresses: its three on the socket's line)
        udp = [(b["_metric"], b["_value"], b["numops"], b.get("remotep")) for b in
               metrics_named(m, "net.rx") + metrics_named(m, "net.tx") if b["proto"] == "UDP"]
        self.assertEqual(sorted(udp, key=str), sorted([("net.rx", 300, 2, utx),
                                                      ("net.rx", 1200, 1, None),
                                                      ("net.tx", 1500, 5, urx)], key=str))
        self.assertEqual(per_file_sum(m, "fs.read").get(path), SIZE)
        # the accepted connection opened as such, once, as the client's was
        opens = [(x["data"]["net_host_port"], x["data"]["net_peer_port"])
                 for x in events_of(self.event_lines(), "net.open") if "net_peer_port" in x["data"]]
        self.assertEqual(sorted(opens), sorted([(srv, cl), (cl, srv)]))


if __name__ == "__main__":
    unittest.main()
