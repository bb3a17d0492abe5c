"""bench/lib/common.py: what every section of bench/run shares.

Settings (paths and sizes of one invocation), the results (Row, Section)
and how they are printed as text or Markdown tables with the machine and
revision heading them, Scope (how the harness runs a program under
libscope, attaches and detaches), the environments with and without
libscope, and small helpers: progress lines, waiting for a condition,
which cores the servers and their load generators get.
"""
import datetime
import os
import platform
import statistics
import subprocess
import sys
import time


# bench/lib/common.py -> the repository
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECTIONS = ("micro", "macro", "attach", "scale", "tracers", "instructions")
MICRO_WORKLOADS = ("write", "read", "openclose", "sendrecv", "fwrite")
MIB = 1024 * 1024
MACRO_MIN_RUNS = 7


class Unavailable(Exception):
    """A configuration that cannot be measured here; its text goes in the cell."""


# ---- settings ---------------------------------------------------------------

class Settings:
    """Paths and sizes of one invocation. --quick divides the work by about 5."""

    def __init__(self, args):
        self.quick = args.quick
        self.runs = args.runs or (3 if args.quick else 5)
        # Server figures move 5-20% between runs: a verdict needs many runs
        # (shorter ones under --quick, as many by default).
        self.macro_runs = args.runs or MACRO_MIN_RUNS
        self.server_cpus, self.load_cpus = split_cpus()
        build = os.path.abspath(args.build)
        self.scope = os.path.join(build, "bin", "scope")
        self.lib = os.path.join(build, "lib", "libscope.so")
        self.micro = os.path.join(build, "bench", "micro")
        self.threads = os.path.join(build, "bench", "threads")
        self.scale = os.path.join(build, "bench", "scale")
        self.floor = os.path.join(build, "bench", "libfloor.so")
        self.floor_jmp = os.path.join(build, "bench", "libfloor-jmp.so")
        q = 5 if args.quick else 1
        # (workload, iterations). openclose runs twice: short, where the
        # first use of libscope's file records (page faults) weighs, and
        # long, where records freed 10-20 ms after their close are reused.
        self.micro_cases = [("write", 2_000_000 // q), ("read", 2_000_000 // q),
                            ("openclose", 10_000 // q), ("openclose", 20_000 if args.quick else 40_000),
                            ("sendrecv", 200_000 // q), ("fwrite", 2_000_000 // q)]
        self.wrk_seconds = 2 if args.quick else 5
        self.redis_requests = 20_000 if args.quick else 100_000
        # (threads, open fds): cost per call flat across these is the target;
        # past libscope's pools (16,384 file records, 65,536 fds, 1,024 threads)
        # a proxy's 100,000 connections and a JVM's 3,000 threads
        self.scale_cases = [(1, 10), (2, 10), (4, 10), (8, 10), (1, 10_000), (1, 19_000), (1, 60_000),
                            (1, 100_000), (8, 10_000), (2_000, 10), (3_000, 10)]
        self.scale_iterations = 20_000 if args.quick else 100_000    # per thread
        self.strace_iterations = 5_000 if args.quick else 20_000
        self.ltrace_iterations = 1_000 if args.quick else 5_000
        self.callgrind_iterations = 20_000 if args.quick else 100_000
        self.callgrind_workloads = ("write",) if args.quick else MICRO_WORKLOADS

    def check_built(self):
        for path in (self.scope, self.lib, self.micro, self.threads, self.scale,
                     self.floor, self.floor_jmp):
            if not os.path.exists(path):
                sys.exit(f"bench/run: {path} is missing: build first "
                         "(cmake --build BUILD --target bench_micro bench_threads bench_scale "
                         "bench_floor bench_floor_jmp scope libscope_so)")


def progress(text):
    print(f"bench: {text}", file=sys.stderr, flush=True)


def split_cpus():
    """(server cores, load generator cores) as taskset lists: the first half
    of the cores we may use for the server, the rest for the load. None for
    both on a single core (nothing to pin apart)."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None, None
    half = len(cpus) // 2
    return ",".join(map(str, cpus[:half])), ",".join(map(str, cpus[half:]))



def wait_until(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise Unavailable(f"n/a ({what} not within {seconds} s)")



def plain_env():
    """Our environment without anything that would load or configure libscope."""
    return {k: v for k, v in os.environ.items()
            if k != "LD_PRELOAD" and not k.startswith("SCOPE_")}


def preload_env(lib):
    """Our environment with lib preloaded, and no libscope settings."""
    return dict(plain_env(), LD_PRELOAD=lib)


# ---- results ----------------------------------------------------------------

class Row:
    """One line of a table: a median (or why there is none), its ratio to the
    plain configuration of the same workload, and the target verdict."""

    def __init__(self, workload, config, samples=None, unit="", na=None):
        self.workload, self.config, self.unit = workload, config, unit
        self.samples = samples or []
        self.na = na
        self.ratio = None
        self.ci = None              # (low, high) of the ratio, 95%
        self.target = ""

    @property
    def median(self):
        return statistics.median(self.samples) if self.samples else None

    def ratio_to(self, plain):
        if self.median is not None and plain.median:
            self.ratio = self.median / plain.median
        return self

    def judge(self, met, rule):
        if self.median is not None:
            self.target = ("met" if met(self) else "NOT met") + f" ({rule})"
        return self


class Section:
    def __init__(self, title, notes=()):
        self.title, self.rows, self.notes = title, [], list(notes)

    def add(self, row):
        self.rows.append(row)
        return row


def format_value(value, unit):
    digits = {"ns": 1, "req/s": 0, "ms": 2, "s": 2, "MiB": 2, "KiB": 0, "instr": 1}
    return f"{value:.{digits.get(unit, 2)}f} {unit}".strip()


def row_cells(row):
    value = row.na if row.median is None else format_value(row.median, row.unit)
    ratio = "" if row.ratio is None else f"{row.ratio:.3f}x"
    if row.ci is not None:
        ratio += f" [{row.ci[0]:.3f}, {row.ci[1]:.3f}]"
    return [row.workload, row.config, value or "n/a", ratio, row.target]


HEADINGS = ["workload", "configuration", "median", "ratio vs plain", "target met?"]


def print_text_table(section):
    cells = [HEADINGS] + [row_cells(r) for r in section.rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADINGS))]
    print(f"\n== {section.title} ==")
    for n, line in enumerate(cells):
        print("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    for note in section.notes:
        print(f"  note: {note}")


def print_markdown_table(section):
    print(f"\n### {section.title}\n")
    print("| " + " | ".join(HEADINGS) + " |")
    print("|" + "---|" * len(HEADINGS))
    for row in section.rows:
        print("| " + " | ".join(c.replace("|", "\\|") for c in row_cells(row)) + " |")
    if section.notes:
        print()
        for note in section.notes:
            print(f"- {note}")


def machine_description():
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "kernel": f"{platform.system()} {platform.release()}",
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "scope revision": git_revision(),
    }


def git_revision():
    def git(*args):
        return subprocess.run(["git", "-C", REPO, *args], capture_output=True,
                              text=True).stdout.strip()
    rev = git("rev-parse", "--short", "HEAD") or "unknown"
    return rev + (" + uncommitted changes" if git("status", "--porcelain") else "")


def print_header(settings, markdown):
    facts = machine_description()
    facts["runs"] = (f"{settings.runs} per figure (median), macro {settings.macro_runs}"
                     f"{', --quick' if settings.quick else ''}")
    if markdown:
        print("## scope benchmarks\n")
        for k, v in facts.items():
            print(f"- {k}: {v}")
    else:
        print("scope benchmarks")
        for k, v in facts.items():
            print(f"  {k + ':':16} {v}")


# ---- scope: run, attach, detach -----------------------------------------------

class Scope:
    """How the harness observes a program: environments for preloading, and
    the attach and detach commands (when they are built)."""

    def __init__(self, settings, workdir):
        self.settings = settings
        self.workdir = workdir
        self.metrics = os.path.join(workdir, "metrics.json")
        self.events = os.path.join(workdir, "events.json")
        self.attach_missing = self.probe_attach()

    def probe_attach(self):
        """None when `scope attach` works, else why not (for the cells)."""
        r = subprocess.run([self.settings.scope, "attach", "--help"], capture_output=True,
                           text=True, env=plain_env())
        return None if r.returncode == 0 else "n/a (scope attach not built)"

    def metrics_only_env(self):
        """LD_PRELOAD by hand, events off (else they would go to the default
        destination, AppScope's tcp://127.0.0.1:9109)."""
        env = preload_env(self.settings.lib)
        env["SCOPE_METRIC_DEST"] = "file://" + self.metrics
        env["SCOPE_EVENT_ENABLE"] = "false"
        return env

    def full_env(self):
        """What `scope run -m FILE -e FILE` gives its command."""
        env = self.metrics_only_env()
        env["SCOPE_EVENT_ENABLE"] = "true"
        env["SCOPE_EVENT_DEST"] = "file://" + self.events
        return env

    def run_prefix(self):
        return [self.settings.scope, "run", "-m", "file://" + self.metrics,
                "-e", "file://" + self.events, "--"]

    def cli_env(self, extra=None):
        env = plain_env()
        env["SCOPE_HOME"] = self.workdir
        env.update(extra or {})
        return env

    def attach(self, pid, *options, extra_env=None):
        """The process opens its destination files itself, as its own user
        (nginx's worker is nobody): they must not exist already. extra_env:
        SCOPE_* settings the CLI hands over."""
        if self.attach_missing:
            raise Unavailable(self.attach_missing)
        self.forget_output()
        return self.cli("attach", *options, "-m", "file://" + self.metrics,
                        "-e", "file://" + self.events, str(pid), extra_env=extra_env)

    def detach(self, pid, *options):
        return self.cli("detach", *options, str(pid))

    def cli(self, command, *args, extra_env=None):
        r = subprocess.run([self.settings.scope, command, *args], capture_output=True,
                           text=True, env=self.cli_env(extra_env), timeout=60)
        if r.returncode != 0:
            first = (r.stderr.strip().splitlines() or ["?"])[0]
            raise Unavailable(f"n/a (scope {command} failed: {first})")
        return r.stdout + r.stderr

    def forget_output(self):
        """Keep the destination files from growing over the whole run."""
        for path in (self.metrics, self.events):
            if os.path.exists(path):
                os.unlink(path)


def measure_cell(samples_by_config, config, measure):
    """Append one sample to a configuration, or remember why it has none."""
    try:
        samples_by_config.setdefault(config, []).append(measure())
    except Unavailable as e:
        samples_by_config.setdefault(config + " n/a", str(e))


def rows_of(workload, configs, samples_by_config, unit):
    rows = []
    for config in configs:
        rows.append(Row(workload, config, samples_by_config.get(config), unit,
                        na=samples_by_config.get(config + " n/a")))
    return rows
