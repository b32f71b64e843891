"""Time and peak memory of rnn-lint on large files and on the pathological shapes of issue 9.

    python benchmarks/large_files.py [--quick] [--keep DIR]

Each case is one ``python -m rnn_lint --isolated --format json FILE`` process; its wall time and
peak resident memory (``wait4``'s ``ru_maxrss``) are printed with what the run reported (the
number of findings, or the RNN000 message of a skipped file). The files of model classes show
how the cost grows with size (seconds and MB per MB of source); the limits of ``rnn_lint/guard.py``
turn the larger files and the pathological shapes into a quick RNN000 "skipped: ..." instead of
minutes and gigabytes. ``--quick`` leaves out the cases that take long before the guards.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

MODEL = """
class Model{i}(nn.Module):
    def __init__(self, vocab, hidden=128, layers=2):
        super().__init__()
        self.embed = nn.Embedding(vocab, hidden)
        self.rnn = nn.LSTM(hidden, hidden, num_layers=layers, dropout=0.5, batch_first=True)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, x, state=None):
        out, (h, c) = self.rnn(self.embed(x), state)
        return self.out(out[:, -1]), (h, c)
"""
HEADER = "import torch\nimport torch.nn as nn\nrnn = nn.GRU(8, 16, dropout=0.5)\n"


def models(megabytes: float) -> str:
    size = int(megabytes * 1024 * 1024)
    parts, total, i = [HEADER], len(HEADER), 0
    while total < size:
        block = MODEL.format(i=i)
        parts.append(block)
        total += len(block)
        i += 1
    return "".join(parts)


def single_line(megabytes: float) -> str:
    items = int(megabytes * 1024 * 1024) // 6
    return HEADER + "x = [" + ", ".join(f"{i % 9999:4}" for i in range(items)) + "]\n"


def view_chain(links: int, statements: int = 1) -> str:
    return HEADER + ("h = h" + ".view(1, -1)" * links + "\n") * statements


CASES = [
    # (name, text maker, slow before the guards)
    ("models 0.25 MB", lambda: models(0.25), False),
    ("models 0.5 MB", lambda: models(0.5), False),
    ("models 1 MB", lambda: models(1), False),
    ("models 2 MB (the size limit)", lambda: models(1.99), True),
    ("models 5 MB", lambda: models(5), False),
    ("models 10 MB", lambda: models(10), False),
    ("one line of 1 MB", lambda: single_line(1), False),
    ("sum of 499 terms", lambda: HEADER + "x = " + " + ".join(["a"] * 499) + "\n", False),
    ("sum of 7,000 terms", lambda: HEADER + "x = " + " + ".join(["a"] * 7000) + "\n", False),
    ("elif chain of 490", lambda: HEADER + "if a:\n    pass\n" + "elif a:\n    pass\n" * 490, False),
    ("attribute chain of 6,000", lambda: HEADER + "x = a" + ".b" * 6000 + "\n", False),
    ("view(1, -1) x 200", lambda: view_chain(200), False),
    ("view(1, -1) x 200, 7 statements", lambda: view_chain(200, 7), False),
    ("view(1, -1) x 1,600", lambda: view_chain(1600), False),
    ("view(1, -1) x 5,000", lambda: view_chain(5000), False),
]


def run(path: Path) -> tuple[float, float, str]:
    """(seconds, peak MB, outcome) of linting ``path`` in a fresh process."""
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    start = time.perf_counter()
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "rnn_lint", "--isolated", "--format", "json", str(path)],
            stdout=output,
            stderr=subprocess.DEVNULL,
            env=environment,
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        output.seek(0)
        text = output.read().decode()
    process.returncode = os.waitstatus_to_exitcode(status)
    try:
        findings = json.loads(text)
    except json.JSONDecodeError:
        return seconds, usage.ru_maxrss / 1024, f"exit {process.returncode}, no report"
    skipped = [f["message"] for f in findings if f["code"] == "RNN000"]
    outcome = f"RNN000 {skipped[0]}" if skipped else f"{len(findings)} findings"
    return seconds, usage.ru_maxrss / 1024, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="leave out the cases that take long")
    parser.add_argument("--keep", type=Path, help="write the generated files to DIR and keep them")
    options = parser.parse_args()
    folder = options.keep or Path(tempfile.mkdtemp(prefix="rnn-lint-large-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"{'case':36} {'size':>9} {'seconds':>8} {'s/MB':>6} {'peak MB':>8} {'MB/MB':>6}  outcome")
    for index, (name, make, slow) in enumerate(CASES):
        if slow and options.quick:
            continue
        text = make()
        path = folder / f"case{index:02}.py"
        path.write_text(text)
        megabytes = len(text.encode()) / (1024 * 1024)
        seconds, peak, outcome = run(path)
        # Per-MB figures only where the file is big enough for them to mean something.
        per_mb = f"{seconds / megabytes:6.1f}" if megabytes >= 0.1 else f"{'-':>6}"
        memory_per_mb = f"{peak / megabytes:6.0f}" if megabytes >= 0.1 else f"{'-':>6}"
        print(
            f"{name:36} {megabytes:8.2f}M {seconds:8.2f} {per_mb} {peak:8.0f} {memory_per_mb}  {outcome[:100]}",
            flush=True,
        )
        if not options.keep:
            path.unlink()


if __name__ == "__main__":
    main()
