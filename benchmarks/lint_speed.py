"""How fast is rnn-lint, next to ruff, in one run? It prints figures and ratios and asserts nothing.

    python benchmarks/lint_speed.py [--repeat 3] [--tree DIR] [--files 10000] [--skip-torch] [--project]

Two trees: the Python sources of the installed torch package (or ``--tree DIR``) and a generated
tree of 10,000 modules (``benchmarks/make_tree.py``, written to a temporary folder). On each:

- cold: ``rnn-lint`` with an empty cache, on every core and with ``--jobs 1``, next to
  ``ruff check --select E,F --no-cache`` (the issue's yardstick);
- warm: ``rnn-lint`` again with nothing changed, and (generated tree) with one file changed —
  one that builds an LSTM, so it is parsed and analysed again (the worst case);
- peak memory of the cold run, summed over its worker processes;
- with ``--project``, the same cold, warm and one-changed runs as a plain ``rnn-lint DIR`` makes
  them (with the project index), with their own ratios.

Wall time is the median of ``--repeat`` runs. CPU time (user + system, the command and its
workers) is printed too: on a machine others are using, wall time is noisy and CPU time is what
to compare; the ratios are computed in this run, side by side.

Peak memory is sampled every 20 ms from /proc over the whole process tree: the sum of RSS, and
the sum of PSS, which counts pages that forked workers share with their parent once instead of
once per process. Without /proc (not Linux) only the CPU and wall times are shown.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_tree import DEFAULT_FILES, make_tree

SAMPLE_SECONDS = 0.02
#: Targets of issue 10, printed next to the measured figures.
TARGET_COLD_RATIO = 2.0
TARGET_WARM_SECONDS = 0.3
TARGET_ONE_CHANGED_SECONDS = 0.4
TARGET_MEMORY_MIB = 200


@dataclass
class Measure:
    wall: float
    cpu: float  # user + system seconds of the command and its waited-for children
    rss: float | None  # MiB
    pss: float | None  # MiB


def torch_tree() -> Path:
    """The installed torch package's folder, found without importing torch (that takes seconds)."""
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("torch is not installed here: pass --tree DIR or --skip-torch")
    return Path(next(iter(spec.submodule_search_locations)))


def process_tree(root: int) -> list[int]:
    pids, pending = [], [root]
    while pending:
        pid = pending.pop()
        pids.append(pid)
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as handle:
                pending.extend(int(child) for child in handle.read().split())
        except OSError:
            pass  # gone already
    return pids


HAVE_PROC = os.path.isdir("/proc/self")
HAVE_SMAPS_ROLLUP = os.path.exists("/proc/self/smaps_rollup")  # Linux 4.14+


def memory_of(pid: int) -> tuple[int, int | None]:
    """(RSS, PSS) in kB, (0, 0) for a process that has just exited; PSS is None on kernels
    without smaps_rollup."""
    try:
        if HAVE_SMAPS_ROLLUP:
            with open(f"/proc/{pid}/smaps_rollup") as handle:
                fields = dict(line.split(":", 1) for line in handle if line.startswith(("Rss:", "Pss:")))
            return int(fields["Rss"].split()[0]), int(fields["Pss"].split()[0])
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024, None
    except (OSError, KeyError, ValueError):
        return 0, 0


REPOSITORY = Path(__file__).resolve().parent.parent
#: The rnn-lint of this checkout, whatever is installed, run as an installed package runs: from
#: its byte-compiled modules (pip compiles them on install; ``main`` compiles the checkout's).
#: Without them every run would compile rnn-lint's sources again (about 0.1 s).
ENVIRONMENT = {
    **{name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"},
    "PYTHONPATH": os.pathsep.join(filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")])),
}


def measure(command: list[str], cwd: str) -> Measure:
    peak_rss, peak_pss, pss_known = 0, 0, True
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=ENVIRONMENT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while True:
        # wait4 rather than poll: it hands back the CPU time of the command and its workers.
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if HAVE_PROC:
            rss = pss = 0
            for member in process_tree(process.pid):
                one_rss, one_pss = memory_of(member)
                rss += one_rss
                pss_known = pss_known and one_pss is not None
                pss += one_pss or 0
            peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        time.sleep(SAMPLE_SECONDS)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    errors = process.stderr.read().decode(errors="replace").strip()
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}): {errors}")
    return Measure(
        wall,
        usage.ru_utime + usage.ru_stime,
        peak_rss / 1024 if HAVE_PROC else None,
        peak_pss / 1024 if HAVE_PROC and pss_known else None,
    )


def median(runs: list[Measure]) -> Measure:
    def peak(values):
        known = [value for value in values if value is not None]
        return max(known) if known else None

    return Measure(
        statistics.median(run.wall for run in runs),
        statistics.median(run.cpu for run in runs),
        peak(run.rss for run in runs),
        peak(run.pss for run in runs),
    )


class Bench:
    def __init__(self, repeat: int, workdir: str) -> None:
        self.repeat = repeat
        self.workdir = workdir  # no configuration file above it
        self.cores = os.cpu_count() or 1
        beside = Path(sys.executable).with_name("ruff")  # the one installed with this Python first
        self.ruff = str(beside) if beside.exists() else shutil.which("ruff") or "ruff"
        if not os.path.exists(self.ruff):
            raise SystemExit("ruff is not installed here (pip install ruff)")

    def rnn_lint(self, tree: Path, *options: str, project: bool = False) -> list[str]:
        # --isolated: no configuration file, and each file analysed on its own (the figures the
        # targets were set for); ``project``: a plain run, with the project index (--project).
        mode = [] if project else ["--isolated"]
        return [sys.executable, "-m", "rnn_lint", *mode, "--exit-zero", *options, str(tree)]

    def ruff_cold(self, tree: Path) -> Measure:
        command = [self.ruff, "check", "--no-cache", "--isolated", "--exit-zero", "--select", "E,F", str(tree)]
        return median([measure(command, self.workdir) for _ in range(self.repeat)])

    def cold(self, tree: Path, *options: str, project: bool = False) -> Measure:
        """A first run: an empty cache each time (what it costs to write the cache included)."""
        runs = []
        for _ in range(self.repeat):
            with tempfile.TemporaryDirectory() as cache:
                runs.append(measure(self.rnn_lint(tree, "--cache-dir", cache, *options, project=project), self.workdir))
        return median(runs)

    def warm(self, tree: Path, cache: str, change: Path | None = None, project: bool = False) -> Measure:
        """Re-runs over a filled cache; with ``change``, that file is edited before each run."""
        command = self.rnn_lint(tree, "--cache-dir", cache, project=project)
        measure(command, self.workdir)  # fill it
        runs = []
        for attempt in range(self.repeat):
            if change is not None:
                with open(change, "a") as handle:
                    handle.write(f"\n# edited {attempt}\n")
            runs.append(measure(command, self.workdir))
        return median(runs)


def describe(tree: Path) -> str:
    sys.path.insert(0, str(REPOSITORY))
    from rnn_lint.config import Settings
    from rnn_lint.discover import discover
    from rnn_lint.engine import prefilter
    from rnn_lint.registry import all_rules

    files = discover([tree], Settings(root=tree))
    rules = all_rules()
    parsed = sum(bool(prefilter(Path(f.path).read_text(errors="replace"), rules)) for f in files)
    megabytes = sum(os.path.getsize(f.path) for f in files) / 2**20
    return f"{len(files):,} files, {megabytes:.1f} MiB, {parsed} pass the text pre-filter and are parsed"


def row(label: str, result: Measure, note: str = "") -> str:
    pss = f"{result.pss:7.0f}" if result.pss is not None else f"{'n/a':>7}"
    rss = f"{result.rss:7.0f}" if result.rss is not None else f"{'n/a':>7}"
    return f"  {label:<40} {result.wall:7.2f} {result.cpu:7.2f} {pss} {rss}  {note}"


def verdict(value: float, target: float) -> str:
    return f"(target ≤ {target:g}: {'met' if value <= target else 'NOT met'})"


def bench_tree(bench: Bench, name: str, tree: Path, one_changed: bool, project: bool = False) -> None:
    print(f"\n{name}: {tree}\n  {describe(tree)}")
    print(f"  {'':<40} {'wall s':>7} {'cpu s':>7} {'PSS MiB':>7} {'RSS MiB':>7}")
    ruff = bench.ruff_cold(tree)
    print(row("ruff check --select E,F --no-cache", ruff))
    cold = bench.cold(tree)
    print(row(f"rnn-lint, cold (--jobs {bench.cores}, default)", cold))
    serial = bench.cold(tree, "--jobs", "1")
    print(row("rnn-lint, cold, --jobs 1", serial))
    two = cold if bench.cores == 2 else bench.cold(tree, "--jobs", "2")
    if bench.cores != 2:
        print(row("rnn-lint, cold, --jobs 2", two))
    warm, changed = warm_runs(bench, tree, one_changed)
    print("  ratios and targets (this run, --isolated):")
    ratios(ruff, cold, warm, changed)
    print(
        f"    jobs 2 / jobs 1:  {two.wall / serial.wall:5.2f}x wall, {two.cpu / serial.cpu:5.2f}x CPU "
        f"{verdict(two.wall / serial.wall, 1.0)}"
    )
    memory = cold.pss if cold.pss is not None else cold.rss
    if memory is not None:
        print(f"    peak memory:      {memory:5.0f} MiB {verdict(memory, TARGET_MEMORY_MIB)}")
    if project:
        print("  a plain run (the project index, what `rnn-lint .` does):")
        plain = bench.cold(tree, project=True)
        print(row("rnn-lint, cold", plain))
        plain_warm, plain_changed = warm_runs(bench, tree, one_changed, project=True)
        print("  ratios and targets (this run, plain):")
        ratios(ruff, plain, plain_warm, plain_changed)


def warm_runs(bench: Bench, tree: Path, one_changed: bool, project: bool = False) -> tuple[Measure, Measure | None]:
    """(nothing changed, one file changed): re-runs over a cache the first run filled."""
    with tempfile.TemporaryDirectory() as cache:
        warm = bench.warm(tree, cache, project=project)
        print(row("rnn-lint, warm (nothing changed)", warm))
    changed = None
    if one_changed:
        with tempfile.TemporaryDirectory() as cache:
            # The worst case: a file that builds a model, so that it is parsed again.
            target = next(path for path in sorted(tree.rglob("*.py")) if "nn.LSTM(" in path.read_text())
            original = target.read_bytes()
            try:
                changed = bench.warm(tree, cache, change=target, project=project)
            finally:
                target.write_bytes(original)
            print(row("rnn-lint, warm, one file changed", changed))
    return warm, changed


def ratios(ruff: Measure, cold: Measure, warm: Measure, changed: Measure | None) -> None:
    print(
        f"    cold / ruff:      {cold.wall / ruff.wall:5.1f}x wall, {cold.cpu / ruff.cpu:5.1f}x CPU "
        f"{verdict(cold.wall / ruff.wall, TARGET_COLD_RATIO)}"
    )
    print(
        f"    warm:             {warm.wall:5.2f} s wall, {warm.cpu:5.2f} s CPU "
        f"{verdict(warm.wall, TARGET_WARM_SECONDS)}"
    )
    if changed is not None:
        print(
            f"    one changed:      {changed.wall:5.2f} s wall, {changed.cpu:5.2f} s CPU "
            f"{verdict(changed.wall, TARGET_ONE_CHANGED_SECONDS)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", type=Path, help="first tree to lint (default: the installed torch package)")
    parser.add_argument("--skip-torch", action="store_true", help="only the generated tree")
    parser.add_argument("--files", type=int, default=DEFAULT_FILES, help="modules in the generated tree")
    parser.add_argument("--repeat", type=int, default=3, help="runs per command; the median is shown")
    parser.add_argument(
        "--project", action="store_true", help="also plain runs (with the project index): cold, warm, one changed"
    )
    options = parser.parse_args()

    compileall.compile_dir(REPOSITORY / "rnn_lint", quiet=1)
    bench = Bench(options.repeat, tempfile.mkdtemp(prefix="rnn-lint-bench-"))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"cores: {bench.cores}; load average {load:.1f}; python {sys.version.split()[0]}; "
        f"{subprocess.run([bench.ruff, '--version'], capture_output=True, text=True, check=False).stdout.strip()}; "
        f"median of {options.repeat} runs"
    )
    try:
        if not options.skip_torch:
            tree = (options.tree or torch_tree()).resolve()
            bench_tree(bench, "torch", tree, one_changed=False, project=options.project)
        generated = Path(bench.workdir) / "generated"
        make_tree(generated, options.files)
        time.sleep(2.5)  # older than the cache's racy window, as files in a real project are
        bench_tree(
            bench, f"generated ({options.files:,} modules)", generated, one_changed=True, project=options.project
        )
    finally:
        shutil.rmtree(bench.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
