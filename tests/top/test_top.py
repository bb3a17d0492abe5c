"""test_top.py: `scope top` on real programs, on a real terminal (tmux).

mtio (examples/) runs its threads' read/write loop under `scope run -p 1
-v 5`, so that its session has a period a second naming its files. tmux
(its own server on a socket of this test) gives `scope top` a terminal of
a known size; capture-pane reads what is on it. After top exits, the
pane's shell records top's exit status and `stty -a`: a terminal left in
raw mode shows -icanon -echo there.
"""
import http.client
import os
import re
import shutil
import subprocess
import threading
import time
import unittest

from scopetest import SCOPE, ScopeTest, example

TMUX = shutil.which("tmux")


# The filtered-for process not shown yet: with other scoped processes on
# the machine top says none matches, with none at all that there is none.
NOT_SHOWN = r"no (process matches the filter|scoped process)"

class TopCase(ScopeTest):
    """Programs under scope, and scope top in a tmux pane."""

    def setUp(self):
        super().setUp()
        self.data = os.path.join(self.dir, "data")
        os.mkdir(self.data)

    def mtio(self, scoped=True):
        """mtio looping over its 8 files, under `scope run` (or not); its pid."""
        cmd = [example("mtio"), self.data]
        if scoped:
            cmd = [SCOPE, "run", "-p", "1", "-v", "5", "--", *cmd]
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, env=self.env, text=True, bufsize=1)
        self.addCleanup(p.stdout.close)
        self.addCleanup(p.wait, 30)
        self.addCleanup(p.stdin.close)
        self.addCleanup(lambda: p.poll() is None and p.stdin.write("stop\nquit\n"))
        ready = p.stdout.readline()
        m = re.match(r"^ready (\d+)$", ready.strip())
        self.assertTrue(m, f"mtio said {ready!r}")
        p.stdin.write("run\n")
        p.stdin.flush()
        return int(m.group(1))

    def nginx_under_wrk(self, seconds=20):
        """nginx (one worker) serving a 1 KiB file to wrk; the worker's pid."""
        worker, url, _ = self.nginx_serving()
        self.addCleanup(lambda: subprocess.run([SCOPE, "detach", str(worker)], env=self.env,
                                               capture_output=True))
        wrk = subprocess.Popen(["wrk", "-t1", "-c8", f"-d{seconds}s", url],
                               stdout=subprocess.DEVNULL)
        self.addCleanup(lambda: (wrk.terminate(), wrk.wait()))
        return worker


class Once(TopCase):
    def test_once_shows_the_process_and_its_files(self):
        pid = self.mtio()
        # its first periods are in the session within a second or two
        deadline = time.monotonic() + 5
        while True:
            out = self.scope("top", "--once", "-d", "0.5", "-f", str(pid), check=0).stdout
            if re.search(r"/data/mtio\.\d +\S+[KMG] ", out) or time.monotonic() > deadline:
                break
        row = [l for l in out.splitlines() if re.match(rf"^ *{pid} ", l)]
        self.assertEqual(len(row), 1, out)
        self.assertRegex(row[0], r" mtio +run ")
        # bytes read and written per second: mtio reads back what it writes
        rates = row[0].split()[-5:]
        self.assertRegex(rates[0], r"^[\d.]+[KMG]$", out)
        self.assertRegex(rates[1], r"^[\d.]+[KMG]$", out)
        self.assertIn(f"-- {pid} mtio (run) -- mtio_", out)
        files = re.findall(r"/data/mtio\.(\d) +\S+[KMG] ", out)
        self.assertGreaterEqual(len(set(files)), 4, out)
        self.assertNotIn("\x1b", out)

    def test_usage(self):
        self.assertIn("Usage: scope top", self.scope("top", "--help", check=0).stdout)
        self.assertIn("top [--once]", self.scope("--help", check=0).stdout)
        for bad in (["--sort", "bogus"], ["-d", "0"], ["-d", "x"], ["extra"], ["--nope"]):
            p = self.scope("top", *bad, check=2)
            self.assertRegex(p.stderr, r"^scope: .*; see `scope top --help`\n$")
        p = self.scope("top", check=1, stdin=subprocess.DEVNULL)
        self.assertIn("must be a terminal", p.stderr)

    def test_hostile_session_file_is_not_followed(self):
        """A FIFO put in place of the session's metrics.json is not opened
        (no hang); the process still shows, without I/O figures."""
        pid = self.mtio()
        hist = self.hist
        self.wait_for(lambda: os.listdir(hist), 5, "the session")
        d = os.path.join(hist, os.listdir(hist)[0])
        os.unlink(os.path.join(d, "metrics.json"))
        os.mkfifo(os.path.join(d, "metrics.json"))
        p = self.scope("top", "--once", "-d", "0.2", "-f", str(pid), check=0, timeout=10)
        self.assertRegex(p.stdout, rf"(?m)^ *{pid} mtio +run .* - +- +- +- +-$")
        self.assertIn("metrics.json is not a regular file", p.stdout)
        self.assertEqual(p.stderr.count("not a regular file"), 1, p.stderr)   # said once


@unittest.skipUnless(TMUX, "tmux is not installed (scripts/deps.sh installs it)")
class Screen(TopCase):
    """scope top drawn on a tmux terminal."""

    def start_top(self, width=80, height=24, args=(), env=""):
        self.sock = f"scope-top-test-{os.getpid()}-{id(self)}"
        self.rc = os.path.join(self.dir, "top.rc")
        self.stty = os.path.join(self.dir, "stty.after")
        cmd = " ".join([f"env SCOPE_HOME={self.home} {env}", SCOPE, "top", *args])
        shell = f"{cmd}; echo $? > {self.rc}; stty -a > {self.stty}; sleep 300"
        subprocess.run([TMUX, "-L", self.sock, "-f", "/dev/null", "new-session", "-d",
                        "-x", str(width), "-y", str(height), "-s", "top", shell], check=True)
        self.addCleanup(subprocess.run, [TMUX, "-L", self.sock, "kill-server"],
                        stderr=subprocess.DEVNULL)

    def tmux(self, *args):
        return subprocess.run([TMUX, "-L", self.sock, *args], capture_output=True,
                              text=True, check=True).stdout

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "top")

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "top", *keys)

    def wait_screen(self, pattern, seconds=3):
        """The screen once it matches pattern (a regex) within seconds."""
        found = []

        def match():
            s = self.screen()
            found[:] = [s]
            return re.search(pattern, s, re.M)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if match():
                return found[0]
            time.sleep(0.1)
        self.fail(f"not on the screen within {seconds} s: {pattern!r}\n{found[0] if found else ''}")

    def top_pid(self):
        """The pid of this test's scope top: its SCOPE_HOME is ours."""
        out = subprocess.run(["pgrep", "-f", f"^{SCOPE} top"], capture_output=True,
                             text=True).stdout.split()
        mine = []
        for pid in out:
            try:
                with open(f"/proc/{pid}/environ", "rb") as f:
                    if f"SCOPE_HOME={self.home}".encode() in f.read().split(b"\0"):
                        mine.append(int(pid))
            except OSError:
                pass
        self.assertEqual(len(mine), 1, out)
        return mine[0]

    def assert_restored(self, status):
        self.wait_for(lambda: os.path.exists(self.stty) and os.path.getsize(self.stty), 5,
                      "top exited")
        with open(self.rc) as f:
            self.assertEqual(f.read().strip(), str(status))
        with open(self.stty) as f:
            modes = f.read().split()
        for mode in ("icanon", "echo", "icrnl", "opost"):
            self.assertIn(mode, modes, f"{mode} not restored: {modes}")
        self.assertNotIn("PID COMMAND", self.screen())   # the shell's screen is back

    def test_shows_process_files_and_figures_within_3s(self):
        pid = self.mtio()
        self.start_top(args=("-f", str(pid)))
        s = self.wait_screen(rf"^ *{pid} mtio +run +[\d.]+ +[\d.]+[KM] .* [\d.]+[KMG] +[\d.]+[KMG] ")
        self.assertIn("PID COMMAND", s)
        s = self.wait_screen(r"/data/mtio\.\d +[\d.]+[KMG] +[\d.]+[KMG] +[\d.]+us")
        self.assertEqual(len(s.splitlines()), 24)
        self.keys("q")
        self.assert_restored(0)

    def test_keys_sort_filter_quit(self):
        pid = self.mtio()
        self.start_top(args=("-f", str(pid)))
        self.wait_screen(rf"^ *{pid} mtio ")
        self.keys("s")
        self.wait_screen(r"sort: mem")
        self.keys("S", "S")
        self.wait_screen(r"sort: name")
        self.keys("/")
        self.wait_screen(rf"^filter: {pid}_")
        self.keys("n", "o", "m", "a", "t", "c", "h", "Enter")
        self.wait_screen(r"no process matches the filter")
        self.keys("/", *["BSpace"] * len("nomatch"), "Enter")
        self.wait_screen(rf"^ *{pid} mtio ")
        self.wait_screen(r"\(1 shown\)")
        self.keys("/", "x", "Escape")
        self.wait_screen(rf"filter: {pid}\s")
        self.keys("q")
        self.assert_restored(0)

    def test_unknown_terminal_is_an_error(self):
        self.start_top(env="TERM=no-such-terminal")
        self.wait_screen(r"^scope: top: the terminal cannot be used")
        self.assert_restored(1)

    def test_sigterm_restores_the_terminal(self):
        pid = self.mtio()
        self.start_top(args=("-f", str(pid)))
        self.wait_screen(r"PID COMMAND")
        os.kill(self.top_pid(), 15)
        self.assert_restored(128 + 15)

    def test_resized_to_200x60_and_80x24(self):
        pid = self.mtio()
        self.start_top(args=("-f", str(pid)))
        self.wait_screen(r"/data/mtio\.\d +[\d.]+[KMG] ")
        self.tmux("resize-window", "-t", "top", "-x", "200", "-y", "60")


        def redrawn_wide():
            # the detail pane's figures end at the right edge (capture-pane
            # drops the spaces that end a line)
            lines = self.screen().splitlines()
            return (len(lines) == 60 and max(len(l) for l in lines) >= 195 and
                    re.search(r"(?m)^q quit", "\n".join(lines)))
        self.wait_for(redrawn_wide, 3, "redrawn at 200x60")
        self.tmux("resize-window", "-t", "top", "-x", "80", "-y", "24")

        def redrawn():
            lines = self.screen().splitlines()
            return (len(lines) == 24 and max(len(l) for l in lines) <= 80 and
                    re.search(r"(?m)^ +PID COMMAND +ST +CPU% +MEM +FD +THR +RD/s +WR/s "
                              r"+RX/s +TX/s +ERR/s$", "\n".join(lines)) and
                    re.search(rf"(?m)^ *{pid} mtio ", "\n".join(lines)))
        self.wait_for(redrawn, 3, "redrawn at 80x24")
        self.keys("q")
        self.assert_restored(0)

    def test_nginx_under_wrk_attached_from_the_view(self):
        """Another user's process (the worker runs as nobody): its session
        lives under /run/scope with a link in history, and is read."""
        worker = self.nginx_under_wrk()
        self.start_top(args=("-f", str(worker)))
        self.wait_screen(NOT_SHOWN)
        self.keys("a", *str(worker), "Enter")
        self.wait_screen(rf"attach {worker}: done", 10)
        s = self.wait_screen(rf"^ *{worker} nginx +att .* [\d.]+[KMG] +[\d.]+[KMG] +\d+ *$", 3)
        # its file's reads and its peers' receives and sends have their
        # own latencies (scope.fs.duration and scope.net.duration by op)
        s = self.wait_screen(r"/www/k\.html +[\d.]+[KMG] +0 +[\d.]+[um]s +[\d.]+[um]s ", 3)
        self.assertRegex(s, r"(?m)^PEER +RECV/s +SEND/s +RX P50 +RX P99 +TX P50 +TX P99")
        self.assertRegex(s, r"(?m)^127\.0\.0\.1:\d+ +[\d.]+[KM] +[\d.]+[KM] +[\d.]+[um]s +"
                            r"[\d.]+[um]s +[\d.]+[um]s +[\d.]+[um]s *$")
        self.keys("d")
        self.wait_screen(rf"detach {worker}: done", 10)
        self.keys("q")
        self.assert_restored(0)

    def drive_by_status(self, url, stop, done):
        """Until stop: keep-alive GETs, three of the page (200) to one of a
        page that is not there (404), about 100 rounds a second; done[s]
        counts the answers of status s."""
        host, rest = url.split("//")[1].split("/", 1)
        conn = http.client.HTTPConnection(host, timeout=5)
        paths = ["/" + rest] * 3 + ["/missing.html"]
        while not stop.is_set():
            for path in paths:
                conn.request("GET", path)
                r = conn.getresponse()
                r.read()
                done[r.status] = done.get(r.status, 0) + 1
            time.sleep(0.01)
        conn.close()

    def test_nginx_http_pane_by_status(self):
        """Real nginx attached from the view under a client of known
        statuses: the pane shows 200 and 404 at the client's rates (the
        newest period's), and the two targets, within 3 s of the attach."""
        worker, url, _ = self.nginx_serving()
        self.addCleanup(lambda: subprocess.run([SCOPE, "detach", str(worker)], env=self.env,
                                               capture_output=True))
        stop, done = threading.Event(), {}
        driver = threading.Thread(target=self.drive_by_status, args=(url, stop, done))
        driver.start()
        self.addCleanup(driver.join)
        self.addCleanup(stop.set)
        self.start_top(args=("-f", str(worker)))
        self.wait_screen(NOT_SHOWN)
        self.keys("a", *str(worker), "Enter")
        self.wait_screen(rf"attach {worker}: done", 10)
        t0, before = time.monotonic(), dict(done)
        s = self.wait_screen(r"^HTTP requests/s by status: 200 \d+ 404 \d+", 3)
        seconds = time.monotonic() - t0
        rates = dict(re.findall(r"(\d{3}) (\d+)", s.split("by status:")[1].splitlines()[0]))
        self.assertEqual(sorted(rates), ["200", "404"], s)
        # the client's own rates since the attach: the shown period is one
        # of them, give or take what load does to a second
        client = {st: (done.get(st, 0) - before.get(st, 0)) / seconds for st in (200, 404)}
        for st in (200, 404):
            self.assertGreater(int(rates[str(st)]), client[st] * 0.5, (s, client))
            self.assertLess(int(rates[str(st)]), client[st] * 2, (s, client))
        # three of the page to one missing, within what one period can cut
        self.assertAlmostEqual(int(rates["200"]) / int(rates["404"]), 3, delta=0.5, msg=s)
        self.assertRegex(s, r"(?m)^HTTP TARGET +REQ/s ")
        self.assertRegex(s, r"(?m)^/k\.html +\d+ ")
        self.assertRegex(s, r"(?m)^/missing\.html +\d+ ")
        # every latency column of a target has a figure: the mean from
        # http.duration.*, the quantiles from scope.http.duration.*
        heads = re.search(r"(?m)^HTTP TARGET +REQ/s +(.*)$", s).group(1).split()
        row = re.search(r"(?m)^/k\.html +(.*)$", s).group(1).split()
        self.assertEqual(len(row), 2 + len(heads), s)     # REQ/s, "-", then heads
        self.assertIn("P99", heads, s)
        self.assertNotIn("-", row[2:], s)
        self.assertNotEqual(row[2 + heads.index("MEAN")], "0.0us", s)
        self.keys("q")
        self.assert_restored(0)

    def test_attach_and_detach_from_the_view(self):
        pid = self.mtio(scoped=False)
        self.addCleanup(lambda: subprocess.run([SCOPE, "detach", str(pid)], env=self.env,
                                               capture_output=True))
        self.start_top(args=("-f", str(pid)))
        self.wait_screen(NOT_SHOWN)
        self.keys("a")
        self.wait_screen(r"^attach PID\|NAME: _")
        self.keys(*str(pid), "Enter")
        self.wait_screen(rf"attach {pid}: done", 10)
        self.wait_screen(rf"^ *{pid} mtio +att ")
        self.wait_screen(r"/data/mtio\.\d +[\d.]+[KMG] ", 5)
        self.keys("d")
        self.wait_screen(rf"detach {pid}: done", 10)
        self.wait_screen(rf"^ *{pid} mtio +det ")
        ps = subprocess.run([SCOPE, "ps", "--json"], env=self.env, capture_output=True,
                            text=True).stdout
        self.assertRegex(ps, rf'"pid": {pid},\s+"command": "mtio",\s+"state": "detached"')
        self.keys("q")
        self.assert_restored(0)


if __name__ == "__main__":
    unittest.main()
