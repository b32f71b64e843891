"""What does the project index cost? Lint a big tree with it (a plain run) and without it
(``--isolated``): cold (no ``.rnn_lint_cache/``), warm (nothing changed), warm after one model
file changed, and one file named inside the big tree — next to ruff on the same tree. It prints
CPU seconds (user + system of the command and its workers: on a shared machine wall time is
noise) and ratios, the median of ``--repeat`` runs, and asserts nothing.

    python benchmarks/project_index.py [--copies 100] [--tree DIR] [--repeat 3]
    python benchmarks/project_index.py --project DIR [--file REL]   # an existing tree, as is

By default the tree is ``--copies`` copies of the fixture project (fixtures/projects/seq2seq: a
package with models/, train.py with argparse, predict.py …), each in its own folder, next to a
copy of the Python sources of ``--tree`` (default: the installed torch package, thousands of
files that mention LSTM and GRU everywhere) — one project root above them all, so every run
indexes it all. ``--project`` times a tree you made instead (say, many public repositories under
one folder holding a ``.git``, so that they are one project); the cache folder is removed before
and after. ``--file`` is the file changed and linted alone (default: the first file, in path
order, that builds an LSTM or GRU).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
FIXTURE = HERE / "fixtures" / "projects" / "seq2seq"
CACHE = ".rnn_lint_cache"
BUILDS_RECURRENT = re.compile(r"\bnn\.(?:LSTM|GRU)\(")


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
            ignore=shutil.ignore_patterns(CACHE, "__pycache__", "pyproject.toml"),
        )
    if filler is not None:
        for path in filler.rglob("*.py"):
            destination = target / "vendor" / path.relative_to(filler.parent)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
    return target / "project0000" / "seq2seq" / "models" / "decoder.py"


def model_file(root: Path) -> Path:
    for path in sorted(root.rglob("*.py")):
        if CACHE not in path.parts and BUILDS_RECURRENT.search(path.read_text(errors="replace")):
            return path
    raise SystemExit(f"no file under {root} builds an LSTM or GRU")


def run(command: list[str], cwd: Path) -> tuple[float, float]:
    """(CPU seconds of the command and its workers, wall seconds)."""
    env = {**os.environ, "PYTHONPATH": str(HERE)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def measure(command: list[str], cwd: Path, repeat: int, state: str, changed: Path | None = None) -> float:
    """Median CPU seconds. ``state``: "cold" (the cache folder removed before each run), "warm"
    (filled once, then nothing changes) or "changed" (filled once, then ``changed`` gets a new
    comment line before each run: a new content, so it is parsed again)."""
    times = []
    if state != "cold":
        shutil.rmtree(cwd / CACHE, ignore_errors=True)
        run(command, cwd)  # fill the cache
    original = changed.read_bytes() if changed is not None else b""
    try:
        for number in range(repeat):
            if state == "cold":
                shutil.rmtree(cwd / CACHE, ignore_errors=True)
            if state == "changed" and changed is not None:
                changed.write_bytes(original + f"\n# edit {number} {time.time()}\n".encode())
            times.append(run(command, cwd)[0])
    finally:
        if changed is not None:
            changed.write_bytes(original)
    return statistics.median(times)


def index_alone(root: Path) -> str:
    """The index built in this process, cold and without the cache: CPU seconds and how many
    files it summarised."""
    sys.path.insert(0, str(HERE))
    from rnn_lint.project import load_project

    start = time.process_time()
    index = load_project([root], use_cache=False)
    took = time.process_time() - start
    return f"{took:.2f} CPU s, {len(index.summaries)} of {len(index.resolver.files)} Python files summarised"


def report(root: Path, one: Path, repeat: int, jobs: int | None) -> None:
    files = sum(1 for path in root.rglob("*.py") if CACHE not in path.parts)
    notebooks = sum(1 for path in root.rglob("*.ipynb") if CACHE not in path.parts)
    print(f"tree: {root} — {files} Python files, {notebooks} notebooks")
    print(f"the file changed, and the file named alone: {one.relative_to(root)}")
    print(f"index alone (in process, cold): {index_alone(root)}")
    rnn_lint = [sys.executable, "-m", "rnn_lint", "-e"] + ([f"--jobs={jobs}"] if jobs else [])
    named = [str(one.relative_to(root))]
    rows = [
        ("whole tree, cold", ["."], "cold", None),
        ("whole tree, warm", ["."], "warm", None),
        ("whole tree, one file changed", ["."], "changed", one),
        ("one file named, cold", named, "cold", None),
        ("one file named, warm", named, "warm", None),
    ]
    results = []
    for label, paths, state, changed in rows:
        isolated = measure([*rnn_lint, "--isolated", *paths], root, repeat, state, changed)
        indexed = measure([*rnn_lint, *paths], root, repeat, state, changed)
        results.append((label, isolated, indexed))
    shutil.rmtree(root / CACHE, ignore_errors=True)
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    ruff_time = None
    if Path(ruff).exists():
        command = [ruff, "check", "--no-cache", "--select", "E,F,W", "--exit-zero", "."]
        ruff_time = measure(command, root, repeat, "cold")

    print(f"\nCPU seconds (user + system), median of {repeat}")
    print(f"{'':30} {'--isolated':>10} {'with index':>11} {'ratio':>7}")
    for label, isolated, indexed in results:
        print(f"{label:30} {isolated:10.2f} {indexed:11.2f} {indexed / isolated:6.2f}x")
    if ruff_time is not None:
        cold = results[0]
        print(
            f"ruff check --select E,F,W --no-cache: {ruff_time:.2f}; rnn-lint whole tree cold is "
            f"{cold[1] / ruff_time:.1f}x ruff (--isolated) and {cold[2] / ruff_time:.1f}x ruff (with the index)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=100, help="copies of the fixture project")
    parser.add_argument("--tree", type=Path, default=None, help="a source tree to add (default: torch)")
    parser.add_argument("--no-filler", action="store_true", help="only the fixture copies")
    parser.add_argument("--project", type=Path, default=None, help="time this tree as it is instead")
    parser.add_argument("--file", type=Path, default=None, help="with --project: the file to change and name")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None)
    options = parser.parse_args()

    if options.project is not None:
        root = options.project.resolve()
        one = (root / options.file) if options.file else model_file(root)
        try:
            report(root, one, options.repeat, options.jobs)
        finally:
            shutil.rmtree(root / CACHE, ignore_errors=True)
        return
    filler = None if options.no_filler else (options.tree or torch_tree())
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        one = make_tree(root, options.copies, filler)
        report(root, one, options.repeat, options.jobs)


if __name__ == "__main__":
    main()
