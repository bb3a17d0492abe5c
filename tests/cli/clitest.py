"""clitest.py: what the `scope` CLI tests share: paths handed over by ctest,
a harmless shared library to preload, and a TestCase with a fresh SCOPE_HOME.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

SCOPE = os.environ["SCOPE_TEST_CLI"]
STATIC = os.environ["SCOPE_TEST_STATIC"]
LIBSCOPE = os.environ["SCOPE_TEST_LIBSCOPE"]
VERSION = os.environ["SCOPE_TEST_VERSION"]

SESSION_RE = re.compile(r"^scope: session (/.+)$", re.M)


def harmless_library():
    """A real shared library that does nothing when preloaded: libjansson."""
    out = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.strip().startswith("libjansson.so.4 ") and "x86-64" in line:
            return os.path.realpath(line.split("=>")[1].strip())
    raise unittest.SkipTest("libjansson.so.4 not found by ldconfig -p")


HARMLESS_LIB = harmless_library()


class ScopeTestCase(unittest.TestCase):
    """Each test gets a temp dir, SCOPE_HOME=<tmp>/home (not created yet) and
    SCOPE_LIB_PATH pointing at a harmless library; no other SCOPE_* or
    LD_PRELOAD variable leaks in from the caller."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="scope-cli-")
        self.home = os.path.join(self.tmp, "home")
        self.hist = os.path.join(self.home, "history")
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("SCOPE_") and k != "LD_PRELOAD"}
        self.env.update(SCOPE_HOME=self.home, SCOPE_LIB_PATH=HARMLESS_LIB)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def scope(self, *args, env=None, **kw):
        return subprocess.run([SCOPE, *args], env=env or self.env, capture_output=True,
                              text=True, timeout=60, **kw)

    def sessions(self):
        """Names in the history directory, sorted."""
        return sorted(os.listdir(self.hist)) if os.path.isdir(self.hist) else []

    def session_of(self, result):
        """The directory named by the "scope: session DIR" line of a run."""
        found = SESSION_RE.findall(result.stderr)
        self.assertEqual(len(found), 1, result.stderr)
        return found[0]

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
