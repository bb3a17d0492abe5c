"""What scope cannot see is said once in a notice: a memory-mapped file's
I/O through the mapping (once per file), and a process's io_uring rings
(once per process, and counted in scope.io_uring.setup), here from
python3's mmap module and its ctypes."""
import os
import unittest

from scopetest import PYTHON, ScopeTest, events_of, metric_sum


class UnobservedIoTest(ScopeTest):
    def notices(self):
        return [e["data"] for e in events_of(self.event_lines(), "notice")]

    def test_a_mapped_file_is_said_once(self):
        a, b = os.path.join(self.dir, "a.bin"), os.path.join(self.dir, "b.bin")
        body = ("import mmap, sys\n"
                "for path in sys.argv[1:]:\n"
                "    with open(path, 'wb') as f:\n"
                "        f.write(b'x' * 8192)\n"
                "    with open(path, 'r+b') as f:\n"
                "        for _ in range(3):\n"
                "            m = mmap.mmap(f.fileno(), 8192)\n"
                "            m[0:4] = b'abcd'\n"
                "            m.close()\n")
        self.scope_run([PYTHON, "-c", body, a, b])
        told = self.notices()
        for path in (a, b):
            said = [n for n in told if n.startswith(path + " is memory-mapped")]
            self.assertEqual(len(said), 1, told)
        self.assert_schema_valid(self.events)

    def test_io_uring_is_said_once(self):
        body = ("import ctypes, mmap, os\n"
                "libc = ctypes.CDLL(None, use_errno=True)\n"
                "libc.syscall.restype = ctypes.c_long\n"
                "for _ in range(2):\n"
                "    params = (ctypes.c_char * 120)()\n"
                "    fd = libc.syscall(425, 4, params)   # io_uring_setup\n"
                "    assert fd >= 0, os.strerror(ctypes.get_errno())\n"
                "    mmap.mmap(fd, 4096, offset=0).close()   # its SQ ring\n"
                "    os.close(fd)\n")
        self.scope_run([PYTHON, "-c", body])
        said = [n for n in self.notices() if "io_uring" in n]
        self.assertEqual(len(said), 1, self.notices())
        self.assertIn("not observed", said[0])
        # said once, counted each time: the two rings
        self.assertEqual(metric_sum(self.metric_lines(), "scope.io_uring.setup"), 2)
        self.assert_schema_valid(self.metrics, self.events)

    def test_a_ring_never_mapped_is_counted_at_its_setup(self):
        """IORING_SETUP_NO_MMAP: the rings live in the program's memory,
        no mapping shows them; the setup through syscall() counts it."""
        body = ("import ctypes, mmap, os, struct, sys\n"
                "libc = ctypes.CDLL(None, use_errno=True)\n"
                "libc.syscall.restype = ctypes.c_long\n"
                "mem = [mmap.mmap(-1, 4096) for _ in range(2)]\n"
                "addr = [ctypes.addressof(ctypes.c_char.from_buffer(m)) for m in mem]\n"
                "params = (ctypes.c_char * 120)()\n"
                "struct.pack_into('I', params, 8, 1 << 14)       # flags: NO_MMAP\n"
                "struct.pack_into('Q', params, 72, addr[0])      # sq_off.user_addr: SQEs\n"
                "struct.pack_into('Q', params, 112, addr[1])     # cq_off.user_addr: rings\n"
                "fd = libc.syscall(425, 4, params)\n"
                "if fd < 0:\n"
                "    sys.exit(77 if ctypes.get_errno() == 22 else 1)   # kernel < 6.5\n"
                "os.close(fd)\n")
        p = self.scope_run([PYTHON, "-c", body], check_status=None)
        if p.returncode == 77:
            self.skipTest("this kernel has no IORING_SETUP_NO_MMAP")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(metric_sum(self.metric_lines(), "scope.io_uring.setup"), 1)
        self.assertEqual(len([n for n in self.notices() if "io_uring" in n]), 1)

    def test_a_forked_child_does_not_count_its_parents(self):
        """A count not yet reported when the process forks is the parent's:
        the child (which reports at its exit) does not count it again."""
        body = ("import ctypes, mmap, os\n"
                "libc = ctypes.CDLL(None, use_errno=True)\n"
                "libc.syscall.restype = ctypes.c_long\n"
                "params = (ctypes.c_char * 120)()\n"
                "fd = libc.syscall(425, 4, params)   # io_uring_setup\n"
                "assert fd >= 0, os.strerror(ctypes.get_errno())\n"
                "ring = mmap.mmap(fd, 4096, offset=0)   # counted here\n"
                "pid = os.fork()\n"
                "if pid == 0:\n"
                "    os._exit(0)\n"
                "os.waitpid(pid, 0)\n")
        self.scope_run([PYTHON, "-c", body])
        lines = self.metric_lines()
        self.assertEqual(metric_sum(lines, "scope.io_uring.setup"), 1,
                         [l["body"] for l in lines if "io_uring" in l["body"]["_metric"]])


if __name__ == "__main__":
    unittest.main()
