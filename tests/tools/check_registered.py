#!/usr/bin/env python3
"""check_registered.py FILE...: fails when the classes unittest would run in
a test file differ from those list_test_cases.py registers with ctest (a
TestCase reached through a base the source reading cannot follow would
otherwise never run). Imports each file: run with the tests' environment.
"""
import importlib.util
import os
import subprocess
import sys
import unittest

LISTER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "list_test_cases.py")


def loaded_classes(path):
    """Names of the classes defined in path whose tests unittest loads."""
    name = os.path.splitext(os.path.basename(path))[0]
    sys.path.insert(0, os.path.dirname(path))
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.pop(0)
    found = set()
    for suite in unittest.defaultTestLoader.loadTestsFromModule(module):
        for test in suite:
            if type(test).__module__ == name:
                found.add(type(test).__name__)
    return found


def main(paths):
    listed = {}
    out = subprocess.run([sys.executable, LISTER, *paths], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        path, case = line.split()
        listed.setdefault(path, set()).add(case)
    status = 0
    for path in paths:
        want, got = loaded_classes(path), listed.get(path, set())
        for case in sorted(want - got):
            print(f"{path}: {case} has tests but is not registered with ctest")
            status = 1
        for case in sorted(got - want):
            print(f"{path}: {case} is registered but unittest finds no tests in it")
            status = 1
    print(f"{sum(map(len, listed.values()))} classes in {len(paths)} files registered")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
