"""Generate a large source tree to time linters on: ``python benchmarks/make_tree.py DIR [--files N]``.

The tree is deterministic (seeded) and shaped like a big research codebase: packages of plain
Python modules (data loading, utilities, training loops, configuration — most of them never
mention a recurrent network), a few percent that mention RNNs only in names, strings or comments,
and about one percent that build LSTM/GRU models, some with the mistakes rnn-lint reports.
Every file is valid Python that ruff's E and F rules parse; sizes range from a few lines to a
few hundred.
"""

from __future__ import annotations

import argparse
import random
import textwrap
from pathlib import Path

DEFAULT_FILES = 10_000
FILES_PER_PACKAGE = 40

PLAIN_FUNCTION = '''
def {name}(values, scale={scale}, offset={offset}):
    """Return the scaled values, skipping the ones below the threshold."""
    result = []
    for index, value in enumerate(values):
        if value < {threshold}:
            continue
        total = value * scale + offset
        if index % {modulus} == 0:
            total = total / (index + 1)
        result.append(total)
    return result
'''

PLAIN_CLASS = '''
class {name}:
    """A small record with a few derived properties."""

    def __init__(self, width={width}, height={height}, label="{label}"):
        self.width = width
        self.height = height
        self.label = label
        self.history = []

    @property
    def area(self):
        return self.width * self.height

    def grow(self, factor):
        self.history.append((self.width, self.height))
        self.width *= factor
        self.height *= factor
        return self

    def describe(self):
        return f"{{self.label}}: {{self.width}}x{{self.height}} ({{len(self.history)}} changes)"
'''

TRAINING_LOOP = '''
def {name}(model, loader, optimizer, epochs={epochs}):
    """Train for a few epochs and return the mean loss of each."""
    losses = []
    for epoch in range(epochs):
        running = 0.0
        for batch, target in loader:
            optimizer.zero_grad()
            loss = ((model(batch) - target) ** 2).mean()
            loss.backward()
            optimizer.step()
            running += float(loss)
        losses.append(running / max(len(loader), 1))
    return losses
'''

MENTION = '''
# Notes: the {kind} baseline lives elsewhere; this module only prepares its inputs.
{upper}_DEFAULTS = {{"hidden": {hidden}, "layers": {layers}, "kind": "{kind}"}}


def {name}_config(overrides=None):
    """The {kind} settings, with overrides applied."""
    config = dict({upper}_DEFAULTS)
    config.update(overrides or {{}})
    return config
'''

MODEL = """
class {name}(nn.Module):
    def __init__(self, vocab={vocab}, hidden={hidden}):
        super().__init__()
        self.embedding = nn.Embedding(vocab, hidden)
        self.rnn = nn.{kind}(hidden, hidden, num_layers={layers}, batch_first=True{extra})
        self.head = nn.Linear(hidden, vocab)

    def forward(self, tokens):
        output, _ = self.rnn(self.embedding(tokens))
        return self.head(output)
"""


def make_file(rng: random.Random, number: int) -> str:
    """One module: imports, then a few plain functions/classes, maybe an RNN mention or model."""
    parts = ["import math\nimport os\n"]
    roll = rng.random()
    has_model = roll < 0.01
    mentions = 0.01 <= roll < 0.05
    if has_model:
        parts.append("import torch\nfrom torch import nn\n")
    parts.append(f"\nBASE = {rng.randint(1, 999)}\nNAME = os.path.basename(__file__)\n")
    for piece in range(rng.choice([1, 2, 3, 4, 6, 10])):
        template = rng.choice([PLAIN_FUNCTION, PLAIN_CLASS, TRAINING_LOOP])
        name = f"item_{number}_{piece}" if template is not PLAIN_CLASS else f"Item{number}x{piece}"
        parts.append(
            template.format(
                name=name,
                scale=rng.randint(1, 9),
                offset=rng.randint(0, 5),
                threshold=rng.randint(0, 3),
                modulus=rng.randint(2, 7),
                width=rng.randint(1, 50),
                height=rng.randint(1, 50),
                label=f"box{piece}",
                epochs=rng.randint(1, 20),
            )
        )
    if mentions:
        kind = rng.choice(["LSTM", "GRU", "RNN"])
        parts.append(
            MENTION.format(
                kind=kind,
                upper=kind,
                name=f"{kind.lower()}_{number}",
                hidden=rng.choice([64, 128, 256]),
                layers=rng.randint(1, 3),
            )
        )
    if has_model:
        layers = rng.randint(1, 2)
        extra = ", dropout=0.2" if rng.random() < 0.5 else ""
        parts.append(
            MODEL.format(
                name=f"Model{number}",
                vocab=rng.choice([1000, 5000]),
                hidden=rng.choice([64, 128]),
                kind=rng.choice(["LSTM", "GRU"]),
                layers=layers,
                extra=extra,
            )
        )
    parts.append(f"\n\ndef checksum():\n    return math.fsum([BASE, {number}])\n")
    return "".join(textwrap.dedent(part) for part in parts)


def make_tree(root: Path, files: int = DEFAULT_FILES, seed: int = 0) -> Path:
    rng = random.Random(seed)
    for number in range(files):
        package = root / f"pkg{number // FILES_PER_PACKAGE:04d}"
        if number % FILES_PER_PACKAGE == 0:
            package.mkdir(parents=True, exist_ok=True)  # namespace packages: exactly `files` files
        (package / f"module{number:05d}.py").write_text(make_file(rng, number))
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--files", type=int, default=DEFAULT_FILES, help=f"modules to write (default {DEFAULT_FILES})")
    parser.add_argument("--seed", type=int, default=0)
    options = parser.parse_args()
    make_tree(options.directory, options.files, options.seed)
    print(f"wrote {options.files} modules under {options.directory}")


if __name__ == "__main__":
    main()
