"""Absolute paths are reported normalized whatever their shape: those
that are normal already are copied whole (the common case, taken without
a look at each component), the others ("//", "/./", "/../", a slash at
the end) go component by component; both must give the same name."""
import os
import unittest

from scopetest import PYTHON, ScopeTest, per_file_sum


# (the path as opened, relative to the test's directory; its name)
SHAPES = [("/n", "n"), ("//s", "s"), ("/./dot", "dot"), ("/sub/../up", "up"),
          ("/.hidden", ".hidden"), ("/..x", "..x")]

# Writes i + 1 bytes to the i-th path of its arguments.
WRITER = """import os, sys
for i, p in enumerate(sys.argv[1:]):
    fd = os.open(p, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b'w' * (i + 1))
    os.close(fd)
"""


class AbsolutePathNamesTest(ScopeTest):
    def test_absolute_paths_normalized(self):
        d = os.path.join(self.dir, "d")
        os.makedirs(os.path.join(d, "sub"))
        self.scope_run([PYTHON, "-c", WRITER] + [d + opened for opened, _ in SHAPES])
        written = per_file_sum(self.metric_lines(), "fs.write")
        expected = {os.path.join(d, name): i + 1 for i, (_, name) in enumerate(SHAPES)}
        self.assertEqual({k: v for k, v in written.items() if k.startswith(d)}, expected)


if __name__ == "__main__":
    unittest.main()
