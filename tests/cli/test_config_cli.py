"""test_config_cli.py: scope.yml on the command line: `-u FILE`, the search path,
every kind of bad file (each error with its file, line and key, exit 2,
nothing started, created or touched), hostile files, and --dry-run (every
value with its source; precedence defaults < file < environment < options).

Run by ctest one TestCase at a time: test_config.py -v Errors
"""
import os
import subprocess
import time
import unittest

from scopetest import HARMLESS_LIB, HarmlessLibTest

EXAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                       "examples", "scope.yml")


class ConfigCase(HarmlessLibTest):
    def write(self, text, name="scope.yml", mode="w"):
        path = os.path.join(self.dir, name)
        with open(path, mode) as f:
            f.write(text)
        return path

    def dry_run(self, *args, env=None, cmd="run"):
        """{KEY: (value, source)} of `scope CMD ARGS --dry-run ...`."""
        tail = ["--", "true"] if cmd == "run" else ["1"]
        r = self.scope(cmd, *args, "--dry-run", *tail, env=env)
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.stderr, "")
        lines = r.stdout.splitlines()
        self.assertTrue(lines[0].startswith("# configuration file: "), lines[0])
        got = {"#file": lines[0][len("# configuration file: "):]}
        for line in lines[1:]:
            kv, source = line.split("\t# ")
            key, value = kv.split("=", 1)
            got[key] = (value, source)
        self.assertFalse(os.path.exists(self.hist), "--dry-run made a session")
        return got


class Errors(ConfigCase):
    """Each kind of error: the exact lines, exit 2, no session, no CMD."""

    def assertRefused(self, text, *want, path=None):
        path = path or self.write(text)
        marker = os.path.join(self.dir, "ran")
        r = self.scope("run", "-u", path, "--", "touch", marker)
        self.assertEqual(r.returncode, 2, r)
        self.assertEqual(r.stdout, "")
        self.assertEqual(r.stderr.splitlines(), [w.replace("F", path, 1) for w in want])
        self.assertFalse(os.path.exists(marker), "CMD ran")
        self.assertFalse(os.path.exists(self.home), "a session was made")

    def test_invalid_yaml(self):
        self.assertRefused("metric:\n  enable: true\n format: x\n",
                           "scope: F:3: YAML syntax error: did not find expected key while "
                           "parsing a block mapping")

    def test_unknown_key(self):
        self.assertRefused("metric:\n  format:\n    colour: red\n",
                           "scope: F:3: key metric.format.colour: unknown key")

    def test_wrong_types(self):
        self.assertRefused("metric:\n  enable: [true]\nlibscope: 10\n",
                           "scope: F:2: key metric.enable: expected a value, found a list",
                           "scope: F:3: key libscope: expected a mapping, found a value")

    def test_bad_values(self):
        self.assertRefused("metric:\n  format: {verbosity: 10, type: xml}\n",
                           'scope: F:2: key metric.format.verbosity: SCOPE_METRIC_VERBOSITY="10" '
                           'is not a number from 0 to 9',
                           'scope: F:2: key metric.format.type: SCOPE_METRIC_FORMAT="xml" is not '
                           'statsd or ndjson')

    def test_bad_http_values(self):
        self.assertRefused("metric: {http: maybe}\n"
                           "event:\n  watch:\n    - type: http\n      headers: x-(\n",
                           'scope: F:1: key metric.http: SCOPE_METRIC_HTTP="maybe" is not '
                           'true or false',
                           'scope: F:5: key event.watch[0].headers: SCOPE_EVENT_HTTP_HEADER="x-(" '
                           'is not a valid regular expression')

    def test_bad_urls(self):
        self.assertRefused("event:\n  transport:\n    type: udp\n    host: localhost\n"
                           "    port: 0\n",
                           'scope: F:2: key event.transport: destination "udp://localhost:0" '
                           'must be host:port with a port from 1 to 65535')
        self.assertRefused("metric: {transport: {type: carrier-pigeon}}\n",
                           'scope: F:1: key metric.transport: type "carrier-pigeon" is not udp, '
                           'tcp, unix or file')

    def test_log_goes_to_a_file_only(self):
        """The library's log is a file or stderr: a udp log was accepted
        here, then silently never written."""
        self.assertRefused("libscope:\n  log:\n    transport: {type: udp, host: 127.0.0.1, "
                           "port: 9999}\n",
                           'scope: F:3: key libscope.log.transport: SCOPE_LOG_DEST='
                           '"udp://127.0.0.1:9999" is not file:///abs/path or file://stderr '
                           '(the log goes to a file only)')
        self.assertRefused("libscope: {log: {transport: {type: file, path: stdout}}}\n",
                           'scope: F:1: key libscope.log.transport: SCOPE_LOG_DEST='
                           '"file://stdout" is not file:///abs/path or file://stderr '
                           '(the log goes to a file only)')

    def test_huge_values(self):
        self.assertRefused("libscope: {summaryperiod: 1e999}\ntags: {t: %s}\n" % ("x" * 5000),
                           'scope: F:1: key libscope.summaryperiod: SCOPE_SUMMARY_PERIOD="1e999" '
                           'is not a number of seconds from 1 to 86400',
                           "scope: F:2: key tags.t: value longer than 4000 bytes")

    def test_attach_refused_before_touching(self):
        """The process attach would have stopped is never looked at."""
        sleeper = subprocess.Popen(["sleep", "30"])
        try:
            path = self.write("metric: {bogus: 1}\n")
            r = self.scope("attach", "-u", path, str(sleeper.pid))
            self.assertEqual(r.returncode, 2, r)
            self.assertEqual(r.stderr, f"scope: {path}:1: key metric.bogus: unknown key\n")
            with open(f"/proc/{sleeper.pid}/maps") as f:
                self.assertNotIn(HARMLESS_LIB, f.read())
        finally:
            sleeper.kill()
            sleeper.wait()

    def test_no_such_file(self):
        missing = os.path.join(self.dir, "missing.yml")
        r = self.scope("run", "-u", missing, "--", "true")
        self.assertEqual((r.returncode, r.stderr),
                         (2, f"scope: {missing}: No such file or directory\n"))
        env = dict(self.env, SCOPE_CONF_PATH=missing)
        r = self.scope("attach", "1", env=env)
        self.assertEqual((r.returncode, r.stderr),
                         (2, f"scope: SCOPE_CONF_PATH={missing}: No such file or directory\n"))

    def test_bad_destination_variable(self):
        """SCOPE_METRIC_DEST is now used by run: checked as -m is."""
        env = dict(self.env, SCOPE_METRIC_DEST="http://x")
        r = self.scope("run", "--", "true", env=env)
        self.assertEqual(r.returncode, 2, r)
        self.assertTrue(r.stderr.startswith('scope: SCOPE_METRIC_DEST: unsupported destination '
                                            '"http://x"'), r.stderr)
        self.assertFalse(os.path.exists(self.home))

    def test_not_a_file(self):
        self.assertRefused(None, f"scope: {self.dir}: not a regular file", path=self.dir)


class Hostile(ConfigCase):
    """Files made to hurt: an error, quickly, never a crash."""

    def assertQuickError(self, path, want):
        t0 = time.monotonic()
        r = self.scope("run", "-u", path, "--", "true")
        self.assertLess(time.monotonic() - t0, 5)
        self.assertEqual(r.returncode, 2, r)
        self.assertIn(want, r.stderr)

    def test_ten_megabytes(self):
        path = self.write("#" * (10 << 20) + "\n")
        self.assertQuickError(path, f"{path}: larger than 1048576 bytes (10485761): not read")

    def test_deep_nesting(self):
        self.assertQuickError(self.write("[" * 200000), "nested deeper than 16 levels")
        self.assertQuickError(self.write("a:\n" + "".join(" " * i + "b:\n" for i in range(1, 40))),
                              "nested deeper than 16 levels")

    def test_alias_bomb(self):
        lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
        self.assertQuickError(self.write("\n".join(lines) + "\n"),
                              ":2: aliases (*name) are not supported")

    def test_regex_bomb(self):
        self.assertQuickError(self.write("event: {watch: [{type: fs, name: '((a{255}){255}){255}'}]}\n"),
                              "2 for each +) multiply to 10000 at most")

    def test_binary_garbage(self):
        with open("/dev/urandom", "rb") as f:
            junk = f.read(65536)
        path = self.write(junk, mode="wb")
        r = self.scope("run", "-u", path, "--", "true")
        self.assertEqual(r.returncode, 2, r)
        self.assertTrue(r.stderr.startswith(f"scope: {path}"), r.stderr[:300])

    def test_many_errors_are_counted(self):
        path = self.write("".join(f"k{i}: 1\n" for i in range(2000)))
        r = self.scope("run", "-u", path, "--", "true")
        self.assertEqual(r.returncode, 2)
        lines = r.stderr.splitlines()
        self.assertEqual(lines[0], f"scope: {path}:1: key k0: unknown key")
        shown = len(lines) - 1
        self.assertEqual(lines[-1], f"scope: {path}: {2000 - shown} more errors not shown")


class DryRun(ConfigCase):
    def test_example_is_the_defaults(self):
        """examples/scope.yml sets every key it has to its default."""
        plain = self.dry_run()
        example = self.dry_run("-u", EXAMPLE)
        self.assertEqual(plain["#file"], "none")
        self.assertEqual(example["#file"], os.path.realpath(EXAMPLE))
        # Left to the session, or commented out in the example (no value).
        elsewhere = {"SCOPE_METRIC_DEST", "SCOPE_EVENT_DEST", "SCOPE_METRIC_FORMAT",
                     "SCOPE_SESSION_DIR", "SCOPE_STATSD_PREFIX", "SCOPE_LOG_DEST"}
        del example["#file"], plain["#file"]
        self.assertEqual(example.keys(), plain.keys())
        for key, (value, source) in example.items():
            self.assertEqual(value, plain[key][0], key)
            self.assertEqual(source.startswith("file "), key not in elsewhere, (key, source))
        self.assertEqual(plain["SCOPE_EVENT_LOGFILE"], ("true", "default"))

    def test_nothing_runs(self):
        marker = os.path.join(self.dir, "ran")
        r = self.scope("run", "--dry-run", "--", "touch", marker)
        self.assertEqual(r.returncode, 0, r)
        self.assertFalse(os.path.exists(marker))

    def test_precedence(self):
        path = self.write("metric:\n  format:\n    verbosity: 7\n    statsdprefix: app.\n"
                          "libscope:\n  summaryperiod: 2\n  log: {level: info}\n"
                          "tags: {team: storage, zone: a}\n")
        env = dict(self.env, SCOPE_SUMMARY_PERIOD="5", SCOPE_LOG_LEVEL="error",
                   SCOPE_TAG_zone="b", SCOPE_TAG_rack="r1")
        got = self.dry_run("-u", path, "-p", "3", env=env)
        self.assertEqual(got["SCOPE_METRIC_VERBOSITY"], ("7", f"file {path}:3"))
        self.assertEqual(got["SCOPE_STATSD_PREFIX"], ("app.", f"file {path}:4"))
        self.assertEqual(got["SCOPE_SUMMARY_PERIOD"], ("3", "option -p"))
        self.assertEqual(got["SCOPE_LOG_LEVEL"], ("error", "environment"))
        self.assertEqual(got["SCOPE_STATSD_MAXLEN"], ("512", "default"))
        self.assertEqual(got["SCOPE_TAG_team"], ("storage", f"file {path}:8"))
        self.assertEqual(got["SCOPE_TAG_zone"], ("b", "environment"))
        self.assertEqual(got["SCOPE_TAG_rack"], ("r1", "environment"))

    def test_destinations(self):
        path = self.write("metric:\n  transport: {type: udp, host: 127.0.0.1, port: 8125}\n"
                          "event:\n  transport:\n    type: file\n    path: /tmp/ev.json\n")
        got = self.dry_run("-u", path, "--metricformat", "statsd")
        self.assertEqual(got["SCOPE_METRIC_DEST"], ("udp://127.0.0.1:8125", f"file {path}:2"))
        self.assertEqual(got["SCOPE_EVENT_DEST"], ("file:///tmp/ev.json", f"file {path}:4"))
        self.assertEqual(got["SCOPE_METRIC_FORMAT"], ("statsd", "option --metricformat"))
        self.assertNotIn("SCOPE_SESSION_DIR", {k for k, v in got.items() if v[0]})
        env = dict(self.env, SCOPE_EVENT_DEST="file://stderr")
        got = self.dry_run("-u", path, "-m", "file:///tmp/m.json", env=env)
        self.assertEqual(got["SCOPE_METRIC_DEST"], ("file:///tmp/m.json", "option -m"))
        self.assertEqual(got["SCOPE_EVENT_DEST"], ("file://stderr", "environment"))
        got = self.dry_run()
        session = os.path.join(self.hist, "<session>")
        self.assertEqual(got["SCOPE_METRIC_DEST"], (f"file://{session}/metrics.json", "session"))
        self.assertEqual(got["SCOPE_SESSION_DIR"], (session, "session"))

    def test_attach(self):
        path = self.write("libscope: {summaryperiod: 4}\n")
        got = self.dry_run("-u", path, cmd="attach")
        self.assertEqual(got["SCOPE_SUMMARY_PERIOD"], ("4", f"file {path}:1"))


class SearchPath(ConfigCase):
    def test_order(self):
        os.makedirs(self.home)
        home_file = self.write("libscope: {summaryperiod: 1}\n", name="home/scope.yml")
        conf_file = self.write("libscope: {summaryperiod: 2}\n", name="conf.yml")
        user_file = self.write("libscope: {summaryperiod: 3}\n", name="user.yml")
        env = dict(self.env, SCOPE_CONF_PATH=conf_file)
        self.assertEqual(self.dry_run()["#file"], home_file)
        got = self.dry_run("-u", user_file, env=env)
        self.assertEqual(got["SCOPE_SUMMARY_PERIOD"], ("3", f"file {user_file}:1"))
        got = self.dry_run(env=env)
        self.assertEqual(got["SCOPE_SUMMARY_PERIOD"], ("2", f"file {conf_file}:1"))

    def test_library_gets_the_absolute_path(self):
        self.write("libscope: {summaryperiod: 2}\n")
        out = os.path.join(self.dir, "env.out")
        r = self.scope("run", "-u", "scope.yml", "--", "sh", "-c",
                       f'echo "$SCOPE_CONF_PATH" > {out}', cwd=self.dir)
        self.assertEqual(r.returncode, 0, r)
        with open(out) as f:
            self.assertEqual(f.read(), os.path.join(os.path.realpath(self.dir), "scope.yml") + "\n")


if __name__ == "__main__":
    unittest.main()
