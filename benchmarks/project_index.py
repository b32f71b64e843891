"""What does the project index cost? Lint a big tree with and without it (``--isolated``), cold
(no ``.rnn_lint_cache/``) and warm, for the whole tree and for one file inside it, next to ruff on
the same tree. It prints wall times and ratios and asserts nothing: timings depend on the machine.

    python benchmarks/project_index.py [--copies 100] [--tree DIR] [--repeat 3]

The tree is ``--copies`` copies of the fixture project (fixtures/projects/seq2seq: a package with
models/, train.py with argparse, predict.py …), each in its own folder, next to a copy of the
Python sources of ``--tree`` (default: the installed torch package, thousands of files that
mention LSTM and GRU everywhere) — one project root above them all, so every run indexes it all.
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
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
FIXTURE = HERE / "fixtures" / "projects" / "seq2seq"


def torch_tree() -> Path | None:
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def make_tree(target: Path, copies: int, filler: Path | None) -> Path:
    (target / "pyproject.toml").write_text("[project]\nname = 'big'\nversion = '0'\n")
    for number in range(copies):
        shutil.copytree(
            FIXTURE,
            target / f"project{number:04d}",
            ignore=shutil.ignore_patterns(".rnn_lint_cache", "__pycache__", "pyproject.toml"),
        )
    if filler is not None:
        for path in filler.rglob("*.py"):
            destination = target / "vendor" / path.relative_to(filler.parent)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
    return target / "project0000" / "seq2seq" / "models" / "decoder.py"


def run(command: list[str], cwd: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(HERE)}
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed


def measure(command: list[str], cwd: Path, repeat: int, cold: bool) -> float:
    """The median wall time; ``cold``: the cache folder is removed before each run."""
    times = []
    if not cold:
        run(command, cwd)  # fill the cache
    for _ in range(repeat):
        if cold:
            shutil.rmtree(cwd / ".rnn_lint_cache", ignore_errors=True)
        times.append(run(command, cwd))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=100, help="copies of the fixture project")
    parser.add_argument("--tree", type=Path, default=None, help="a source tree to add (default: torch)")
    parser.add_argument("--no-filler", action="store_true", help="only the fixture copies")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None)
    options = parser.parse_args()

    filler = None if options.no_filler else (options.tree or torch_tree())
    rnn_lint = [sys.executable, "-m", "rnn_lint", "-e"] + ([f"--jobs={options.jobs}"] if options.jobs else [])
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        one = make_tree(root, options.copies, filler)
        files = sum(1 for _ in root.rglob("*.py"))
        print(f"tree: {files} Python files ({options.copies} project copies, filler: {filler})")

        from rnn_lint.project import load_project

        start = time.perf_counter()
        index = load_project([root], use_cache=False)
        built = time.perf_counter() - start
        print(f"index alone (in process, cold): {built:.2f}s, {len(index.summaries)} of {files} files summarised")

        rows = []
        for label, paths in (("whole tree", ["."]), ("one file", [str(one.relative_to(root))])):
            isolated = measure([*rnn_lint, "--isolated", *paths], root, options.repeat, cold=True)
            cold = measure([*rnn_lint, *paths], root, options.repeat, cold=True)
            warm = measure([*rnn_lint, *paths], root, options.repeat, cold=False)
            rows.append((label, isolated, cold, warm))
        ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
        ruff_time = None
        if Path(ruff).exists():
            ruff_time = measure([ruff, "check", "--no-cache", "--select", "E,F,W", "--exit-zero", "."], root, 3, True)

    print(f"{'':12} {'isolated':>10} {'index cold':>11} {'index warm':>11} {'cold/iso':>9} {'warm/iso':>9}")
    for label, isolated, cold, warm in rows:
        print(
            f"{label:12} {isolated:9.2f}s {cold:10.2f}s {warm:10.2f}s {cold / isolated:8.2f}x {warm / isolated:8.2f}x"
        )
    if ruff_time is not None:
        whole = rows[0]
        print(
            f"ruff check (E,F,W) on the same tree: {ruff_time:.2f}s; rnn-lint whole tree with the index is "
            f"{whole[2] / ruff_time:.1f}x (cold) and {whole[3] / ruff_time:.1f}x (warm) ruff's time"
        )


if __name__ == "__main__":
    main()
