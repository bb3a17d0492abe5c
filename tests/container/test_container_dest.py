"""test_container_dest.py: where a container's data goes, and its children.

A podman container has its own loopback (--network none): a collector
listening on the host's 127.0.0.1 is reached only because scope connects
to it on the host and hands the socket over (the default, --dest-netns
host). With --dest-netns target the process reaches udp://127.0.0.1 in
its own namespace, and the host's collector gets nothing. A TCP collector
that is not listening at attach is an error, the process unharmed.

A child forked in the container after attach reports too, through the
copy of the handed destination it inherited, with its own pid as the
container sees it and as the host does (host_pid).

Each TestCase class is one ctest.
"""
import json
import os
import socket
import time
import unittest

from ctrtest import IO_FILE, BareNamespaceAttach, PodmanAttach
from scopetest import metric_sum, read_ndjson


def statsd_sum(text, name, **tags):
    """Sum of the StatsD counters `name` whose tags include tags."""
    total = 0
    for line in text.splitlines():
        head, _, tagpart = line.partition("|#")
        metric, _, rest = head.partition(":")
        if metric != name or "|c" not in rest:
            continue
        have = dict(t.split(":", 1) for t in tagpart.split(",") if ":" in t)
        if all(have.get(k) == str(v) for k, v in tags.items()):
            total += int(rest.split("|")[0])
    return total


class HostCollector(PodmanAttach):
    """ctr_worker in a podman container without a network of its own
    beyond loopback; collectors on the host's loopback."""

    def udp_listener(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        s.settimeout(0.1)
        self.addCleanup(s.close)
        return s

    def received(self, s, until, seconds, what):
        """Datagrams of s, joined, until until(text) or a failure."""
        got = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                got.append(s.recv(65536).decode())
            except socket.timeout:
                pass
            if until("".join(got)):
                return "".join(got)
        self.fail(f"not within {seconds} s: {what}; got {''.join(got)[-2000:]!r}")

    def attach_to(self, pid, *args, check=0):
        return self.scope("attach", "-v", "9", "-p", "1", "-e", "file://" + self.events,
                          *args, str(pid), check=check)

    def test_udp_statsd_on_the_host_loopback(self):
        s = self.udp_listener()
        p, pid = self.start_worker()
        before = self.slots(pid)
        self.attach_to(pid, "-m", f"udp://127.0.0.1:{s.getsockname()[1]}")
        self.io(p)
        text = self.received(
            s, lambda t: statsd_sum(t, "fs.write", file=IO_FILE) == 3000 and
            statsd_sum(t, "fs.read", file=IO_FILE) == 3000, 15, "exact counts over UDP")
        self.assertEqual(statsd_sum(text, "fs.write", file=IO_FILE, pid=1, host_pid=pid), 3000)
        self.detach(pid)
        self.assert_got_as_before(before, self.slots(pid), "after detach")
        self.quit(p)

    def test_tcp_collector_on_the_host_loopback(self):
        l = socket.socket()
        l.bind(("127.0.0.1", 0))
        l.listen(1)
        l.settimeout(10)
        self.addCleanup(l.close)
        p, pid = self.start_worker()
        self.attach_to(pid, "--metricformat", "ndjson", "-m",
                       f"tcp://127.0.0.1:{l.getsockname()[1]}")
        c, _ = l.accept()
        self.addCleanup(c.close)
        c.settimeout(0.1)
        self.io(p)
        buf = b""

        def counted():
            nonlocal buf
            try:
                buf += c.recv(65536)
            except socket.timeout:
                pass
            lines = [json.loads(x) for x in buf.split(b"\n")[:-1]]
            return (metric_sum(lines, "fs.write", file=IO_FILE) == 3000 and
                    metric_sum(lines, "fs.read", file=IO_FILE) == 3000)
        self.wait_for(counted, 15, "exact counts over TCP")
        # the collector goes away: the process cannot reconnect to the
        # host's namespace; what it loses is said on the event stream
        c.close()
        l.close()
        self.io(p)
        self.wait_for(lambda: any(
            l.get("type") == "evt" and l["body"].get("source") == "notice" and
            "metric lines: tcp://fd/" in l["body"].get("data", "")
            for l in read_ndjson(self.events)), 15, "a notice of the metric lines lost")
        self.detach(pid)
        self.quit(p)

    def test_dest_netns_target_is_the_container_loopback(self):
        s = self.udp_listener()
        p, pid = self.start_worker()
        self.attach_to(pid, "--dest-netns", "target", "-m",
                       f"udp://127.0.0.1:{s.getsockname()[1]}")
        self.io(p)
        # observed (its events reach the host file) ...
        self.wait_for(lambda: os.path.exists(self.events) and any(
            l.get("type") == "evt" and l["body"].get("source") == "fs.open"
            for l in read_ndjson(self.events)), 10, "the fs.open events of io")
        self.detach(pid)
        # ... but its metrics went to the container's own 127.0.0.1
        with self.assertRaises(socket.timeout):
            s.settimeout(1)
            s.recv(65536)
        self.quit(p)

    def test_tcp_collector_not_listening(self):
        l = socket.socket()
        l.bind(("127.0.0.1", 0))
        port = l.getsockname()[1]
        l.close()
        p, pid = self.start_worker()
        r = self.attach_to(pid, "-m", f"tcp://127.0.0.1:{port}", check=1)
        self.assertIn("cannot connect to tcp://127.0.0.1:", r.stderr)
        self.assertIn("--dest-netns target", r.stderr)
        rows = json.loads(self.scope("ps", "--json").stdout)["processes"]
        self.assertEqual([r for r in rows if r["pid"] == pid], [])
        self.io(p)
        self.quit(p)


class ForkedChildren(BareNamespaceAttach):
    """A child forked in new pid, mount and network namespaces after attach:
    its lines reach the host's file, carrying both of its pids."""

    def test_child_reports_with_its_host_pid(self):
        p, pid = self.start_worker()
        self.attach(pid)
        p.stdin.write("fork\n")
        p.stdin.flush()
        answer = p.stdout.readline().split()
        self.assertEqual(answer[0], "forked", answer)
        inner = int(answer[1])
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            child = int(f.read().split()[0])
        self.assertEqual(self.ask(p, "go"), "done")
        child_file = "/tmp/ctr-child.txt"
        self.wait_for(lambda: metric_sum(read_ndjson(self.metrics), "fs.write",
                                         file=child_file) == 500, 10,
                      "the child's write counted")
        bodies = [l["body"] for l in read_ndjson(self.metrics) + read_ndjson(self.events)
                  if l.get("type") in ("metric", "evt") and l["body"].get("pid") == inner]
        self.assertTrue(bodies)
        for b in bodies:
            self.assertEqual(b.get("host_pid"), child, b)
        self.detach(pid)
        self.quit(p)


if __name__ == "__main__":
    unittest.main()
