"""scope run on programs whose I/O goes through calls that were not
observed: bytes moved between fds inside the kernel (copy_file_range,
splice), sort's fread_unlocked and its mkstemp temporary files. Every byte
counted once, against the right file, with the files' own sizes as the
truth."""
import os
import unittest

from scopetest import PYTHON, ScopeTest, per_file_sum

SIZE = 3 * 1024 * 1024 + 17     # not a multiple of any buffer size


class KernelCopyTest(ScopeTest):
    def source(self):
        src = os.path.join(self.dir, "SRC")
        with open(src, "wb") as f:
            f.write(os.urandom(SIZE))
        return src

    def assert_copied(self, src, dst):
        self.assertEqual(os.path.getsize(dst), SIZE)
        m = self.metric_lines()
        self.assertEqual(per_file_sum(m, "fs.read").get(src), SIZE)
        self.assertEqual(per_file_sum(m, "fs.write").get(dst), SIZE)

    def test_cp_counts_what_copy_file_range_moved(self):
        # coreutils' cp copies a regular file with copy_file_range
        src, dst = self.source(), os.path.join(self.dir, "DST")
        self.scope_run(["cp", src, dst])
        self.assert_copied(src, dst)

    def test_python_copy_file_range(self):
        src, dst = self.source(), os.path.join(self.dir, "DST")
        prog = ("import os,sys\n"
                "i=os.open(sys.argv[1],os.O_RDONLY); o=os.open(sys.argv[2],os.O_WRONLY|os.O_CREAT,0o600)\n"
                "while os.copy_file_range(i,o,1<<20): pass\n")
        self.scope_run([PYTHON, "-c", prog, src, dst])
        self.assert_copied(src, dst)

    def test_python_splice_through_a_pipe(self):
        # file -> pipe -> file: the pipe has no record, the files have theirs
        src, dst = self.source(), os.path.join(self.dir, "DST")
        prog = ("import os,sys\n"
                "i=os.open(sys.argv[1],os.O_RDONLY); o=os.open(sys.argv[2],os.O_WRONLY|os.O_CREAT,0o600)\n"
                "r,w=os.pipe()\n"
                "while (n:=os.splice(i,w,65536)):\n"
                "    while n: n-=os.splice(r,o,n)\n")
        self.scope_run([PYTHON, "-c", prog, src, dst])
        self.assert_copied(src, dst)


class SortTest(ScopeTest):
    def test_sort_input_output_and_temporary_files(self):
        # sort reads with fread_unlocked, and with a small buffer spills
        # its runs into mkstemp files under -T, which it reads back
        src, dst = os.path.join(self.dir, "IN"), os.path.join(self.dir, "OUT")
        tmp = os.path.join(self.dir, "tmp")
        os.mkdir(tmp)
        with open(src, "w") as f:
            f.write("".join(f"{(i * 7919) % 100003}\n" for i in range(100000)))
        size = os.path.getsize(src)
        self.scope_run(["sort", "-S", "64K", "-T", tmp, "-o", dst, src])
        self.assertEqual(os.path.getsize(dst), size)
        m = self.metric_lines()
        self.assertEqual(per_file_sum(m, "fs.read").get(src), size)
        self.assertEqual(per_file_sum(m, "fs.write").get(dst), size)
        temp_w = {f: v for f, v in per_file_sum(m, "fs.write").items() if f.startswith(tmp + "/")}
        temp_r = {f: v for f, v in per_file_sum(m, "fs.read").items() if f.startswith(tmp + "/")}
        self.assertGreater(len(temp_w), 1)
        # each run is written once and merged back once; the first pass
        # wrote the whole input
        self.assertEqual(temp_w, temp_r)
        self.assertGreaterEqual(sum(temp_w.values()), size)
        opens = per_file_sum(m, "fs.open")
        self.assertTrue(all(opens.get(f) for f in temp_w), opens)


class SyscallTest(ScopeTest):
    def test_write_and_read_made_with_syscall(self):
        # python3's ctypes calls libc's syscall() by name: SYS_write and
        # SYS_read count against the file as write() and read() would.
        # _ctypes is loaded after attach, and objects loaded later are
        # patched at the reporter's next drain (10 ms): the sleep lets its
        # dlsym lookup be the wrapped one.
        path = os.path.join(self.dir, "F")
        prog = ("import ctypes,os,sys,time\n"
                "time.sleep(0.2)\n"
                "libc=ctypes.CDLL(None,use_errno=True); libc.syscall.restype=ctypes.c_long\n"
                "fd=os.open(sys.argv[1],os.O_RDWR|os.O_CREAT,0o600)\n"
                "data=b'x'*5000; w=0\n"
                "for i in range(3): w+=libc.syscall(1,fd,data,len(data))\n"
                "os.lseek(fd,0,0); buf=ctypes.create_string_buffer(8192); r=0\n"
                "while (n:=libc.syscall(0,fd,buf,8192))>0: r+=n\n"
                "bad=libc.syscall(1,-1,data,1)\n"
                "print(w,r,bad,ctypes.get_errno())\n")
        p = self.scope_run([PYTHON, "-c", prog, path])
        w, r, bad, err = map(int, p.stdout.split())
        self.assertEqual((w, r, bad, err), (15000, 15000, -1, 9))     # EBADF, untouched
        self.assertEqual(os.path.getsize(path), w)
        m = self.metric_lines()
        self.assertEqual(per_file_sum(m, "fs.write").get(path), w)
        self.assertEqual(per_file_sum(m, "fs.read").get(path), r)


if __name__ == "__main__":
    unittest.main()
