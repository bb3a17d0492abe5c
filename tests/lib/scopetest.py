"""scopetest.py: what every Python test of scope shares.

Paths of the build under test (from SCOPE_BUILD_DIR, set by ctest; the
fixtures' paths from SCOPE_TEST_*), readers of what programs reported,
and TestCase bases:
  ScopeTest        a temp dir (self.dir), SCOPE_HOME inside it, an
                   environment with no SCOPE_* or LD_PRELOAD of the caller's,
                   the real libscope.so; `scope`, `scope_run` and readers
  HarmlessLibTest  the same, with SCOPE_LIB_PATH a library that does
                   nothing when preloaded: the CLI alone is under test
  AttachTest       ScopeTest with attach/detach and the GOT compared
                   before and after (`scope inspect --json`)
and, for a test that runs scope as a non-root user, a copy every user can
reach (unprivileged_scope): the checkout may live under a directory only
its owner enters (a `mktemp -d` clone, mode 700).

ctest puts this directory on PYTHONPATH; by hand:
  PYTHONPATH=tests/lib python3 tests/cli/test_cli.py -v Usage
"""
import atexit
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

_HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(_HERE, "..", ".."))
BUILD = os.environ.get("SCOPE_BUILD_DIR", os.path.join(SRC, "build"))
SCOPE = os.path.join(BUILD, "bin", "scope")
LIB = os.path.join(BUILD, "lib", "libscope.so")
VALIDATOR = os.path.join(SRC, "tests", "tools", "validate_ndjson.py")
SCHEMAS = os.environ.get("SCOPE_SCHEMAS", os.path.join(SRC, "..", "shared", "appscope-schemas"))
PYTHON = "/usr/bin/python3"
# statically linked programs that scope refuses (tests/cli, tests/attach)
STATIC = os.environ.get("SCOPE_TEST_STATIC", os.path.join(BUILD, "tests", "cli", "cli_static_fixture"))
STATIC_SLEEPER = os.environ.get("SCOPE_TEST_STATIC_SLEEPER",
                                os.path.join(BUILD, "tests", "attach", "attach_static_sleeper"))
VERSION = os.environ.get("SCOPE_TEST_VERSION")

SESSION_RE = re.compile(r"^scope: session (/.+)$", re.M)


def example(name):
    return os.path.join(BUILD, "bin", name)


def harmless_library():
    """A real shared library that does nothing when preloaded: libjansson."""
    out = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.strip().startswith("libjansson.so.4 ") and "x86-64" in line:
            return os.path.realpath(line.split("=>")[1].strip())
    raise unittest.SkipTest("libjansson.so.4 not found by ldconfig -p")


HARMLESS_LIB = harmless_library()


_unprivileged_scope = None


def unprivileged_scope():
    """The CLI for a non-root user to run: copies of bin/scope and the
    lib/libscope.so it loads (<dir of scope>/../lib/libscope.so) in a
    directory every user can reach, made once per test process (mode 755,
    removed when it exits)."""
    global _unprivileged_scope
    if _unprivileged_scope is None:
        d = tempfile.mkdtemp(prefix="scope-reachable-")
        os.chmod(d, 0o755)
        atexit.register(shutil.rmtree, d, True)
        for sub, src in (("bin", SCOPE), ("lib", LIB)):
            dst = os.path.join(d, sub, os.path.basename(src))
            os.mkdir(os.path.dirname(dst))
            os.chmod(os.path.dirname(dst), 0o755)
            shutil.copy2(src, dst)
            os.chmod(dst, 0o755)
        _unprivileged_scope = os.path.join(d, "bin", "scope")
    return _unprivileged_scope


def read_ndjson(path):
    with open(path, "rb") as f:
        return [json.loads(line) for line in f if line.strip()]


def metrics_named(lines, name):
    return [l["body"] for l in lines if l.get("type") == "metric" and l["body"]["_metric"] == name]


def events_of(lines, source):
    return [l["body"] for l in lines if l.get("type") == "evt" and l["body"]["source"] == source]


def notices_told(lines, pattern):
    """The sum of the counts the notices say, each the group of the
    regex `pattern` (a notice says its count once)."""
    told = [re.search(pattern, e["data"]) for e in events_of(lines, "notice")]
    return sum(int(m.group(1)) for m in told if m)


def metric_sum(lines, name, field="_value", **tags):
    """Sum of `field` over the metric lines named `name` whose tags match."""
    return sum(b[field] for b in metrics_named(lines, name)
               if all(b.get(k) == v for k, v in tags.items()))


def per_file_sum(lines, name):
    """{file: summed _value} of per-file metric lines."""
    sums = {}
    for b in metrics_named(lines, name):
        if "file" in b:
            sums[b["file"]] = sums.get(b["file"], 0) + b["_value"]
    return sums


def texts(lines, sourcetype):
    """{source: concatenated data.message} of console or file events."""
    out = {}
    for l in lines:
        b = l.get("body", {})
        if l.get("type") == "evt" and b.get("sourcetype") == sourcetype:
            out[b["source"]] = out.get(b["source"], "") + b["data"]["message"]
    return out


def ps_table(text):
    """`scope ps` output as {pid: {column: value}}. Read by the header
    because NSPID and CONTAINER are shown only while some listed process is
    in a container (another test's, when tests run in parallel)."""
    lines = text.splitlines()
    head = lines[0].split() if lines else []
    return {int(l.split()[0]): dict(zip(head, l.split())) for l in lines[1:] if l.split()}


def run_as_group(args, timeout, **kw):
    """subprocess.run in a process group of its own, all of it killed on
    a timeout: `scope run`'s program is the CLI's child, and killing only
    the CLI (what subprocess.run does) would leave it running after the
    test."""
    if kw.pop("capture_output", False):
        kw.update(stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with subprocess.Popen(args, start_new_session=True, **kw) as p:
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            raise
    return subprocess.CompletedProcess(args, p.returncode, out, err)


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


STATSD = os.path.join(SRC, ".deps", "statsd", "node_modules", "statsd", "stats.js")


def start_statsd(test, backend, out_key, out, **conf):
    """Etsy's StatsD daemon (npm `statsd`, installed by scripts/deps.sh) on
    a free loopback port, flushing every 200 ms to `backend`, which writes
    the file `out` (its configuration's out_key.file); conf: more daemon
    settings. Returns (its UDP port, its process) once its first flush
    wrote out; it is killed at the test's cleanup, before its folder goes."""
    test.assertTrue(os.path.exists(STATSD), f"no StatsD daemon at {STATSD}: run scripts/deps.sh")
    port, mgmt = free_port(socket.SOCK_DGRAM), free_port()
    path = os.path.join(os.path.dirname(out), "statsd.js")
    with open(path, "w") as f:
        json.dump({"port": port, "address": "127.0.0.1", "mgmt_port": mgmt,
                   "mgmt_address": "127.0.0.1", "flushInterval": 200,
                   "backends": [backend], out_key: {"file": out}, **conf}, f)
    daemon = subprocess.Popen(["node", STATSD, path], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    test.addCleanup(daemon.wait)
    test.addCleanup(daemon.kill)
    deadline = time.monotonic() + 20
    while not os.path.exists(out):              # its first flush: it is up
        if daemon.poll() is not None:
            test.fail("StatsD exited: " + daemon.stdout.read().decode())
        if time.monotonic() > deadline:
            test.fail("StatsD did not start")
        time.sleep(0.05)
    return port, daemon


def nginx_started(test, server):
    """Debian's nginx, one worker, started for `test` (stopped at its
    cleanup) in test.dir with `server` as its server block ({port}: a free
    port, {dir}: test.dir); its access log is test.dir/access.log. The dir
    is then open to the worker (nobody), which writes scope's files.
    Returns the port, the worker's pid and a URL that answers."""
    port = free_port()
    conf = os.path.join(test.dir, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"daemon off; worker_processes 1; pid {test.dir}/nginx.pid;\n"
                f"error_log {test.dir}/error.log;\nevents {{ worker_connections 256; }}\n"
                f"http {{ access_log {test.dir}/access.log; "
                + server.replace("{port}", str(port)).replace("{dir}", test.dir) + " }\n")
    os.chmod(test.dir, 0o755)
    nginx = subprocess.Popen(["nginx", "-c", conf, "-p", test.dir],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    test.addCleanup(lambda: (nginx.terminate(), nginx.wait()))
    return port, nginx


def nginx_worker(test, nginx):
    """The worker of an nginx from nginx_started, once the master has one."""
    worker = int(subprocess.check_output(["pgrep", "-P", str(nginx.pid)]).split()[0])
    os.chmod(test.dir, 0o777)
    return worker


def assert_wrk_served(test, out):
    """wrk's report says every request was answered, and well."""
    test.assertRegex(out, r"\d+ requests in", out)
    test.assertNotIn("Non-2xx", out, out)
    test.assertNotRegex(out, r"Socket errors: connect [1-9]", out)


class ScopeTest(unittest.TestCase):
    """Each test gets a temp dir (self.dir), SCOPE_HOME=<dir>/home (not
    created yet; its history in self.hist) and self.metrics, self.events
    files inside it; no SCOPE_* or LD_PRELOAD variable leaks in from the
    caller. The library is the real one (needs_library)."""
    needs_library = True

    def setUp(self):
        self.assertTrue(os.access(SCOPE, os.X_OK), f"no CLI at {SCOPE}")
        if self.needs_library:
            self.assertTrue(os.path.exists(LIB), f"no library at {LIB}")
        self._tmp = tempfile.TemporaryDirectory(prefix="scope-test-")
        self.dir = self._tmp.name
        self.home = os.path.join(self.dir, "home")
        self.hist = os.path.join(self.home, "history")
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("SCOPE_") and k != "LD_PRELOAD"}
        self.env["SCOPE_HOME"] = self.home
        self.scope_command = [SCOPE]    # how `scope` runs (a test may run it as another user)
        self.metrics = os.path.join(self.dir, "metrics.json")
        self.events = os.path.join(self.dir, "events.json")
        # a cleanup, not tearDown: what a test starts later in the folder
        # (start_statsd's daemon) is stopped first, cleanups being LIFO
        self.addCleanup(self._tmp.cleanup)

    def scope(self, *args, check=None, env=None, timeout=60, **kw):
        """scope ARGS, text in and out; its exit status asserted unless
        check is None."""
        p = subprocess.run([*self.scope_command, *args], env=env or self.env, capture_output=True,
                           text=True, timeout=timeout, **kw)
        if check is not None:
            self.assertEqual(p.returncode, check, f"scope {args}: {p.stdout}{p.stderr}")
        return p

    def scope_run(self, cmd, verbosity=9, fmt="ndjson", extra=(), env=None, timeout=120,
                  check_status=0, stdin=None):
        """scope run -v N --metricformat F -m file://M -e file://E -- cmd"""
        args = [SCOPE, "run", "-v", str(verbosity), "--metricformat", fmt,
                "-m", "file://" + self.metrics, "-e", "file://" + self.events,
                *extra, "--", *cmd]
        p = run_as_group(args, env=env or self.env, capture_output=True,
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

    def wait_for(self, predicate, seconds, what):
        """predicate's first true value within seconds, or a failure."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.05)
        self.fail(f"not within {seconds} s: {what}")

    def sessions(self):
        """Names in the history directory, sorted."""
        return sorted(os.listdir(self.hist)) if os.path.isdir(self.hist) else []

    def session_of(self, result):
        """The directory named by the "scope: session DIR" line of a run."""
        found = SESSION_RE.findall(result.stderr)
        self.assertEqual(len(found), 1, result.stderr)
        return found[0]

    def nginx_serving(self):
        """nginx with one worker (which runs as nobody) serving a 1 KiB
        file from <dir>/www on a free loopback port, stopped at cleanup:
        (worker pid, the file's URL, the file's path)."""
        root = os.path.join(self.dir, "www")
        os.makedirs(root)
        page = os.path.join(root, "k.html")
        with open(page, "wb") as f:
            f.write(b"x" * 1024)
        port, nginx = nginx_started(self, "server { listen 127.0.0.1:{port}; root {dir}/www; }")
        url = f"http://127.0.0.1:{port}/k.html"
        self.wait_for(lambda: subprocess.run(["curl", "-sf", "-o", "/dev/null", url]).returncode == 0,
                      5, "nginx up")
        return nginx_worker(self, nginx), url, page

    def make_session(self, name, files=None, info=None):
        """A session directory written by hand: {file name: text}."""
        d = os.path.join(self.hist, name)
        os.makedirs(d, mode=0o700)
        for fname, text in (files or {}).items():
            with open(os.path.join(d, fname), "w") as f:
                f.write(text)
        if info is not None:
            with open(os.path.join(d, "info.json"), "w") as f:
                json.dump(info, f)
        return d


class HarmlessLibTest(ScopeTest):
    """ScopeTest whose SCOPE_LIB_PATH is a harmless library: the CLI alone
    is under test, and libscope.so need not be built."""
    needs_library = False

    def setUp(self):
        super().setUp()
        self.env["SCOPE_LIB_PATH"] = HARMLESS_LIB


class AttachTest(ScopeTest):
    """ScopeTest on programs it starts and attaches to."""

    def scope(self, *args, check=0, **kw):
        return super().scope(*args, check=check, **kw)

    def attach(self, pid, period=1, check=0):
        return self.scope("attach", "-v", "9", "--metricformat", "ndjson", "-p", str(period),
                          "-m", "file://" + self.metrics, "-e", "file://" + self.events,
                          str(pid), check=check)

    def detach(self, pid, check=0):
        return self.scope("detach", str(pid), check=check)

    def started(self, cmd, ready="ready", **popen_kw):
        """cmd running, once its first line matched `ready` (a regex):
        lines go to its stdin (ask), its answers come from its stdout."""
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True, bufsize=1, **popen_kw)
        self.addCleanup(p.wait)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        self.addCleanup(p.stdout.close)
        self.addCleanup(p.stdin.close)
        self.assertRegex(p.stdout.readline().rstrip("\n"), f"^{ready}$")
        return p

    def python_ready(self, script, **popen_kw):
        return self.started([PYTHON, "-c", script], **popen_kw)

    def ask(self, p, line):
        """Its answer to one line."""
        p.stdin.write(line + "\n")
        p.stdin.flush()
        return p.stdout.readline().strip()

    def slots(self, pid):
        """{(object, slot address): slot} from scope inspect --json."""
        doc = json.loads(self.scope("inspect", "--json", str(pid)).stdout)
        return {(o["path"], s["slot"]): s for o in doc["objects"] for s in o["slots"]}

    def assert_got_as_before(self, before, now, what=""):
        """Every slot holds what it held before attach. A lazily bound slot
        that still held its PLT stub may since have been bound by the
        program's own first call: then it holds the real function."""
        self.assertEqual(set(now), set(before), what)
        for key, was in before.items():
            value = now[key]["value"]
            if value == was["value"]:
                continue
            self.assertEqual(was["points_to"], "plt-stub", f"{what} {key}: {was} -> {now[key]}")
            self.assertEqual(value, was["original"], f"{what} {key}: {was} -> {now[key]}")

    def assert_network_seen(self):
        """Connections open before the attach count too (learned at attach)."""
        lines = read_ndjson(self.metrics)
        for name in ("net.rx", "net.tx"):
            self.assertGreater(sum(b["_value"] for b in metrics_named(lines, name)), 0, name)
        self.assert_schema_valid(self.metrics)

    def metric_sums(self, name):
        if not os.path.exists(self.metrics):
            return {}
        return per_file_sum(read_ndjson(self.metrics), name)
