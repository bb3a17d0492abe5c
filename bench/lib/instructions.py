"""bench/lib/instructions.py: bench/run's instructions section.

Instructions added per wrapped call, counted by callgrind and, where the
machine has the counter, perf stat: the difference between 2N and N loop
iterations, so what happens once (first calls, lazy binding) cancels.
"""
import re
import shutil
import subprocess
import tempfile

from common import Unavailable, progress, plain_env, preload_env, Row, Section


def callgrind_instructions(settings, workload, iterations, env, options=()):
    """Instructions executed inside micro's loop functions (loop_*, with what
    they call) for `micro WORKLOAD ITERATIONS` under callgrind: start-up, exit
    and libscope's reporter thread are left out."""
    with tempfile.NamedTemporaryFile(prefix="callgrind-") as out:
        r = subprocess.run(["valgrind", "--tool=callgrind", "--toggle-collect=loop_*",
                            f"--callgrind-out-file={out.name}",
                            settings.micro, *options, workload, str(iterations)],
                           capture_output=True, text=True, env=env, timeout=900)
        totals = re.search(rb"^(?:summary|totals):\s+(\d+)", out.read(), re.M)
    if r.returncode != 0 or not totals:
        raise Unavailable("n/a (callgrind failed: " + r.stderr.strip()[-60:] + ")")
    return int(totals.group(1))


def perf_instructions(settings, workload, iterations, env, options=()):
    r = subprocess.run(["perf", "stat", "-x,", "-e", "instructions:u",
                        settings.micro, *options, workload, str(iterations)],
                       capture_output=True, text=True, env=env, timeout=300)
    for line in r.stderr.splitlines():
        fields = line.split(",")
        if len(fields) > 2 and fields[2].startswith("instructions") and fields[0].isdigit():
            return int(fields[0])
    raise Unavailable("n/a (perf stat: no instruction count)")


def perf_missing():
    """None when `perf stat -e instructions` counts on this machine, else why not."""
    if not shutil.which("perf"):
        return "n/a (perf not installed)"
    r = subprocess.run(["perf", "stat", "-e", "instructions", "true"],
                       capture_output=True, text=True)
    if r.returncode != 0 or "not supported" in r.stderr or "<not counted>" in r.stderr:
        return "n/a (perf stat -e instructions: not supported here)"
    return None


def calls_made(iterations):
    """Loop iterations `micro WORKLOAD ITERATIONS` makes: its warm-up of a
    tenth plus one, then the measured loop (see measure() in micro.c)."""
    return iterations // 10 + 1 + iterations


def per_call(count, workload, n, env, options=()):
    """Instructions per loop iteration: the difference between 2N and N
    iterations cancels what happens once (first calls, lazy binding)."""
    return ((count(workload, 2 * n, env, options) - count(workload, n, env, options))
            / (calls_made(2 * n) - calls_made(n)))


def instruction_counters(settings):
    """(tool, count(workload, iterations, env, options), why it is unavailable
    or None)."""
    return [
        ("callgrind", lambda w, i, e, o: callgrind_instructions(settings, w, i, e, o),
         None if shutil.which("valgrind") else "n/a (valgrind not installed)"),
        ("perf stat", lambda w, i, e, o: perf_instructions(settings, w, i, e, o),
         perf_missing()),
    ]


def instructions_section(settings, scope):
    section = Section("instructions per call (user space; deterministic, so one run each)",
                      notes=["per call = (Ir(2N) - Ir(N)) / (calls(2N) - calls(N)), inside "
                             "micro's loop; the scoped config is "
                             "metrics+events as `scope run -m -e` sets it; "
                             "ratio: scoped / plain",
                             "plain + idle thread: glibc takes its multi-threaded "
                             "path (cancellation points) once any thread was "
                             "created; the rest is libscope's wrapper",
                             "call-through floor: bench/floor.c preloaded (a wrapper "
                             "that only calls and returns, and a sleeping thread); "
                             "beyond the floor: scoped - floor, libscope's own work"])
    n = settings.callgrind_iterations
    for tool, count, missing in instruction_counters(settings):
        if missing:
            section.add(Row(f"any ({tool})", "added per call", na=missing))
            continue
        for workload in settings.callgrind_workloads:
            # openclose: fewer pairs, each several times the work of a write
            iterations = n // 20 if workload == "openclose" else n
            name = f"{workload} ({tool})"
            progress(f"instructions {name}")
            try:
                plain = per_call(count, workload, iterations, plain_env())
                threaded = per_call(count, workload, iterations, plain_env(),
                                    ("--idle-thread", "own"))
                floor = per_call(count, workload, iterations, preload_env(settings.floor))
                scoped = per_call(count, workload, iterations, scope.full_env())
            except Unavailable as e:
                section.add(Row(name, "added per call", na=str(e)))
                continue
            section.add(Row(name, "plain", [plain], "instr"))
            section.add(Row(name, "plain + idle thread", [threaded], "instr")
                        ).ratio = threaded / plain
            section.add(Row(name, "call-through floor", [floor], "instr")).ratio = floor / plain
            section.add(Row(name, "scoped", [scoped], "instr")).ratio = scoped / plain
            section.add(Row(name, "scoped / floor", [scoped], "instr")).ratio = scoped / floor
            section.add(Row(name, "beyond the floor", [scoped - floor], "instr"))
            section.add(Row(name, "added per call", [scoped - plain], "instr"))
            section.add(Row(name, "added by the wrapper", [scoped - threaded], "instr"))
            scope.forget_output()
    return section
