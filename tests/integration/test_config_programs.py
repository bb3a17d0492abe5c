"""test_config_programs.py: scope.yml takes effect in real programs: through
`scope run -u`, under SCOPE_* variables that override it, read by the
library alone (LD_PRELOAD and SCOPE_CONF_PATH), through `scope attach -u`,
and a bad file that the library ignores without harming the program."""
import os
import subprocess
import unittest

from scopetest import LIB, AttachTest, events_of, metrics_named, read_ndjson, texts


DD = ["dd", "if=/dev/zero", "bs=4096", "count=25"]   # 102400 bytes


class Config(AttachTest):
    def config(self, metric_format="statsd", extra=""):
        """A file that changes format, prefix, verbosity, tags, watch list
        and both destinations from their defaults."""
        path = os.path.join(self.dir, "scope.yml")
        with open(path, "w") as f:
            f.write(f"""metric:
  format:
    type: {metric_format}
    statsdprefix: 'app.'
    verbosity: 5
  transport:
    type: file
    path: {self.metrics}
event:
  watch:
    - type: fs
      name: ^fs\.(open|close)$
  transport: {{type: file, path: {self.events}}}
libscope:
  summaryperiod: 1
tags:
  team: storage
{extra}""")
        return path

    def statsd_lines(self):
        with open(self.metrics) as f:
            return f.read().splitlines()

    def dd_to(self, name):
        return [*DD, f"of={os.path.join(self.dir, name)}"]

    def check_statsd_out(self, out):
        """app.fs.write of `out`, per file (verbosity 5), tagged team."""
        want = f"app.fs.write:102400|c|#file:{out},team:storage,"
        lines = [l for l in self.statsd_lines() if l.startswith("app.fs.write:") and out in l]
        self.assertEqual(len(lines), 1, self.statsd_lines())
        self.assertTrue(lines[0].startswith(want), lines[0])

    def check_fs_events_no_console(self):
        """The watch list has fs, not console (dd writes its summary on
        stderr), and of fs events only opens and closes."""
        events = [e for e in read_ndjson(self.events) if "body" in e]   # not the start message
        opened = [e["data"]["file"] for e in events_of(events, "fs.open")]
        self.assertIn(os.path.join(self.dir, "out"), opened)
        self.assertEqual({e["body"]["sourcetype"] for e in events}, {"fs"})
        self.assertEqual({e["body"]["source"] for e in events}, {"fs.open", "fs.close"})
        self.assert_schema_valid(self.events)

    def test_run_with_file(self):
        out = os.path.join(self.dir, "out")
        r = self.scope("run", "-u", self.config(), "--", *self.dd_to("out"))
        self.assertNotIn("scope: session", r.stderr)      # both destinations given
        self.check_statsd_out(out)
        self.check_fs_events_no_console()

    def test_environment_overrides_file(self):
        env = dict(self.env, SCOPE_METRIC_FORMAT="ndjson", SCOPE_METRIC_VERBOSITY="4",
                   SCOPE_TAG_team="env", SCOPE_EVENT_CONSOLE="true")
        self.scope("run", "-u", self.config(), "--", *self.dd_to("out"), env=env)
        writes = metrics_named(self.metric_lines(), "fs.write")
        self.assertEqual(sum(b["_value"] for b in writes), 102400)
        self.assertTrue(all(b["team"] == "env" and "file" not in b for b in writes), writes)
        self.assertIn("records in", texts(self.event_lines(), "console").get("stderr", ""))
        self.assert_schema_valid(self.metrics, self.events)

    def test_library_alone(self):
        """LD_PRELOAD and SCOPE_CONF_PATH, no CLI: the library finds the file."""
        out = os.path.join(self.dir, "out")
        env = dict(self.env, LD_PRELOAD=LIB, SCOPE_CONF_PATH=self.config())
        r = subprocess.run(self.dd_to("out"), env=env, capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("scope:", r.stderr)
        self.check_statsd_out(out)
        self.check_fs_events_no_console()

    def test_library_ignores_a_bad_file(self):
        """The program runs as ever; the library says why and uses the
        defaults (statsd, verbosity 4) and the environment (destinations)."""
        bad = self.config(extra="  bad name: x\n")
        env = dict(self.env, LD_PRELOAD=LIB, SCOPE_CONF_PATH=bad,
                   SCOPE_METRIC_DEST="file://" + self.metrics, SCOPE_EVENT_DEST="")
        r = subprocess.run(["sh", "-c", "echo hello"], env=env, capture_output=True,
                           text=True, timeout=60)
        self.assertEqual((r.returncode, r.stdout), (0, "hello\n"))
        self.assertIn(f"{bad}:18: key tags.bad name: ", r.stderr)
        self.assertIn(f"{bad} is ignored; the defaults are used instead\n", r.stderr)
        names = [l.split(":")[0] for l in self.statsd_lines()]
        self.assertIn("proc.start", names)                # no "app." prefix

    def test_attach_with_file(self):
        """attach -u: the file's lines reach the library in its block."""
        prog = subprocess.Popen(["sleep", "30"])
        self.addCleanup(prog.wait)
        self.addCleanup(prog.kill)
        self.addCleanup(self.detach, prog.pid, check=None)
        r = self.scope("attach", "-u", self.config(metric_format="ndjson"), str(prog.pid))
        self.assertIn("metrics go to file://" + self.metrics, r.stderr)
        self.wait_for(lambda: os.path.exists(self.metrics) and self.metric_lines(), 10,
                      "metrics")
        lines = self.metric_lines()
        self.assertTrue(all(l["body"]["team"] == "storage" for l in lines), lines[:3])
        self.assert_schema_valid(self.metrics)


if __name__ == "__main__":
    unittest.main()
