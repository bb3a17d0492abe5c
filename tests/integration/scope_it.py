"""Shared helpers for the integration tests: run real programs under the
real `scope` CLI and libscope.so, read what they reported, validate it.

The build directory comes from SCOPE_BUILD_DIR (set by ctest)."""
import json
import os
import socket
import subprocess
import tempfile
import unittest

BUILD = os.environ.get("SCOPE_BUILD_DIR", os.path.join(os.path.dirname(__file__), "../../build"))
SCOPE = os.path.join(BUILD, "bin", "scope")
LIB = os.path.join(BUILD, "lib", "libscope.so")
SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
VALIDATOR = os.path.join(SRC, "tests", "tools", "validate_ndjson.py")
SCHEMAS = os.environ.get("SCOPE_SCHEMAS", os.path.join(SRC, "..", "shared", "appscope-schemas"))
PYTHON = "/usr/bin/python3"


def example(name):
    return os.path.join(BUILD, "bin", name)


def read_ndjson(path):
    with open(path, "rb") as f:
        return [json.loads(line) for line in f if line.strip()]


def metrics_named(lines, name):
    return [l["body"] for l in lines if l.get("type") == "metric" and l["body"]["_metric"] == name]


def events_of(lines, source):
    return [l["body"] for l in lines if l.get("type") == "evt" and l["body"]["source"] == source]


def metric_sum(lines, name, field="_value", **tags):
    """Sum of `field` over the metric lines named `name` whose tags match."""
    return sum(b[field] for b in metrics_named(lines, name)
               if all(b.get(k) == v for k, v in tags.items()))


def texts(lines, sourcetype):
    """{source: concatenated data.message} of console or file events."""
    out = {}
    for l in lines:
        b = l.get("body", {})
        if l.get("type") == "evt" and b.get("sourcetype") == sourcetype:
            out[b["source"]] = out.get(b["source"], "") + b["data"]["message"]
    return out


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def per_file_sum(lines, name):
    """{file: summed _value} of per-file metric lines."""
    sums = {}
    for b in metrics_named(lines, name):
        if "file" in b:
            sums[b["file"]] = sums.get(b["file"], 0) + b["_value"]
    return sums


class ScopeTest(unittest.TestCase):
    """Each test gets a temp dir (self.dir) and SCOPE_HOME inside it."""

    def setUp(self):
        self.assertTrue(os.access(SCOPE, os.X_OK), f"no CLI at {SCOPE}")
        self.assertTrue(os.path.exists(LIB), f"no library at {LIB}")
        self._tmp = tempfile.TemporaryDirectory(prefix="scope-it-")
        self.dir = self._tmp.name
        self.env = dict(os.environ, SCOPE_HOME=os.path.join(self.dir, "home"))
        for k in list(self.env):
            if k.startswith("SCOPE_") and k not in ("SCOPE_HOME",):
                del self.env[k]
        self.metrics = os.path.join(self.dir, "metrics.json")
        self.events = os.path.join(self.dir, "events.json")

    def tearDown(self):
        self._tmp.cleanup()

    def scope_run(self, cmd, verbosity=9, fmt="ndjson", extra=(), env=None, timeout=120,
                  check_status=0, stdin=None):
        """scope run -v N --metricformat F -m file://M -e file://E -- cmd"""
        args = [SCOPE, "run", "-v", str(verbosity), "--metricformat", fmt,
                "-m", "file://" + self.metrics, "-e", "file://" + self.events,
                *extra, "--", *cmd]
        p = subprocess.run(args, env=env or self.env, capture_output=True,
                           timeout=timeout, stdin=stdin or subprocess.DEVNULL)
        if check_status is not None:
            self.assertEqual(p.returncode, check_status,
                             f"{args} exited {p.returncode}; stderr: {p.stderr.decode(errors='replace')}")
        return p

    def metric_lines(self):
        return read_ndjson(self.metrics)

    def event_lines(self):
        return read_ndjson(self.events)

    def assert_schema_valid(self, *paths):
        """Every NDJSON line validates against the AppScope schemas."""
        p = subprocess.run([PYTHON, VALIDATOR, "--schemas", SCHEMAS, *paths],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
