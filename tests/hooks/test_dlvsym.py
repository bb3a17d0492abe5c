"""dlvsym of a hooked name gives its wrapper, as dlsym does: bytes written
through the pointer are counted, with the file's size as the truth."""
import os
import unittest

from scopetest import ScopeTest, example, per_file_sum


class DlvsymTest(ScopeTest):
    def test_write_found_by_version_is_counted(self):
        path = os.path.join(self.dir, "out")
        self.scope_run([example("dlvdemo"), path])
        self.assertEqual(os.path.getsize(path), 1234)
        self.assertEqual(per_file_sum(self.metric_lines(), "fs.write").get(path), 1234)


if __name__ == "__main__":
    unittest.main()
