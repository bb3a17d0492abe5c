"""Objects loaded with dlopen are observed from their first call, and the
loader behaves as without scope (RUNPATH and $ORIGIN are the caller's)."""
import os
import socket
import subprocess
import sys
import threading
import unittest

from scopetest import BUILD, PYTHON, ScopeTest, example, metric_sum, per_file_sum

SQLITE = r"""
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
con.execute("create table t (x text)")
con.executemany("insert into t values (?)", [("v" * 100,)] * 100)
con.commit()
con.close()
"""

IMPORT_SOCKMOD = r"""
import sys
sys.path.insert(0, sys.argv[1])
try:
    import sockmod
except SystemError:
    pass
"""


class DlopenEarlyTest(ScopeTest):
    def test_python3_extension_doing_socket_io_at_import_is_counted(self):
        lst = socket.socket()
        lst.bind(("127.0.0.1", 0))
        lst.listen(1)
        got = []

        def drain():
            c, _ = lst.accept()
            n = 0
            while chunk := c.recv(65536):
                n += len(chunk)
            c.close()
            got.append(n)

        t = threading.Thread(target=drain)
        t.start()
        env = dict(self.env, SOCKMOD_PORT=str(lst.getsockname()[1]))
        self.scope_run([PYTHON, "-c", IMPORT_SOCKMOD, os.path.join(BUILD, "lib", "pymod")],
                       env=env)
        t.join(30)
        lst.close()
        self.assertEqual(got, [5000])
        self.assertEqual(metric_sum(self.metric_lines(), "net.tx"), 5000)

    def test_python3_sqlite3_database_writes_are_counted(self):
        db = os.path.join(self.dir, "db")
        self.scope_run([PYTHON, "-c", SQLITE, db])
        writes = per_file_sum(self.metric_lines(), "fs.write")
        self.assertGreaterEqual(writes.get(db, 0), os.path.getsize(db))
        self.assertGreater(writes.get(db + "-journal", 0), 0)

    def test_runpath_and_origin_names_load_as_without_scope_and_are_counted(self):
        for how in ("runpath", "origin"):
            with self.subTest(how=how):
                out = os.path.join(self.dir, "out." + how)
                self.scope_run([example("dlrunpath"), how, out, "5000"])
                self.assertEqual(os.path.getsize(out), 5000)
                self.assertEqual(per_file_sum(self.metric_lines(), "fs.write").get(out), 5000)


if __name__ == "__main__":
    unittest.main()
