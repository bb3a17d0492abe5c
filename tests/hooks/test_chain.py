"""The exec family, posix_spawnp and _Exit end or hand on a process image:
what each stage wrote is flushed first, and a program started with an
empty environment is observed all the same. Six stages (execl, execlp,
execle, execvpe, posix_spawnp, _Exit) append 100 bytes each: the file's
size is the truth."""
import os
import unittest

from scopetest import ScopeTest, example, per_file_sum


class ChainTest(ScopeTest):
    def test_every_stage_is_counted(self):
        path = os.path.join(self.dir, "log")
        self.scope_run([example("chain"), "0", path])
        self.assertEqual(os.path.getsize(path), 600)
        self.assertEqual(per_file_sum(self.metric_lines(), "fs.write").get(path), 600)


if __name__ == "__main__":
    unittest.main()
