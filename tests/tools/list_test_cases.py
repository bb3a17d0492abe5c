#!/usr/bin/env python3
"""list_test_cases.py FILE...: the unittest.TestCase classes of each Python
test file that have test methods, one "FILE CLASS" line each, for ctest
(tests/CMakeLists.txt, scope_python_tests) to register one test per class.

Read from the source, not imported: CMake runs this at configure time,
before anything a test module needs at import is built. A class counts
when its bases lead to unittest.TestCase through classes of the same file,
of tests/lib/scopetest.py or of a test module it imports from, and it has
(or inherits) a method named test*.
"""
import ast
import os
import sys

HARNESS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib", "scopetest.py")
ROOTS = {"unittest.TestCase", "TestCase", "unittest.IsolatedAsyncioTestCase"}


def classes_of(path, cache):
    """{name: (base names, own test methods, the classes the bases are
    names in)} of path's classes, and of those it imports by name from
    scopetest or a sibling test module."""
    path = os.path.abspath(path)
    if path in cache:
        return cache[path]
    cache[path] = found = {}
    tree = ast.parse(open(path).read(), path)
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "scopetest":
                source = HARNESS
            else:
                source = os.path.join(os.path.dirname(path), node.module + ".py")
            if not os.path.exists(source):
                continue
            theirs = classes_of(source, cache)
            for alias in node.names:
                if alias.name in theirs:
                    found[alias.asname or alias.name] = theirs[alias.name]
        elif isinstance(node, ast.ClassDef):
            bases = [ast.unparse(b) for b in node.bases]
            tests = {n.name for n in node.body
                     if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                     and n.name.startswith("test")}
            found[node.name] = (bases, tests, found)
    return found


def is_test_case(name, classes, seen=()):
    if name in ROOTS:
        return True
    if name not in classes or name in seen:
        return False
    bases, _, scope = classes[name]
    return any(is_test_case(b, scope, (*seen, name)) for b in bases)


def test_methods(name, classes, seen=()):
    if name not in classes or name in seen:
        return set()
    bases, own, scope = classes[name]
    return own.union(*(test_methods(b, scope, (*seen, name)) for b in bases))


def main(paths):
    cache = {}
    for path in paths:
        classes = classes_of(path, cache)
        tree = ast.parse(open(path).read(), path)
        for node in tree.body:
            if (isinstance(node, ast.ClassDef) and is_test_case(node.name, classes)
                    and test_methods(node.name, classes)):
                print(path, node.name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
