"""test_cli.py: the `scope` command line: usage errors, help, `scope run`
(exit statuses, signals, session directory, environment, refusals) and the
readers (`scope metrics`, `scope events`, `scope history`).

Run by ctest one TestCase at a time: test_cli.py -v Usage
"""
import json
import os
import re
import signal
import stat
import subprocess
import time
import unittest

from scopetest import HARMLESS_LIB, STATIC, VERSION, SCOPE, HarmlessLibTest


class Usage(HarmlessLibTest):
    """Every bad command line: one line on stderr, exit 2, nothing created."""

    def assertUsage(self, args, needle, help_cmd=""):
        r = self.scope(*args)
        self.assertEqual(r.returncode, 2, r)
        self.assertEqual(r.stdout, "")
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertTrue(lines[0].startswith("scope: "), lines[0])
        self.assertIn(needle, lines[0])
        see = f"see `scope {help_cmd + ' ' if help_cmd else ''}--help`"
        self.assertTrue(lines[0].endswith(see), lines[0])
        self.assertFalse(os.path.exists(self.home), "a usage error created SCOPE_HOME")

    def test_top_level(self):
        self.assertUsage([], "missing command")
        self.assertUsage(["frobnicate"], "unknown command 'frobnicate'")
        self.assertUsage(["--frob"], "unknown option '--frob'")
        self.assertUsage(["help", "frobnicate"], "unknown command 'frobnicate'")
        self.assertUsage(["help", "run", "extra"], "unexpected argument 'extra'", "help")

    def test_run_flags(self):
        self.assertUsage(["run", "--bogus", "true"], "unknown option '--bogus'", "run")
        self.assertUsage(["run", "-x", "true"], "unknown option '-x'", "run")
        self.assertUsage(["run", "-m"], "option '-m' needs a value", "run")
        self.assertUsage(["run", "--period"], "option '--period' needs a value", "run")
        self.assertUsage(["run", "--help=yes"], "option '--help=yes' takes no value", "run")

    def test_run_missing_cmd(self):
        for args in (["run"], ["run", "--"], ["run", "-v", "3"]):
            self.assertUsage(args, "missing the command to run", "run")

    def test_run_bad_values(self):
        for v in ("10", "x", "", "-1", "3x"):
            self.assertUsage(["run", "-v", v, "true"], f"-v '{v}'", "run")
        self.assertUsage(["run", "--metricformat", "xml", "true"], "--metricformat 'xml'", "run")
        self.assertUsage(["run", "--metricformat", "statsd", "true"], "statsd needs -m", "run")
        for p in ("0", "abc", "86401", "-5", " 5"):
            self.assertUsage(["run", "-p", p, "true"], f"--period '{p}'", "run")

    def test_run_bad_urls(self):
        self.assertUsage(["run", "-m", "udp://localhost:0", "true"],
                         "port from 1 to 65535", "run")
        self.assertUsage(["run", "-m", "http://localhost:8125", "true"],
                         "unsupported destination", "run")
        self.assertUsage(["run", "-e", "/tmp/events.json", "true"],
                         "unsupported destination", "run")
        self.assertUsage(["run", "-e", "unix://sock", "true"], "unix:///abs/path", "run")
        self.assertUsage(["run", "-m", "file://relative/m.json", "true"],
                         "absolute path", "run")
        self.assertUsage(["run", "-e", "file://e.json", "true"], "absolute path", "run")

    def test_readers(self):
        for cmd in ("metrics", "events"):
            self.assertUsage([cmd, "--bogus"], "unknown option '--bogus'", cmd)
            self.assertUsage([cmd, "--id"], "option '--id' needs a value", cmd)
            self.assertUsage([cmd, "--id", ""], "--id needs", cmd)
            self.assertUsage([cmd, "--json=1"], "takes no value", cmd)
            self.assertUsage([cmd, "extra"], "unexpected argument 'extra'", cmd)
        self.assertUsage(["history", "extra"], "unexpected argument 'extra'", "history")
        self.assertUsage(["history", "--all"], "unknown option '--all'", "history")


class Help(HarmlessLibTest):
    def help_of(self, *args):
        r = self.scope(*args)
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.stderr, "")
        return r.stdout

    def test_top_level(self):
        text = self.help_of("--help")
        self.assertEqual(text, self.help_of("-h"))
        self.assertEqual(text, self.help_of("help"))
        for word in ("run", "attach", "detach", "ps", "inspect",
                     "metrics", "events", "history", "help [COMMAND]", "--version",
                     "SCOPE_HOME", "SCOPE_LIB_PATH", "<proc>_<n>_<pid>_<start>",
                     "metrics.json", "events.json", "info.json", "Exit status"):
            self.assertIn(word, text)
        for cmd in ("attach", "detach", "ps", "inspect"):
            self.assertEqual(self.help_of(cmd, "--help"), self.help_of("help", cmd))

    def test_run(self):
        text = self.help_of("run", "--help")
        self.assertEqual(text, self.help_of("run", "-h"))
        self.assertEqual(text, self.help_of("help", "run"))
        for word in ("-m, --metricdest URL", "-e, --eventdest URL", "--metricformat FMT",
                     "-v, --verbosity N", "-p, --period SECONDS", "-h, --help",
                     "file:///absolute/path", "file://stdout", "file://stderr",
                     "LD_PRELOAD", "SCOPE_METRIC_DEST", "SCOPE_EVENT_DEST",
                     "SCOPE_METRIC_FORMAT", "SCOPE_METRIC_VERBOSITY", "SCOPE_SUMMARY_PERIOD",
                     "SCOPE_LIB_PATH", "SCOPE_HOME", "<proc>_<n>_<pid>_<start>", "0700", "0600",
                     "scope: session DIR", "SIGINT", "SIGTERM", "128+N", "126", "127",
                     "Statically linked"):
            self.assertIn(word, text)

    def test_readers(self):
        for cmd, words in (("metrics", ("--id ID", "--json", "NAME VALUE RATE TYPE UNIT PID TAGS",
                                        "counters", "gauges", "histograms")),
                           ("events", ("--id ID", "--json", "TIME", "PID", "SOURCE", "DATA")),
                           ("history", ("ID", "CMD", "PID", "START", "EXIT", "DIR"))):
            text = self.help_of(cmd, "--help")
            self.assertEqual(text, self.help_of(cmd, "-h"))
            self.assertEqual(text, self.help_of("help", cmd))
            self.assertIn(f"Usage: scope {cmd}", text)
            self.assertIn("Exit status", text)
            for word in words:
                self.assertIn(word, text)

    def test_version(self):
        r = self.scope("--version")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, f"scope {VERSION}\n", ""))


class Run(HarmlessLibTest):
    """Exit statuses and exec failures."""

    def test_exit_statuses(self):
        for args, code in ((["--", "/bin/true"], 0), (["/bin/false"], 1),
                           (["--", "sh", "-c", "exit 7"], 7), (["true"], 0)):
            r = self.scope("run", *args)
            self.assertEqual(r.returncode, code, r)
            self.session_of(r)

    def test_killed_by_signal(self):
        r = self.scope("run", "--", "sh", "-c", "kill -SEGV $$")
        self.assertEqual(r.returncode, 139)
        self.assertIn("scope: sh killed by signal 11 (SIGSEGV)\n", r.stderr)
        self.session_of(r)

    def test_output_passes_through(self):
        r = self.scope("run", "--", "sh", "-c", "echo out; echo err >&2")
        self.assertEqual(r.stdout, "out\n")
        self.assertTrue(r.stderr.startswith("err\n"), r.stderr)

    def test_not_found(self):
        r = self.scope("run", "--", "no-such-command-scope-test")
        self.assertEqual(r.returncode, 127)
        self.assertEqual(r.stderr, "scope: cannot run 'no-such-command-scope-test': "
                                   "No such file or directory\n")
        self.assertEqual(self.sessions(), [])
        r = self.scope("run", "--", "-dash")
        self.assertEqual(r.returncode, 127)
        self.assertEqual(self.sessions(), [])

    def test_not_executable(self):
        path = os.path.join(self.dir, "data.txt")
        with open(path, "w") as f:
            f.write("not a program\n")
        r = self.scope("run", path)
        self.assertEqual(r.returncode, 126)
        self.assertEqual(r.stderr, f"scope: cannot run '{path}': Permission denied\n")
        self.assertEqual(self.sessions(), [])

    def test_missing_library(self):
        env = dict(self.env, SCOPE_LIB_PATH=os.path.join(self.dir, "nowhere.so"))
        r = self.scope("run", "true", env=env)
        self.assertEqual(r.returncode, 2)
        self.assertIn("nowhere.so", r.stderr)
        self.assertIn("lib/libscope.so", r.stderr)
        self.assertFalse(os.path.exists(self.home))

    def test_missing_default_library(self):
        # A copy of scope in <tmp>/bin looks for <tmp>/lib/libscope.so.
        os.mkdir(os.path.join(self.dir, "bin"))
        copy = os.path.join(self.dir, "bin", "scope")
        with open(SCOPE, "rb") as src, open(copy, "wb") as dst:
            dst.write(src.read())
        os.chmod(copy, 0o755)
        env = dict(self.env)
        del env["SCOPE_LIB_PATH"]
        r = subprocess.run([copy, "run", "true"], env=env, capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn(os.path.join(self.dir, "bin", "..", "lib", "libscope.so"), r.stderr)
        self.assertIn("SCOPE_LIB_PATH", r.stderr)
        self.assertFalse(os.path.exists(self.home))


class Signals(HarmlessLibTest):
    """SIGINT/SIGQUIT are ignored by scope; SIGTERM/SIGHUP reach CMD."""

    SCRIPT = 'trap "exit 42" TERM; trap "exit 43" HUP; touch "$READY"; ' \
             'while :; do sleep 0.05; done'

    def start(self):
        ready = os.path.join(self.dir, "ready")
        env = dict(self.env, READY=ready)
        p = subprocess.Popen([SCOPE, "run", "--", "sh", "-c", self.SCRIPT], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 20
        while not os.path.exists(ready):
            self.assertLess(time.time(), deadline, "CMD did not start")
            time.sleep(0.02)
        return p

    def finish(self, p, code):
        out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, code, err)
        self.assertRegex(err, r"scope: session /")

    def test_sigterm_forwarded(self):
        p = self.start()
        p.send_signal(signal.SIGTERM)
        self.finish(p, 42)

    def test_sighup_forwarded(self):
        p = self.start()
        p.send_signal(signal.SIGHUP)
        self.finish(p, 43)

    def test_sigint_sigquit_ignored(self):
        p = self.start()
        p.send_signal(signal.SIGINT)
        p.send_signal(signal.SIGQUIT)
        time.sleep(0.3)
        self.assertIsNone(p.poll(), "scope died of SIGINT/SIGQUIT")
        p.send_signal(signal.SIGTERM)
        self.finish(p, 42)


class Session(HarmlessLibTest):
    NAME_RE = re.compile(r"^(?P<proc>.+)_(?P<n>\d+)_(?P<pid>\d+)_(?P<start>\d+)$")

    def run_ok(self, *args):
        r = self.scope("run", *args)
        self.assertEqual(r.returncode, 0, r)
        return r

    def test_layout_and_modes(self):
        self.env["SCOPE_HOME"] = self.home = os.path.join(self.dir, "a", "b")
        self.hist = os.path.join(self.home, "history")
        pidfile = os.path.join(self.dir, "pid")
        before = int(time.time())
        r = self.run_ok("--", "sh", "-c", f'echo $$ > {pidfile}')
        after = int(time.time())
        d = self.session_of(r)
        self.assertEqual(os.path.dirname(d), self.hist)
        m = self.NAME_RE.match(os.path.basename(d))
        self.assertTrue(m, d)
        self.assertEqual(m["proc"], "sh")
        self.assertEqual(m["n"], "1")
        with open(pidfile) as f:
            self.assertEqual(m["pid"], f.read().strip())
        self.assertTrue(before <= int(m["start"]) <= after)
        for path in (os.path.join(self.dir, "a"), self.home, self.hist, d):
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o700, path)
        self.assertEqual(sorted(os.listdir(d)), ["events.json", "info.json", "metrics.json"])
        for name in ("events.json", "info.json", "metrics.json"):
            self.assertEqual(stat.S_IMODE(os.stat(os.path.join(d, name)).st_mode), 0o600)
        for name in ("events.json", "metrics.json"):
            self.assertEqual(os.path.getsize(os.path.join(d, name)), 0)
        with open(os.path.join(d, "info.json")) as f:
            info = json.load(f)
        self.assertEqual(info["cmd"], ["sh", "-c", f"echo $$ > {pidfile}"])
        self.assertEqual(info["pid"], int(m["pid"]))
        self.assertEqual(info["start"], int(m["start"]))
        self.assertEqual(info["exit_status"], 0)
        self.assertEqual(info["library"], HARMLESS_LIB)
        self.assertEqual(info["metric_dest"], f"file://{d}/metrics.json")
        self.assertEqual(info["event_dest"], f"file://{d}/events.json")

    def test_numbering(self):
        d1 = self.session_of(self.run_ok("true"))
        d2 = self.session_of(self.run_ok("/bin/true"))
        self.assertTrue(os.path.basename(d1).startswith("true_1_"))
        self.assertTrue(os.path.basename(d2).startswith("true_2_"))
        self.make_session("my_odd_name_41_1_1")
        self.make_session("not-a-session")
        d3 = self.session_of(self.run_ok("true"))
        self.assertTrue(os.path.basename(d3).startswith("true_42_"), d3)

    def test_both_destinations_given(self):
        m, e = os.path.join(self.dir, "m.json"), os.path.join(self.dir, "e.json")
        r = self.run_ok("-m", f"file://{m}", "-e", f"file://{e}", "true")
        self.assertNotIn("scope: session", r.stderr)
        self.assertEqual(self.sessions(), [])

    def test_one_destination_given(self):
        r = self.run_ok("-m", "file://stderr", "true")
        d = self.session_of(r)
        self.assertEqual(sorted(os.listdir(d)), ["events.json", "info.json"])
        r = self.scope("metrics")
        self.assertEqual(r.returncode, 1)
        self.assertIn("metrics.json", r.stderr)
        self.assertIn("file://stderr", r.stderr)
        r = self.run_ok("-e", "file://stdout", "true")
        self.assertEqual(sorted(os.listdir(self.session_of(r))), ["info.json", "metrics.json"])


class Environment(HarmlessLibTest):
    """What reaches CMD: sh prints the variables into a file."""

    VARS = ("LD_PRELOAD", "SCOPE_METRIC_DEST", "SCOPE_EVENT_DEST", "SCOPE_METRIC_FORMAT",
            "SCOPE_METRIC_VERBOSITY", "SCOPE_SUMMARY_PERIOD", "SCOPE_STATSD_PREFIX")

    def env_of_cmd(self, *flags, env=None):
        out = os.path.join(self.dir, "env.out")
        script = "".join(f'printf "%s=%s\\n" {v} "${{{v}-<unset>}}" >> {out}; '
                         for v in self.VARS)
        r = self.scope("run", *flags, "--", "sh", "-c", script, env=env)
        self.assertEqual(r.returncode, 0, r)
        with open(out) as f:
            got = dict(line.rstrip("\n").split("=", 1) for line in f)
        os.unlink(out)
        return got, r

    def test_session_defaults(self):
        got, r = self.env_of_cmd()
        d = self.session_of(r)
        self.assertEqual(got, {
            "LD_PRELOAD": HARMLESS_LIB,
            "SCOPE_METRIC_DEST": f"file://{d}/metrics.json",
            "SCOPE_EVENT_DEST": f"file://{d}/events.json",
            "SCOPE_METRIC_FORMAT": "ndjson",
            "SCOPE_METRIC_VERBOSITY": "<unset>",
            "SCOPE_SUMMARY_PERIOD": "<unset>",
            "SCOPE_STATSD_PREFIX": "<unset>",
        })

    def test_flags_override(self):
        env = dict(self.env, LD_PRELOAD="libfoo.so", SCOPE_METRIC_FORMAT="ndjson",
                   SCOPE_METRIC_VERBOSITY="2", SCOPE_SUMMARY_PERIOD="60",
                   SCOPE_METRIC_DEST="file:///old", SCOPE_EVENT_DEST="file:///old")
        # libfoo.so does not exist: the loader complains on stderr and goes on.
        got, r = self.env_of_cmd("-m", "file:///tmp/scope-m.json", "-e", "file://stderr",
                                 "--metricformat", "statsd", "-v", "7", "-p", "3", env=env)
        self.assertEqual(got, {
            "LD_PRELOAD": f"{HARMLESS_LIB}:libfoo.so",
            "SCOPE_METRIC_DEST": "file:///tmp/scope-m.json",
            "SCOPE_EVENT_DEST": "file://stderr",
            "SCOPE_METRIC_FORMAT": "statsd",
            "SCOPE_METRIC_VERBOSITY": "7",
            "SCOPE_SUMMARY_PERIOD": "3",
            "SCOPE_STATSD_PREFIX": "<unset>",
        })

    def test_long_flags(self):
        got, _ = self.env_of_cmd("--metricdest=file:///m", "--eventdest", "file:///e",
                                 "--verbosity=0", "--period", "86400")
        self.assertEqual((got["SCOPE_METRIC_DEST"], got["SCOPE_EVENT_DEST"],
                          got["SCOPE_METRIC_VERBOSITY"], got["SCOPE_SUMMARY_PERIOD"]),
                         ("file:///m", "file:///e", "0", "86400"))

    def test_user_variables_pass_through(self):
        env = dict(self.env, SCOPE_METRIC_FORMAT="statsd", SCOPE_METRIC_VERBOSITY="2",
                   SCOPE_SUMMARY_PERIOD="60", SCOPE_STATSD_PREFIX="app.")
        got, _ = self.env_of_cmd("-m", "file://stdout", env=env)
        self.assertEqual((got["SCOPE_METRIC_FORMAT"], got["SCOPE_METRIC_VERBOSITY"],
                          got["SCOPE_SUMMARY_PERIOD"], got["SCOPE_STATSD_PREFIX"]),
                         ("statsd", "2", "60", "app."))

    def test_session_metrics_are_ndjson(self):
        env = dict(self.env, SCOPE_METRIC_FORMAT="statsd")
        got, _ = self.env_of_cmd(env=env)
        self.assertEqual(got["SCOPE_METRIC_FORMAT"], "ndjson")


class Refuse(HarmlessLibTest):
    def test_static(self):
        r = self.scope("run", "--", STATIC)
        self.assertEqual(r.returncode, 2, r)
        self.assertIn(f"scope: {STATIC} is statically linked", r.stderr)
        self.assertIn("run a dynamically linked build", r.stderr)
        self.assertFalse(os.path.exists(self.home))

    def test_static_found_in_path(self):
        env = dict(self.env, PATH=os.path.dirname(STATIC) + ":" + self.env["PATH"])
        r = self.scope("run", os.path.basename(STATIC), env=env)
        self.assertEqual(r.returncode, 2, r)
        self.assertIn(f"scope: {STATIC} is statically linked", r.stderr)

    def test_script_runs(self):
        path = os.path.join(self.dir, "script.sh")
        with open(path, "w") as f:
            f.write("#!/bin/sh\nexit 5\n")
        os.chmod(path, 0o755)
        r = self.scope("run", path)
        self.assertEqual(r.returncode, 5, r)
        self.assertTrue(os.path.basename(self.session_of(r)).startswith("script.sh_1_"))


def metric(name, mtype, value, t, **tags):
    body = {"_metric": name, "_metric_type": mtype, "_value": value, "proc": "dd",
            "pid": 12, "host": "h", **tags, "_time": t}
    return json.dumps({"type": "metric", "body": body}, separators=(",", ":")) + "\n"


def event(source, t, data, sourcetype="fs", pid=12):
    body = {"sourcetype": sourcetype, "_time": t, "source": source, "host": "h",
            "proc": "dd", "cmd": "dd", "pid": pid, "data": data}
    return json.dumps({"type": "evt", "id": "h-dd-dd", "_channel": "1", "body": body}) + "\n"


class Readers:
    """Mixed into Metrics and Events: session selection, --json, empty files."""
    CMD = None
    FILE = None
    GOOD = None

    def test_no_session(self):
        r = self.scope(self.CMD)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, f"scope: no sessions in {self.hist}; "
                                   "run `scope run -- CMD` first\n")

    def test_selection(self):
        self.make_session("old_7_1_1700000100", {self.FILE: self.GOOD("old")})
        self.make_session("tie_2_1_1700000200", {self.FILE: self.GOOD("tie-low")})
        self.make_session("new_3_1_1700000200", {self.FILE: self.GOOD("newest")})
        self.make_session("early_9_1_1600000000", {self.FILE: self.GOOD("early")})
        for args, want in (([], "newest"), (["--id", "7"], "old"), (["--id", "2"], "tie-low"),
                           (["--id", "early_9_1_1600000000"], "early")):
            r = self.scope(self.CMD, "--json", *args)
            self.assertEqual(r.returncode, 0, r)
            self.assertEqual(r.stdout, self.GOOD(want))
        r = self.scope(self.CMD, "--id", "5")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, f"scope: no session with id '5' in {self.hist}; "
                                   "see `scope history`\n")

    def test_json_is_raw(self):
        text = self.GOOD("x") + "garbage line\n\n" + '{"type":"evt"}\n'
        self.make_session("dd_1_12_1700000000", {self.FILE: text})
        r = self.scope(self.CMD, "--json")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, text, ""))

    def test_empty(self):
        self.make_session("dd_1_12_1700000000", {self.FILE: ""})
        r = self.scope(self.CMD)
        self.assertEqual((r.returncode, r.stdout), (0, ""))
        self.assertIn("no ", r.stderr)


class Metrics(Readers, HarmlessLibTest):
    CMD = "metrics"
    FILE = "metrics.json"

    @staticmethod
    def GOOD(tag):
        return metric("fs.open", "counter", 1, 1700000000.5, unit="operation", tag=tag)

    def test_table(self):
        text = "".join([
            metric("fs.write", "counter", 4096, 1.0, unit="byte", file="/tmp/x"),
            metric("fs.write", "counter", 4096, 2.0, unit="byte", file="/tmp/x"),
            metric("fs.write", "counter", 100, 2.0, unit="byte", file="/tmp/a"),
            metric("fs.duration", "histogram", 1, 1.0, unit="microsecond", op="read"),
            metric("fs.duration", "histogram", 2, 2.0, unit="microsecond", op="read"),
            metric("proc.fd", "gauge", 5, 1.0, unit="file"),
            metric("proc.fd", "gauge", 3, 2.0, unit="file"),
            metric("net.duration", "timer", 10, 1.0, unit="millisecond", port=80, zone="b"),
            metric("net.duration", "timer", 20, 1.0, unit="millisecond", port=80, zone="b"),
            metric("net.duration", "timer", 21, 1.0, unit="millisecond", port=80, zone="b"),
            "not json at all\n",
            '{"type":"metric","body":{"_metric":"x","_metric_type":"bogus","_value":1}}\n',
            '{"type":"evt","body":{}}\n',
            "\n",
        ])
        self.make_session("dd_1_12_1700000000", {"metrics.json": text})
        r = self.scope("metrics")
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.stderr, "scope: 3 malformed lines skipped\n")
        rows = [line.split() for line in r.stdout.splitlines()]
        self.assertEqual(rows, [
            ["NAME", "VALUE", "RATE", "TYPE", "UNIT", "PID", "TAGS"],
            ["fs.duration", "1.5", "-", "histogram", "microsecond", "12", "op:read"],
            # the last period (the process's lines at 1.0, then 2.0) was 1 s
            ["fs.write", "100", "100/s", "counter", "byte", "12", "file:/tmp/a"],
            ["fs.write", "8192", "4096/s", "counter", "byte", "12", "file:/tmp/x"],
            ["net.duration", "17", "-", "timer", "millisecond", "12", "port:80,zone:b"],
            ["proc.fd", "3", "-", "gauge", "file", "12", "-"],
        ])
        # Columns are aligned: every row has VALUE where the header has it.
        lines = r.stdout.splitlines()
        col = lines[0].index("VALUE")
        self.assertTrue(all(line[col - 2:col] == "  " and line[col] != " " for line in lines))

    def test_one_malformed(self):
        self.make_session("dd_1_12_1700000000", {"metrics.json": self.GOOD("a") + "{\n"})
        r = self.scope("metrics")
        self.assertEqual(r.stderr, "scope: 1 malformed line skipped\n")


class Events(Readers, HarmlessLibTest):
    CMD = "events"
    FILE = "events.json"

    @staticmethod
    def GOOD(tag):
        return event("fs.open", 1700000000.5, {"file": f"/tmp/{tag}", "op": "open"})

    def test_table(self):
        t = 1700000000.123456
        text = "".join([
            event("stderr", t, {"message": "10+0 records in\n10+0 records out\n"},
                  sourcetype="console"),
            event("fs.open", t + 1, {"file": "/tmp/out", "op": "open"}),
            event("fs.write", t + 2, {"_metric": "fs.write", "_value": 4096, "unit": "byte",
                                      "file": "/tmp/out", "op": "write"}, sourcetype="metric"),
            event("net.open", t + 3, {"localip": "127.0.0.1", "localp": 40184}, sourcetype="net"),
            event("stdout", t + 4, {"message": "x" * 300}, sourcetype="console", pid=7),
            "[1, 2]\n",
            '{"type":"evt","body":{"source":"fs.open"}}\n',
        ])
        self.make_session("dd_1_12_1700000000", {"events.json": text})
        r = self.scope("events")
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.stderr, "scope: 2 malformed lines skipped\n")
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0].split(), ["TIME", "PID", "SOURCE", "DATA"])
        hms = [time.strftime("%H:%M:%S", time.localtime(int(t) + i)) for i in range(5)]
        rows = [line.split(None, 3) for line in lines[1:]]
        self.assertEqual(rows[:4], [
            [f"{hms[0]}.123", "12", "stderr", r"10+0 records in\n10+0 records out\n"],
            [f"{hms[1]}.123", "12", "fs.open", "open /tmp/out"],
            [f"{hms[2]}.123", "12", "fs.write", "write /tmp/out 4096 byte"],
            [f"{hms[3]}.123", "12", "net.open", '{"localip":"127.0.0.1","localp":40184}'],
        ])
        self.assertEqual(rows[4][:3], [f"{hms[4]}.123", "7", "stdout"])
        self.assertTrue(rows[4][3].startswith("xxxx") and rows[4][3].endswith("..."))
        self.assertTrue(all(len(line) <= 100 for line in lines), lines)


class History(HarmlessLibTest):
    def test_no_session(self):
        r = self.scope("history")
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"scope: no sessions in {self.hist}", r.stderr)

    def test_list(self):
        d1 = self.session_of(self.scope("run", "--", "sh", "-c", "exit 3"))
        d2 = self.session_of(self.scope("run", "--", "sh", "-c", "kill -SEGV $$"))
        self.make_session("by_hand_5_99_1600000000")
        r = self.scope("history")
        self.assertEqual(r.returncode, 0, r)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0].split(), ["ID", "CMD", "PID", "START", "EXIT", "DIR"])
        self.assertEqual(len(lines), 4)
        start = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(1600000000))
        self.assertEqual(lines[1].split(), ["5", "-", "99", *start.split(), "-",
                                            os.path.join(self.hist, "by_hand_5_99_1600000000")])
        self.assertRegex(lines[2], r"^1 +sh -c exit 3 +\d+ +\S+ \S+ +3 +" + re.escape(d1) + "$")
        self.assertRegex(lines[3], r"^2 +sh -c kill -SEGV \$\$ +\d+ +\S+ \S+ +139 \(SIGSEGV\) +"
                         + re.escape(d2) + "$")


if __name__ == "__main__":
    unittest.main()
