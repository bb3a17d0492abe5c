"""coreutils od skipping input it cannot seek (-j on a FIFO) reads what
it skips with __fread_unlocked_chk: every byte it took from the FIFO is
counted, the skipped ones with the 16 it dumped. What was written and
asked for is the truth."""
import os
import shutil
import threading
import unittest

from scopetest import ScopeTest, per_file_sum

SIZE, SKIP, DUMP = 100_000, 90_000, 16


class OdSkipTest(ScopeTest):
    def test_skipped_bytes_counted(self):
        od = shutil.which("od")
        self.assertTrue(od, "no od (coreutils)")
        fifo = os.path.join(self.dir, "fifo")
        os.mkfifo(fifo)
        data = os.urandom(SIZE)

        def feed():
            with open(fifo, "wb") as f:
                try:
                    f.write(data)
                except BrokenPipeError:     # od stops reading after its 16
                    pass
        writer = threading.Thread(target=feed)
        writer.start()
        p = self.scope_run([od, "-An", "-tx1", "-v", "-j", str(SKIP), "-N", str(DUMP), fifo])
        writer.join()
        self.assertEqual(p.stdout.split(), [f"{b:02x}".encode() for b in data[SKIP:SKIP + DUMP]])
        self.assertEqual(per_file_sum(self.metric_lines(), "fs.read").get(fifo), SKIP + DUMP)


if __name__ == "__main__":
    unittest.main()
