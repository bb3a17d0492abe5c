"""bench/lib/servers.py: bench/run's macro section.

Debian's nginx under wrk and redis-server under redis-benchmark, plain,
under `scope run` and attached, server and load generator pinned to
different cores, plain and observed alternated within each run. Each
ratio gets a bootstrap 95% confidence interval of the paired runs and a
verdict: met, not met, or within noise. nginx is observed with HTTP
events and metrics on (the default; each such run is checked for
`http.req` events, so the row measures HTTP observation) and off.
"""
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import tempfile

from common import (MACRO_MIN_RUNS, Unavailable, progress, wait_until, plain_env, preload_env,
                    Row, Section)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_answers(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def stop_process(p):
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(c) for c in out.split()]


class Nginx:
    """Debian's nginx on a free loopback port: 1 worker, serving a 1 KiB file
    from a temporary directory."""

    def __init__(self, workdir, prefix=(), env=None):
        self.dir = tempfile.mkdtemp(prefix="nginx-", dir=workdir)
        os.chmod(self.dir, 0o755)       # the worker runs as nobody
        self.port = free_port()
        with open(os.path.join(self.dir, "k.html"), "wb") as f:
            f.write(b"x" * 1024)
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"daemon off; worker_processes 1; pid {self.dir}/nginx.pid;\n"
                    f"error_log {self.dir}/error.log;\n"
                    "events { worker_connections 1024; }\n"
                    f"http {{ access_log off; server {{ listen 127.0.0.1:{self.port}; "
                    f"root {self.dir}; }} }}\n")
        self.p = subprocess.Popen([*prefix, "nginx", "-c", conf, "-p", self.dir],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  env=env or plain_env())
        self.url = f"http://127.0.0.1:{self.port}/k.html"
        wait_until(lambda: port_answers(self.port), 10, "nginx up")

    def worker_pid(self):
        """The worker: the master's child, the master being what was
        started or (under `scope run`) its child."""
        for parent in (self.p.pid, *children(self.p.pid)):
            for pid in children(parent):
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        if f.read().startswith(b"nginx: worker process"):
                            return pid
                except OSError:
                    continue
        raise Unavailable("n/a (no nginx worker)")

    def stop(self):
        stop_process(self.p)
        shutil.rmtree(self.dir, ignore_errors=True)


def thread_cpu_ns(pid):
    """{thread name: CPU time in ns} of pid's threads (utime + stime; the
    kernel's clock ticks), summed over threads of one name."""
    tick_ns = 1e9 / os.sysconf("SC_CLK_TCK")
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
        except OSError:
            continue                    # the thread ended
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        out[name] = out.get(name, 0) + (int(fields[11]) + int(fields[12])) * tick_ns
    return out


def wrk(settings, url, seconds):
    """(requests/s, p99 latency in ms) from wrk with 2 threads, 32
    connections, on the load generator's cores."""
    out = subprocess.run([*pinned(settings.load_cpus), "wrk", "-t2", "-c32", f"-d{seconds}s",
                          "--latency", url],
                         capture_output=True, text=True, timeout=seconds + 60).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    if not rps or not p99 or re.search(r"Non-2xx|Socket errors", out):
        raise Unavailable("n/a (wrk: " + (out.strip().splitlines() or ["no output"])[-1] + ")")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return float(rps.group(1)), float(p99.group(1)) * scale


class Redis:
    """redis-server on a free loopback port, no persistence."""

    def __init__(self, workdir, prefix=(), env=None):
        self.dir = tempfile.mkdtemp(prefix="redis-", dir=workdir)
        self.port = free_port()
        self.p = subprocess.Popen([*prefix, "redis-server", "--port", str(self.port),
                                   "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                   "--dir", self.dir],
                                  stdout=subprocess.DEVNULL, env=env or plain_env())
        self.pid = self.p.pid
        wait_until(self.pings, 10, "redis up")

    def pings(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self):
        stop_process(self.p)
        shutil.rmtree(self.dir, ignore_errors=True)


def redis_benchmark(settings, port, requests):
    """{"SET": (requests/s, p99 ms), "GET": (...)} from redis-benchmark --csv,
    on the load generator's cores."""
    out = subprocess.run([*pinned(settings.load_cpus), "redis-benchmark", "-p", str(port),
                          "-t", "set,get", "-n", str(requests), "--csv"],
                         capture_output=True, text=True, timeout=600).stdout
    result = {}
    for line in out.splitlines():
        fields = [f.strip('"') for f in line.split(",")]
        if fields[0] in ("SET", "GET"):
            result[fields[0]] = (float(fields[1]), float(fields[6]))
    if len(result) != 2:
        raise Unavailable("n/a (redis-benchmark: no SET/GET result)")
    return result


# The reporter's thread name (reporter/rep.h REP_THREAD_NAME).
REPORTER_THREAD = "scope-reporter"
# The server with bench/floor.c's libfloor.so preloaded: call-through
# wrappers of the hooked functions it calls per request and a sleeping
# thread, what any interposer with a thread of its own costs it.
FLOOR = "call-through floor"
MACRO_CONFIGS = ("plain", FLOOR, "scope run", "attached")
# nginx with HTTP events and metrics on (the default, said explicitly)
# and off
HTTP_ON = {"SCOPE_EVENT_HTTP": "true", "SCOPE_METRIC_HTTP": "true"}
HTTP_OFF = {"SCOPE_EVENT_HTTP": "false", "SCOPE_METRIC_HTTP": "false"}
NGINX_CONFIGS = ("plain", FLOOR, "scope run, HTTP on", "attached, HTTP on",
                 "scope run, HTTP off", "attached, HTTP off")
BOOTSTRAP_RESAMPLES = 10_000

# (req/s at least, p99 at most) as ratios to plain. Servers: >= 0.98x and
# p99 <= 1.05x; nginx with HTTP observation on: >= 0.97x, p99 <= 1.05x
# (HTTP off: the servers' target, unchanged).
SERVER_TARGETS = (0.98, 1.05)
HTTP_TARGETS = (0.97, 1.05)


def targets_of(config):
    return HTTP_TARGETS if "HTTP on" in config else SERVER_TARGETS


def http_events_seen(scope):
    """Did the observed server send http.req events (HTTP on: else the row
    would not measure HTTP observation)? Read from the events file."""
    try:
        with open(scope.events, "rb") as f:
            return b'"http.req"' in f.read()
    except OSError:
        return False


def pinned(cpus):
    """The taskset prefix that runs a command on cpus (nothing when None)."""
    return ["taskset", "-c", cpus] if cpus else []


def record(samples, measure, config, run, value):
    """samples[(measure, config)][run] = value: runs pair plain with observed."""
    samples.setdefault((measure, config), {})[run] = value


def observed_first(run):
    """Odd runs measure the observed server first, even runs the plain one:
    neither order gets the quieter half of a machine that drifts."""
    return run % 2 == 1


def nginx_run(settings, scope, samples, run):
    """One run: a plain server measured plain then attached (the worker),
    and a server under `scope run`, in the order observed_first says."""
    def measure(config, server):
        worker = server.worker_pid()
        before = thread_cpu_ns(worker)
        rps, p99 = wrk(settings, server.url, settings.wrk_seconds)
        after = thread_cpu_ns(worker)
        record(samples, "req/s", config, run, rps)
        record(samples, "p99", config, run, p99)
        requests = rps * settings.wrk_seconds
        for name, thread in (("nginx", "worker"), (REPORTER_THREAD, "reporter")):
            if name in after:
                record(samples, f"CPU per request, {thread} thread", config, run,
                       (after[name] - before.get(name, 0)) / requests)
        if "HTTP on" in config:
            record(samples, "http events", config, run, http_events_seen(scope))
        scope.forget_output()

    def plain_then_attached():
        server = Nginx(scope.workdir, prefix=pinned(settings.server_cpus))
        try:
            wrk(settings, server.url, 1)        # warm-up: the worker's first requests
            measure("plain", server)
            for config, extra in (("attached, HTTP on", HTTP_ON),
                                  ("attached, HTTP off", HTTP_OFF)):
                try:
                    scope.attach(server.worker_pid(), extra_env=extra)
                    measure(config, server)
                    scope.detach(server.worker_pid())
                except Unavailable as e:
                    samples[("n/a", config)] = str(e)
        finally:
            server.stop()

    def served(config, prefix, env):
        """A server of its own, started under prefix with env, measured."""
        server = Nginx(scope.workdir, prefix=pinned(settings.server_cpus) + prefix, env=env)
        try:
            wrk(settings, server.url, 1)
            measure(config, server)
        finally:
            server.stop()

    def under_scope_run_both():
        served("scope run, HTTP on", scope.run_prefix(), scope.cli_env(HTTP_ON))
        served("scope run, HTTP off", scope.run_prefix(), scope.cli_env(HTTP_OFF))

    def plain_then_floor():
        plain_then_attached()
        served(FLOOR, [], preload_env(settings.floor))

    for step in (under_scope_run_both, plain_then_floor)[::1 if observed_first(run) else -1]:
        step()


def redis_run(settings, scope, samples, run):
    """One run, as nginx_run: plain then attached, and under `scope run`."""
    def measure(config, server):
        for test, (rps, p99) in redis_benchmark(settings, server.port,
                                                settings.redis_requests).items():
            record(samples, f"{test} req/s", config, run, rps)
            record(samples, f"{test} p99", config, run, p99)

    def plain_then_attached():
        server = Redis(scope.workdir, prefix=pinned(settings.server_cpus))
        try:
            measure("plain", server)
            try:
                scope.attach(server.pid)
                measure("attached", server)
            except Unavailable as e:
                samples[("n/a", "attached")] = str(e)
        finally:
            server.stop()

    def served(config, prefix, env):
        """A server of its own, started under prefix with env, measured."""
        server = Redis(scope.workdir, prefix=pinned(settings.server_cpus) + prefix, env=env)
        try:
            measure(config, server)
        finally:
            server.stop()

    def under_scope_run():
        served("scope run", scope.run_prefix(), scope.cli_env())

    def plain_then_floor():
        plain_then_attached()
        served(FLOOR, [], preload_env(settings.floor))

    for step in (under_scope_run, plain_then_floor)[::1 if observed_first(run) else -1]:
        step()


def bootstrap_median_ci(values, seed=0):
    """95% confidence interval of the median of values: percentiles 2.5 and
    97.5 of the medians of BOOTSTRAP_RESAMPLES resamples with replacement.
    A fixed seed: the same runs always give the same interval."""
    rng = random.Random(seed)
    medians = sorted(statistics.median(rng.choices(values, k=len(values)))
                     for _ in range(BOOTSTRAP_RESAMPLES))
    return (medians[int(0.025 * (len(medians) - 1))],
            medians[int(0.975 * (len(medians) - 1))])


def macro_verdict(ci, target, higher_is_better):
    """met when the whole interval is on the good side of the target, not
    met when it is all on the bad side, within noise when it spans it."""
    low, high = ci
    good, bad = (low >= target, high < target) if higher_is_better else \
        (high <= target, low > target)
    return "met" if good else "NOT met" if bad else "within noise"


def judge_paired(row, plain_by_run, by_run, target, higher_is_better):
    """The row's ratio: the median over runs of observed / plain of the same
    run, with its bootstrap interval and verdict."""
    ratios = [by_run[r] / plain_by_run[r] for r in sorted(by_run)
              if plain_by_run.get(r)]
    if not ratios:
        return
    row.ratio = statistics.median(ratios)
    row.ci = bootstrap_median_ci(ratios)
    rule = (">= " if higher_is_better else "<= ") + f"{target}x"
    row.target = f"{macro_verdict(row.ci, target, higher_is_better)} ({rule}, {len(ratios)} runs)"


def macro_rows(section, name, samples, measures, configs=MACRO_CONFIGS):
    """Rows per measure (req/s: higher is better; p99: lower is better) and
    configuration, judged against targets_of(config)."""
    for measure in measures:
        unit = "ms" if "p99" in measure else "req/s"
        plain_by_run = samples.get((measure, "plain"), {})
        for config in configs:
            na = samples.get(("n/a", config)) or samples.get(("error", config))
            by_run = samples.get((measure, config), {})
            row = section.add(Row(f"{name} {measure}", config, list(by_run.values()), unit,
                                  na=na or "n/a"))
            if config != "plain":
                least_rps, most_p99 = targets_of(config)
                judge_paired(row, plain_by_run, by_run, *((most_p99, False) if unit == "ms"
                                                          else (least_rps, True)))
            if config == FLOOR and row.target:
                row.target = "the floor itself: " + row.target
    floor_notes(section, name, samples, measures, configs)


def floor_notes(section, name, samples, measures, configs):
    """Per observed configuration, the median over runs of observed / floor
    of the same run: what libscope costs beyond any interposer."""
    for measure in measures:
        floor_by_run = samples.get((measure, FLOOR), {})
        for config in configs:
            if config in ("plain", FLOOR):
                continue
            ratios = [v / floor_by_run[r] for r, v in samples.get((measure, config), {}).items()
                      if floor_by_run.get(r)]
            if ratios:
                section.notes.append(f"{name} {measure}, {config} / {FLOOR} = "
                                     f"{statistics.median(ratios):.3f}x (median of "
                                     f"{len(ratios)} runs): libscope's own cost")


def cpu_rows(section, samples):
    """nginx's CPU per request by thread: steadier than req/s, and it says
    whose time it is (the worker's own calls, or the reporter's on the
    same pinned core). Not targets: measured, with the worker's ratio."""
    for thread in ("worker", "reporter"):
        measure = f"CPU per request, {thread} thread"
        plain = samples.get((measure, "plain"), {})
        for config in NGINX_CONFIGS:
            by_run = samples.get((measure, config))
            if not by_run:
                continue
            row = section.add(Row(f"nginx {measure}", config, list(by_run.values()), "ns"))
            if plain and config != "plain":
                ratios = [v / plain[r] for r, v in by_run.items() if plain.get(r)]
                row.ratio = statistics.median(ratios) if ratios else None


def http_notes(section, samples):
    """Whether the HTTP-on runs made http.req events: a run without them
    did not observe HTTP, and its row says less than it seems to."""
    for config in NGINX_CONFIGS:
        seen = samples.get(("http events", config))
        if seen is not None:
            runs = len(seen)
            made = sum(1 for v in seen.values() if v)
            section.notes.append(f"nginx {config}: http.req events in {made} of {runs} runs"
                                 + ("" if made == runs else " (NOT all: HTTP not observed)"))


def run_server_benchmark(settings, scope, name, one_run):
    samples = {}
    for run in range(settings.macro_runs):
        progress(f"macro {name}: run {run + 1}/{settings.macro_runs}")
        try:
            one_run(settings, scope, samples, run)
        except Unavailable as e:
            for config in NGINX_CONFIGS + MACRO_CONFIGS:
                samples.setdefault(("error", config), str(e))
        scope.forget_output()
    return samples


def macro_section(settings, scope):
    pinning = (f"server on cores {settings.server_cpus}, load generator on cores "
               f"{settings.load_cpus} (taskset)" if settings.server_cpus
               else "one core: server and load generator not pinned apart")
    section = Section("macro: servers on loopback", notes=[
        f"nginx: 1 worker, 1 KiB file, wrk -t2 -c32 -d{settings.wrk_seconds}s --latency; "
        "attached: the worker",
        f"redis: redis-benchmark -t set,get -n {settings.redis_requests} (50 clients)",
        "scope run and attach: metrics and events to files; nginx with HTTP events "
        "and metrics on (target >= 0.97x, p99 <= 1.05x) and off (>= 0.98x, as redis)",
        pinning,
        "nginx CPU per request: the worker process's threads' CPU time (/proc, clock "
        "ticks) over wrk's run, divided by its requests; reporter: libscope's thread "
        "in the worker",
        f"{FLOOR}: the server with bench/floor.c's libfloor.so preloaded (call-through "
        "wrappers of the hooked functions it calls per request, and a sleeping thread): what "
        "any interposer with a thread costs it; its row is judged against the same target",
        f"{settings.macro_runs} runs, plain and observed in each, their order alternating; "
        "ratio: median over runs of observed / plain of the same run, [95% bootstrap "
        "interval]; within noise: the interval spans the target"])
    if settings.macro_runs < MACRO_MIN_RUNS:
        section.notes.append(f"fewer than {MACRO_MIN_RUNS} runs: verdicts may not repeat")
    samples = run_server_benchmark(settings, scope, "nginx", nginx_run)
    macro_rows(section, "nginx", samples, ("req/s", "p99"), NGINX_CONFIGS)
    cpu_rows(section, samples)
    http_notes(section, samples)
    samples = run_server_benchmark(settings, scope, "redis", redis_run)
    macro_rows(section, "redis", samples, ("SET req/s", "SET p99", "GET req/s", "GET p99"))
    return section
