"""How fast is rnn-lint on real code? Lint the Python sources of the installed torch package
(thousands of files) and print wall time, files per second and peak memory, next to ruff on the
same tree. It prints figures and asserts nothing: timings depend on the machine.

    python benchmarks/lint_speed.py [--repeat 3] [--tree DIR] [--ruff-select E,F,W]

Peak memory is sampled every 20 ms from /proc over the whole process tree (rnn-lint's workers
included): the sum of RSS, and the sum of PSS, which counts pages that forked workers share with
their parent once instead of once per process. Without /proc (not Linux) it falls back to the
largest single process's peak RSS from ``resource``.
"""

from __future__ import annotations

import argparse
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

SAMPLE_SECONDS = 0.02


@dataclass
class Measure:
    wall: float
    rss: float  # MiB
    pss: float | None  # MiB
    exit_code: int


def torch_tree() -> Path:
    """The installed torch package's folder, found without importing torch (that takes seconds)."""
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("torch is not installed here: pass --tree DIR")
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


def measure(command: list[str], cwd: str) -> Measure:
    have_proc = os.path.isdir("/proc/self")
    peak_rss, peak_pss = 0, 0
    pss_known = True
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while process.poll() is None:
        if have_proc:
            rss = pss = 0
            for pid in process_tree(process.pid):
                one_rss, one_pss = memory_of(pid)
                rss += one_rss
                pss_known = pss_known and one_pss is not None
                pss += one_pss or 0
            peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        time.sleep(SAMPLE_SECONDS)
    wall = time.perf_counter() - start
    errors = process.stderr.read().decode(errors="replace").strip()
    if process.returncode not in (0, 1):
        raise SystemExit(f"{command[0]} failed ({process.returncode}): {errors}")
    if not have_proc:
        import resource

        peak_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kB on Linux, the largest child
    return Measure(wall, peak_rss / 1024, peak_pss / 1024 if have_proc and pss_known else None, process.returncode)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", type=Path, help="folder to lint (default: the installed torch package)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per command; the median is shown")
    parser.add_argument("--ruff-select", default="E,F,W", help="ruff's rule selection (default: E,F,W)")
    options = parser.parse_args()
    tree = (options.tree or torch_tree()).resolve()

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from rnn_lint.config import Settings
    from rnn_lint.discover import discover
    from rnn_lint.registry import all_rules

    files = discover([tree], Settings(root=tree))
    needles = {needle for rule in all_rules() for needle in rule.needles}
    parsed = sum(any(needle in Path(f.path).read_text(errors="replace") for needle in needles) for f in files)
    megabytes = sum(os.path.getsize(f.path) for f in files) / 2**20
    cores = os.cpu_count() or 1

    rnn_lint = [sys.executable, "-m", "rnn_lint", "--isolated", "--exit-zero", str(tree)]
    commands = {
        f"rnn-lint (--jobs {cores}, default)": rnn_lint,
        "rnn-lint --jobs 1": [*rnn_lint, "--jobs", "1"],
    }
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    ruff_files = None
    if os.path.exists(ruff):
        ruff_command = [
            ruff,
            "check",
            "--no-cache",
            "--isolated",
            "--exit-zero",
            "--select",
            options.ruff_select,
            str(tree),
        ]
        commands[f"ruff check --select {options.ruff_select}"] = ruff_command
        listed = subprocess.run(
            [ruff, "check", "--isolated", "--show-files", str(tree)], capture_output=True, text=True, check=False
        )
        ruff_files = sum(1 for line in listed.stdout.splitlines() if line.strip())

    print(f"tree:   {tree}")
    print(
        f"files:  {len(files)} Python files, {megabytes:.1f} MiB; "
        f"{parsed} contain {'/'.join(sorted(needles))} and get parsed"
        + (f"; ruff sees {ruff_files} files" if ruff_files is not None else "")
    )
    print(f"cores:  {cores}; python {sys.version.split()[0]}; median of {options.repeat} runs\n")

    results: dict[str, Measure] = {}
    with tempfile.TemporaryDirectory() as neutral:  # no configuration file above the cwd
        for label, command in commands.items():
            runs = [measure(command, neutral) for _ in range(options.repeat)]
            results[label] = Measure(
                statistics.median(run.wall for run in runs),
                max(run.rss for run in runs),
                max(run.pss for run in runs) if all(run.pss is not None for run in runs) else None,
                runs[-1].exit_code,
            )

    print(f"{'command':<34} {'wall s':>8} {'files/s':>9} {'peak RSS MiB':>13} {'peak PSS MiB':>13}")
    for label, result in results.items():
        pss = f"{result.pss:13.0f}" if result.pss is not None else f"{'n/a':>13}"
        print(f"{label:<34} {result.wall:8.2f} {len(files) / result.wall:9.0f} {result.rss:13.0f} {pss}")
    ruff_label = next((label for label in results if label.startswith("ruff")), None)
    if ruff_label:
        print()
        base = results[ruff_label]
        for label, result in results.items():
            if label != ruff_label:
                memory = (
                    f"{result.pss / base.pss:.1f}x PSS"
                    if result.pss and base.pss
                    else f"{result.rss / base.rss:.1f}x RSS"
                )
                print(f"{label} / ruff: {result.wall / base.wall:.1f}x wall time, {memory}")


if __name__ == "__main__":
    main()
