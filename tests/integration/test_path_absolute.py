"""Absolute paths are reported normalized whatever their shape: those
that are normal already are copied whole (the common case, taken without
a look at each component), the others ("//", "/./", "/../", a slash at
the end) go component by component; both must give the same name."""
import os
import unittest

from scopetest import PYTHON, ScopeTest, per_file_sum


class AbsolutePathNamesTest(ScopeTest):
    def test_absolute_paths_normalized(self):
        d = os.path.join(self.dir, "d")
        os.makedirs(os.path.join(d, "sub"))
        body = ("import os, sys\n"
                "d = sys.argv[1]\n"
                "for i, p in enumerate([d + '/n', d + '//s', d + '/./dot', "
                "d + '/sub/../up', d + '/.hidden', d + '/..x']):\n"
                "    fd = os.open(p, os.O_WRONLY | os.O_CREAT, 0o600)\n"
                "    os.write(fd, b'w' * (i + 1))\n"
                "    os.close(fd)\n")
        self.scope_run([PYTHON, "-c", body, d])
        written = per_file_sum(self.metric_lines(), "fs.write")
        mine = {k: v for k, v in written.items() if k.startswith(d)}
        self.assertEqual(mine, {os.path.join(d, "n"): 1, os.path.join(d, "s"): 2,
                                os.path.join(d, "dot"): 3, os.path.join(d, "up"): 4,
                                os.path.join(d, ".hidden"): 5, os.path.join(d, "..x"): 6})


if __name__ == "__main__":
    unittest.main()
