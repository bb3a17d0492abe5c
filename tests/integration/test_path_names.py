"""Every file is reported by its absolute, normalized path: relative
opens against the working directory as chdir left it, openat against its
directory's fd, and two different files never share a name (tar -C over a
tree with two files called x)."""
import os
import unittest

from scopetest import PYTHON, ScopeTest, per_file_sum


class PathNamesTest(ScopeTest):
    def test_relative_opens_follow_chdir(self):
        d1, d2 = os.path.join(self.dir, "d1"), os.path.join(self.dir, "d2")
        os.mkdir(d1)
        os.mkdir(d2)
        body = ("import os, sys\n"
                "os.chdir(sys.argv[1])\n"
                "open('x', 'w').write('a' * 10)\n"
                "os.chdir('../d2')\n"
                "open('./sub/../x', 'w').write('b' * 20) if os.path.isdir('sub') else "
                "open('x', 'w').write('b' * 20)\n"
                "fd = os.open(sys.argv[1], os.O_RDONLY)\n"
                "os.fchdir(fd)\n"
                "open('y', 'w').write('c' * 30)\n")
        os.mkdir(os.path.join(d2, "sub"))
        self.scope_run([PYTHON, "-c", body, d1])
        written = per_file_sum(self.metric_lines(), "fs.write")
        mine = {k: v for k, v in written.items() if "d1" in k or "d2" in k or k in ("x", "y")}
        self.assertEqual(mine, {os.path.join(d1, "x"): 10, os.path.join(d2, "x"): 20,
                                os.path.join(d1, "y"): 30})

    def test_openat_is_named_by_its_directory(self):
        d = os.path.join(self.dir, "d")
        os.mkdir(d)
        body = ("import os, sys\n"
                "dfd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)\n"
                "fd = os.open('z', os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=dfd)\n"
                "os.write(fd, b'q' * 7)\n"
                "os.close(fd)\n")
        self.scope_run([PYTHON, "-c", body, d])
        written = per_file_sum(self.metric_lines(), "fs.write")
        self.assertEqual(written.get(os.path.join(d, "z")), 7, written)
        self.assertNotIn("z", written)

    def test_tar_names_two_files_called_x_apart(self):
        tree = os.path.join(self.dir, "tree")
        for sub, size in (("a", 1000), ("b", 3000)):
            os.makedirs(os.path.join(tree, sub))
            with open(os.path.join(tree, sub, "x"), "w") as f:
                f.write("t" * size)
        archive = os.path.join(self.dir, "t.tar")
        self.scope_run(["tar", "-cf", archive, "-C", tree, "a", "b"])
        read = per_file_sum(self.metric_lines(), "fs.read")
        self.assertEqual(read.get(os.path.join(tree, "a", "x")), 1000, read)
        self.assertEqual(read.get(os.path.join(tree, "b", "x")), 3000, read)
        self.assertFalse([k for k in read if not k.startswith("/")], read)


if __name__ == "__main__":
    unittest.main()
