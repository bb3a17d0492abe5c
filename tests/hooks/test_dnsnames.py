"""The gethostbyname family: each lookup one dns.req event for the name,
in the program's order, with its own count of lookups as the truth."""
import unittest

from scopetest import ScopeTest, events_of, example, metric_sum


class DnsNamesTest(ScopeTest):
    def test_each_lookup_is_a_request(self):
        p = self.scope_run([example("dnsnames"), "localhost"])
        self.assertEqual(p.stdout, b"4\n")
        reqs = [x["data"]["domain"] for x in events_of(self.event_lines(), "dns.req")]
        self.assertEqual(reqs, ["localhost"] * 4)
        self.assertEqual(metric_sum(self.metric_lines(), "dns.req"), 4)


if __name__ == "__main__":
    unittest.main()
