"""bench/lib/micro.py: bench/run's micro section.

ns per call of hooked libc I/O functions (bench/micro.c), plain, through
the call-through floor (bench/floor.c), with metrics only, with `scope
run`'s defaults, attached and after detach; for write also a plain
process with an idle second thread, which is what libscope's reporter
costs before it does anything.
"""
import subprocess

from common import Unavailable, progress, plain_env, preload_env, Section, measure_cell, rows_of


FLOOR = "call-through floor"
SCOPED = "scope run (metrics+events)"
MICRO_CONFIGS = ("plain", FLOOR, "metrics only", SCOPED, "attached", "after detach")
# For write only, no libscope: what a second thread alone costs (micro
# --idle-thread): the reporter's cost before it does anything.
IDLE_OWN_TABLE = "plain + idle thread, own fd table"
IDLE_CONFIGS = {"plain + idle thread, shared fd table": "shared", IDLE_OWN_TABLE: "own"}
# For write only: the floor again, its write returning by pop and jmp
# instead of ret (bench/floor.c): what the one mispredicted ret costs.
FLOOR_JMP = "call-through floor, returning by jmp"
WRITE_ONLY_CONFIGS = (FLOOR_JMP, *IDLE_CONFIGS)
# The targets (issue 16), printed as met / not met, never asserted: scope
# run against the call-through floor for write and read (no wrapper that
# returns to its caller goes below it), against plain for the others.
TARGETS = {"write": (FLOOR, 1.03), "read": (FLOOR, 1.03),
           "fwrite": ("plain", 1.15), "openclose": ("plain", 1.15)}


def micro_once(settings, workload, iterations, prefix=(), env=None, options=()):
    out = subprocess.run([*prefix, settings.micro, *options, workload, str(iterations)],
                         capture_output=True, text=True, env=env or plain_env(),
                         timeout=600)
    if out.returncode != 0:
        raise Unavailable(f"n/a (micro failed: {out.stderr.strip()[:60]})")
    return float(out.stdout.split()[-1])


class WaitingMicro:
    """micro --wait: started plain; measures once per request, so that scope
    can attach and detach between measurements."""

    def __init__(self, settings, workload, iterations):
        self.p = subprocess.Popen([settings.micro, "--wait", workload, str(iterations)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True, env=plain_env())
        self.pid = int(self.p.stdout.readline().split()[1])

    def measure(self):
        self.p.stdin.write("go\n")
        self.p.stdin.flush()
        return float(self.p.stdout.readline())

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=60)


def micro_attach_cycle(settings, scope, workload, iterations, samples):
    """One process: measured plain (discarded: warms the same state the other
    two see), attached, then after detach."""
    if scope.attach_missing:
        raise Unavailable(scope.attach_missing)
    m = WaitingMicro(settings, workload, iterations)
    try:
        m.measure()
        scope.attach(m.pid)
        measure_cell(samples, "attached", m.measure)
        scope.detach(m.pid)
        measure_cell(samples, "after detach", m.measure)
    finally:
        m.close()


def detach_within_noise(plain):
    """After detach the call is the plain call again: the ratio must be 1
    within the spread the plain runs themselves show (half their relative
    range, at least 1%)."""
    spread = (max(plain.samples) - min(plain.samples)) / plain.median / 2
    tolerance = max(0.01, spread)
    return (lambda row: abs(row.ratio - 1) <= tolerance), f"1.00x +-{tolerance:.3f}"


def target_judge(workload, rows):
    """The scope run row against its workload's target, if it has one."""
    if workload not in TARGETS:
        return
    config, limit = TARGETS[workload]
    scoped, ref = rows[SCOPED], rows[config]
    if not (scoped.median and ref.median):
        return
    rule = f"<= {limit:.2f}x {config}: {scoped.median / ref.median:.3f}x"
    if config == FLOOR and ref.ratio is not None:
        rule += f"; the floor alone is {ref.ratio:.2f}x plain here"
    scoped.judge(lambda r: r.median / ref.median <= limit, rule)


def micro_section(settings, scope):
    section = Section("micro: ns per call (lower is better)", notes=[
        "sendrecv: ns per send+recv pair; openclose: per open+close pair",
        "openclose runs twice: the shorter run includes the first use of "
        "libscope's file records (page faults), the longer one is mostly reuse",
        "metrics only: LD_PRELOAD with SCOPE_METRIC_DEST and SCOPE_EVENT_ENABLE=false",
        "attached / after detach: one process per run, attached then detached "
        "between two measurements",
        "call-through floor: libfloor.so (bench/floor.c) preloaded, wrappers that only call "
        "libc's function and return its result, plus a sleeping thread; what any "
        "interposer that sees results costs here (see the README's Performance)",
        "call-through floor, returning by jmp: write only, the floor with pop+jmp "
        "instead of ret; the difference is what the wrapper's mispredicted return "
        "after the system call costs",
        "plain + idle thread: no libscope, a thread that sleeps; sharing the fd "
        "table makes the kernel take a file reference and position lock per "
        "read/write, which is why libscope's reporter has its own table"])
    for workload, iterations in settings.micro_cases:
        samples = {}
        for run in range(settings.runs):
            progress(f"micro {workload}: run {run + 1}/{settings.runs}")
            measure_cell(samples, "plain", lambda: micro_once(settings, workload, iterations))
            measure_cell(samples, FLOOR, lambda: micro_once(
                settings, workload, iterations, env=preload_env(settings.floor)))
            measure_cell(samples, "metrics only", lambda: micro_once(
                settings, workload, iterations, env=scope.metrics_only_env()))
            measure_cell(samples, SCOPED, lambda: micro_once(
                settings, workload, iterations, prefix=scope.run_prefix(), env=scope.cli_env()))
            try:
                micro_attach_cycle(settings, scope, workload, iterations, samples)
            except Unavailable as e:
                for config in ("attached", "after detach"):
                    samples.setdefault(config + " n/a", str(e))
            if workload == "write":
                measure_cell(samples, FLOOR_JMP, lambda: micro_once(
                    settings, workload, iterations, env=preload_env(settings.floor_jmp)))
                for config, table in IDLE_CONFIGS.items():
                    measure_cell(samples, config, lambda: micro_once(
                        settings, workload, iterations, options=("--idle-thread", table)))
            scope.forget_output()
        configs = MICRO_CONFIGS + (WRITE_ONLY_CONFIGS if workload == "write" else ())
        rows = {row.config: row for row in
                rows_of(f"{workload} x{iterations}", configs, samples, "ns")}
        plain = rows["plain"]
        for row in rows.values():
            section.add(row.ratio_to(plain))
        scoped, floor = rows[SCOPED], rows[FLOOR]
        if scoped.median and floor.median:
            section.notes.append(
                f"{workload} x{iterations}: scope run / call-through floor = "
                f"{scoped.median / floor.median:.3f}x: libscope's own work")
        target_judge(workload, rows)
        if workload == "write" and plain.median:
            rows["after detach"].judge(*detach_within_noise(plain))
            idle = rows[IDLE_OWN_TABLE]
            if idle.median and scoped.median:
                section.notes.append(
                    "write: scope run / plain + idle thread (own fd table) = "
                    f"{scoped.median / idle.median:.3f}x: "
                    "what the wrapper adds beyond a second thread in the process")
    return section
