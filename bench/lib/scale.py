"""bench/lib/scale.py: bench/run's scale and tracers sections.

scale: the write loop's CPU cost per call and resident memory as the
process grows in threads and open fds (bench/scale.c). tracers: the same
write loop under strace and ltrace, for comparison with libscope.
"""
import shutil
import subprocess

from common import Unavailable, progress, plain_env, Row, Section, measure_cell
from micro import SCOPED, micro_once


def scale_once(settings, threads, fds, prefix=(), env=None):
    """(CPU ns per call, resident KiB) of one `scale` run."""
    iterations = max(settings.scale_iterations // max(threads // 8, 1), 1_000)
    r = subprocess.run([*prefix, settings.scale, str(threads), str(fds), str(iterations)],
                       capture_output=True, text=True, env=env or plain_env(), timeout=600)
    if r.returncode == 3:
        raise Unavailable(r.stdout.strip())
    fields = r.stdout.split()
    if r.returncode != 0 or len(fields) != 2:
        raise Unavailable(f"n/a (scale failed: {r.stderr.strip()[-60:]})")
    return float(fields[0]), float(fields[1]) / 1024


def scale_section(settings, scope):
    section = Section("scale: CPU ns per write (64 B to /dev/null) as the process grows", notes=[
        "CPU ns: the process's CPU time (all threads, the reporter's too) over the "
        "timed loops / calls; THREADS write at once, each its own share",
        "fds: descriptors open (on /dev/null, opened after start: each one a file "
        "record under scope run; past 16,384 the records are out)",
        "2000 threads: past libscope's 1,024 thread states, the rest count on the "
        "shared records (atomic adds) and their events are dropped and counted",
        "flat: scope run's ratio to plain at this size / its ratio with 1 thread "
        "and 10 fds, within 5% (plain itself is not flat: threads writing to one "
        "file share its kernel structures); memory: scope run's resident MiB - plain's"])
    samples = {}
    for run in range(settings.runs):
        for threads, fds in settings.scale_cases:
            name = f"{threads} thr, {fds} fds"
            progress(f"scale {name}: run {run + 1}/{settings.runs}")
            for config, prefix, env in (("plain", (), None),
                                        (SCOPED, scope.run_prefix(), scope.cli_env())):
                try:
                    ns, mib = scale_once(settings, threads, fds, prefix, env)
                    samples.setdefault((name, config), []).append(ns)
                    samples.setdefault((name, config, "mib"), []).append(mib)
                except Unavailable as e:
                    samples[(name, config, "n/a")] = str(e)
            scope.forget_output()
    base = None
    for threads, fds in settings.scale_cases:
        name = f"{threads} thr, {fds} fds"
        plain = Row(name, "plain", samples.get((name, "plain")), "ns",
                    na=samples.get((name, "plain", "n/a")))
        scoped = Row(name, SCOPED, samples.get((name, SCOPED)), "ns",
                     na=samples.get((name, SCOPED, "n/a"))).ratio_to(plain)
        section.add(plain.ratio_to(plain))
        section.add(scoped)
        if base is None:
            base = scoped
        elif scoped.ratio is not None and base.ratio:
            flat = scoped.ratio / base.ratio
            scoped.judge(lambda r, flat=flat: abs(flat - 1) <= 0.05,
                         f"flat: {flat:.3f}x of 1 thr, 10 fds")
        plain_mib, scoped_mib = (samples.get((name, c, "mib")) for c in ("plain", SCOPED))
        if plain_mib and scoped_mib:
            section.add(Row(name, "memory added", [s - p for s, p in zip(scoped_mib, plain_mib)],
                            "MiB"))
    return section


def tracers_section(settings, scope):
    section = Section("tracers: the write loop (64 B to /dev/null) under other tools",
                      notes=["small iteration counts: compare the ratios"])
    tracers = {
        SCOPED: (scope.run_prefix(), "scope", settings.strace_iterations),
        "strace -f -o /dev/null": (["strace", "-f", "-o", "/dev/null"], "strace",
                                   settings.strace_iterations),
        "ltrace -f -o /dev/null": (["ltrace", "-f", "-o", "/dev/null"], "ltrace",
                                   settings.ltrace_iterations),
    }
    for config, (prefix, tool, iterations) in tracers.items():
        samples = {}
        installed = tool == "scope" or shutil.which(tool)
        for run in range(settings.runs):
            progress(f"tracers {config}: run {run + 1}/{settings.runs}")
            measure_cell(samples, "plain", lambda: micro_once(settings, "write", iterations))
            if installed:
                measure_cell(samples, config, lambda: micro_once(
                    settings, "write", iterations, prefix=prefix, env=scope.cli_env()))
        plain = Row(f"write x{iterations}", "plain", samples.get("plain"), "ns")
        section.add(plain.ratio_to(plain))
        section.add(Row(f"write x{iterations}", config, samples.get(config), "ns",
                        na=samples.get(config + " n/a", f"n/a ({tool} not installed)"))
                    ).ratio_to(plain)
    return section
