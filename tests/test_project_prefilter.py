"""What the project index reads and parses (its pre-filter): only the files that can matter.

The answers it gives are tested in test_project.py; these tests pin down that files which cannot
matter are never parsed, and that the narrowing loses no file that can.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from rnn_lint.cache import Cache
from rnn_lint.project.index import ProjectIndex, Symbol
from rnn_lint.reading import read_regular_file
from tests.test_project import write

MODEL = """
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, hidden, n_layers=1, dropout=0.5):
        super().__init__()
        self.rnn = nn.GRU(hidden, hidden, n_layers, dropout=dropout)
"""


def build(root: Path) -> ProjectIndex:
    return ProjectIndex.build(root, [str(p) for p in root.rglob("*") if p.is_file()])


def test_notebooks_are_read_as_their_code_cells(tmp_path: Path) -> None:
    # the code cells are the module the index reads (not the JSON): the notebook builds Net
    cell = {"cell_type": "code", "source": ["from net import Net\n", "m = Net(8)\n", "nn.GRU(8, 8)\n"]}
    write(tmp_path, {"net.py": MODEL, "run.ipynb": json.dumps({"cells": [cell]})})
    index = build(tmp_path)
    assert str(tmp_path / "run.ipynb") in index.summaries
    assert str(tmp_path / "net.py") in index.summaries
    assert [
        Path(site.path).name
        for site in index.parameter_sites(Symbol("class", str(tmp_path / "net.py"), "Net"), "hidden") or []
    ] == ["run.ipynb"]
    # and no import resolves to a notebook
    assert index.resolver.resolve(str(tmp_path / "net.py"), "run") is None


def sites(index: ProjectIndex, root: Path) -> list[str]:
    net = Symbol("class", str(root / "net.py"), "Net")
    found = index.parameter_sites(net, "n_layers") or []
    return sorted(f"{Path(site.path).relative_to(root)}:{site.value}" for site in found)


def test_a_mention_that_cannot_reach_the_definition_is_not_parsed(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "net.py": MODEL,
            "train.py": "from net import Net\nm = Net(8, 2)\n",
            # the same name, from elsewhere: a library's Net, and one defined in the file itself
            "other/keras_user.py": "from keras.models import Net\nm = Net(8, 1)\n",
            "other/own.py": "class Net:\n    def __init__(self, a, n_layers):\n        pass\nNet(1, 3)\n",
            "other/unimported.py": "m = Net(8, 4)  # a name from nowhere\n",
            # imports the module but names Net neither by import, as an attribute nor as a string
            "bare.py": "import net\nNet = make()\nm = Net(8, 5)\n",
            "star.py": "from net import *\nm = Net(8, 2)\n",
        },
    )
    index = build(tmp_path)
    for left_out in ("other/keras_user.py", "other/unimported.py", "bare.py"):
        assert str(tmp_path / left_out) not in index.summaries
    assert str(tmp_path / "star.py") in index.summaries
    assert sites(index, tmp_path) == ["star.py:2", "train.py:2"]


def test_every_import_chain_to_the_definition_is_followed(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "net.py": MODEL,
            "pkg/__init__.py": "",
            "pkg/models/__init__.py": "from ...net import Net\n",  # a re-export
            "pkg/star.py": "from net import *\n",  # passes every name on, mentions none
            "a.py": "from pkg.models import Net\nNet(8, 1)\n",
            "b.py": "from pkg.star import Net\nNet(8, 1)\n",
            "c.py": "import net as n\nn.Net(8, 1)\n",
            "pkg/d.py": "from .. import net\nnet.Net(8, 1)\n",
            "e.py": "def late():\n    from net import Net\n    return Net(8, 1)\n",
            "f.py": "import net\nm = getattr(net, 'Net')(8)\n",  # looked up by name
        },
    )
    index = build(tmp_path)
    for reached in ("pkg/models/__init__.py", "pkg/star.py", "a.py", "b.py", "c.py", "pkg/d.py", "e.py", "f.py"):
        assert str(tmp_path / reached) in index.summaries, reached


def test_a_changed_tree_reads_only_the_files_that_changed(tmp_path: Path, monkeypatch) -> None:
    write(
        tmp_path,
        {
            "net.py": MODEL,
            "train.py": "from net import Net\nm = Net(8, 2)\n",
            "other.py": "import os\n",
            "more.py": "from net import Net\n",
        },
    )
    cache = Cache(tmp_path / ".rnn_lint_cache")
    ProjectIndex.build(tmp_path, [str(p) for p in tmp_path.rglob("*.py")], cache)
    read: list[str] = []
    from rnn_lint.project import index as index_module
    from rnn_lint.project import prefilter as prefilter_module

    def spy(path):
        read.append(os.path.basename(path))
        return read_regular_file(path)

    monkeypatch.setattr(index_module, "read_regular_file", spy)
    monkeypatch.setattr(prefilter_module, "read_regular_file", spy)
    write(tmp_path, {"train.py": "from net import Net\nm = Net(8, 1)\n", "new.py": "from net import Net\nNet(8, 1)\n"})
    files = [str(p) for p in tmp_path.rglob("*.py")]
    changed = ProjectIndex.build(tmp_path, files, cache)
    read_again = sorted(name for name in read if name.endswith(".py"))
    # only the files that changed: not those found to build, define or mention something, nor
    # other.py, whose record says it mentions none of the names asked about again
    assert read_again == ["new.py", "train.py"]
    fresh = ProjectIndex.build(tmp_path, files)
    assert changed.summaries == fresh.summaries
    assert sites(changed, tmp_path) == sites(fresh, tmp_path) == ["new.py:1", "train.py:1"]


def test_an_unchanged_file_is_read_again_when_it_may_mention_a_new_name(tmp_path: Path) -> None:
    # other.py mentions none of the names asked about in the first run (Net); once net.py
    # defines a second model, Dec, the names asked about change and other.py is searched again
    write(tmp_path, {"net.py": MODEL, "other.py": "from net import Dec\nd = Dec(8, 3)\n"})
    cache = Cache(tmp_path / ".rnn_lint_cache")
    first = ProjectIndex.build(tmp_path, [str(p) for p in tmp_path.rglob("*.py")], cache)
    assert str(tmp_path / "other.py") not in first.summaries
    decoder = """
class Dec(nn.Module):
    def __init__(self, h, n_layers):
        self.rnn = nn.LSTM(h, h, n_layers)
"""
    write(tmp_path, {"net.py": MODEL + decoder})
    changed = ProjectIndex.build(tmp_path, [str(p) for p in tmp_path.rglob("*.py")], cache)
    found = changed.parameter_sites(Symbol("class", str(tmp_path / "net.py"), "Dec"), "n_layers") or []
    assert [(Path(site.path).name, site.value) for site in found] == [("other.py", 3)]


def test_an_unchanged_tree_answers_from_the_cache_without_its_summaries(tmp_path: Path) -> None:
    from rnn_lint.facts.project_semantics import ProjectView
    from rnn_lint.project import load_project
    from rnn_lint.project.index import SNAPSHOT_NAMESPACE

    write(tmp_path, {".git/HEAD": "", "net.py": MODEL, "train.py": "from net import Net\nm = Net(8, 1)\n"})
    net = str(tmp_path / "net.py")
    cold = load_project([tmp_path])
    answers = {path: ProjectView(cold, path).digest() for path in (net, str(tmp_path / "train.py"))}
    warm = load_project([tmp_path])
    assert {path: ProjectView(warm, path).digest() for path in answers} == answers
    assert warm._summaries is None  # every answer came from the stored ones
    assert warm.summaries == cold.summaries  # read when a file must be linted after all
    # the stored index gone (a cache cleaned by another run): it is made again
    shutil.rmtree(Cache(tmp_path / ".rnn_lint_cache").root / SNAPSHOT_NAMESPACE)
    again = load_project([tmp_path])
    assert again.summaries == cold.summaries
    assert ProjectView(again, net).constructor_value("Net", "n_layers").value == 1


def test_mentions_are_whole_words_whichever_way_they_are_found(tmp_path: Path) -> None:
    from rnn_lint.project.prefilter import TextPrefilter
    from rnn_lint.project.root import ModuleResolver

    texts = {
        "a.py": "x = Network()\n",
        "b.py": "x = NetworkX(Ne)  # Netw\n",
        "c.py": "import net\nnet.Net(1)\n",
        "d.py": "encoder = build_encoder()\n",
        "e.py": "nothing here\n",
    }
    write(tmp_path, texts)
    paths = sorted(str(tmp_path / name) for name in texts)

    def mentioning(names: set[str]) -> dict[str, list[str]]:
        prefilter = TextPrefilter(ModuleResolver(tmp_path, set(paths)), content_key=str)
        for path in paths:
            prefilter.add(path, "stamp", text=Path(path).read_text())
        return {name: sorted(Path(p).name for p in found) for name, found in prefilter.mentioning(names).items()}

    # capitalised names only: found by one search for all of them; with a function name: by words
    assert mentioning({"Net", "Network", "Ne"}) == {"Network": ["a.py"], "Ne": ["b.py"], "Net": ["c.py"]}
    assert mentioning({"Net", "build_encoder"}) == {"Net": ["c.py"], "build_encoder": ["d.py"]}


def test_what_an_older_rnn_lint_stored_is_not_read(tmp_path: Path, monkeypatch) -> None:
    from rnn_lint.project import batch as batch_module
    from rnn_lint.project import index as index_module

    write(tmp_path, {"net.py": MODEL, "train.py": "from net import Net\nm = Net(8, 1)\n"})
    cache = Cache(tmp_path / ".rnn_lint_cache")
    files = [str(p) for p in tmp_path.rglob("*.py")]
    ProjectIndex.build(tmp_path, files, cache)
    parsed: list[str] = []
    original = batch_module.summarise
    monkeypatch.setattr(batch_module, "summarise", lambda text: parsed.append(text) or original(text))
    ProjectIndex.build(tmp_path, files, cache)
    assert parsed == []  # same code, same tree: the stored index
    monkeypatch.setattr(index_module, "_code_stamp", lambda: "an edited rnn-lint")
    ProjectIndex.build(tmp_path, files, cache)
    assert len(parsed) == 2  # nothing the older code stored: both files parsed again


HOLDER = """
import torch.nn as nn

class Pooler(nn.Module):
    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder

    def forward(self, src):
        return self.encoder(src)[1][-1]


class Keeper:
    # keeps a model without calling it: no holder

    def __init__(self, model):
        self.model = model

    def save(self):
        return self.model.state_dict()
"""


def test_a_holders_every_construction_is_read(tmp_path: Path) -> None:
    """``Pooler(encoder)`` in a file that names no recurrent model (its encoder comes from a
    helper module, or a parameter) is read once a site is seen passing a ``Net`` to ``Pooler``;
    a function a model is passed to (``fit(model)``), or a class that keeps it without calling
    it (``Keeper(model)``), makes the files naming it no more worth reading."""
    write(
        tmp_path,
        {
            "net.py": MODEL,
            "holder.py": HOLDER,
            "fitting.py": "def fit(model):\n    return model\n",
            "train.py": "from net import Net\nfrom holder import Keeper, Pooler\nfrom fitting import fit\n"
            "p = Pooler(Net(8, 2))\nfit(Net(8, 2))\nk = Keeper(Net(8, 2))\n",
            "shared.py": "from net import Net\nencoder = Net(8, 3)\n",
            "serve.py": "from holder import Pooler\nfrom shared import encoder\np = Pooler(encoder)\n",
            "wrap.py": "from holder import Pooler\n\ndef wrap(encoder):\n    return Pooler(encoder)\n",
            "loop.py": "from fitting import fit\n\ndef go(encoder):\n    return fit(encoder)\n",
            "keep.py": "from holder import Keeper\n\ndef keep(encoder):\n    return Keeper(encoder)\n",
        },
    )
    index = build(tmp_path)
    for reached in ("holder.py", "serve.py", "wrap.py"):
        assert str(tmp_path / reached) in index.summaries, reached
    assert str(tmp_path / "loop.py") not in index.summaries
    assert str(tmp_path / "keep.py") not in index.summaries
    pooler = Symbol("class", str(tmp_path / "holder.py"), "Pooler")
    assert sorted(Path(path).name for path, _call in index.sites(pooler)) == ["serve.py", "train.py", "wrap.py"]


def test_a_holder_seen_only_with_a_factorys_result_is_a_holder(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "net.py": MODEL,
            "holder.py": HOLDER,
            "factory.py": "from net import Net\n\ndef make():\n    return Net(8, 2)\n",
            "train.py": "from holder import Pooler\nfrom factory import make\np = Pooler(make())\n",
            "shared.py": "from net import Net\nencoder = Net(8, 3)\n",
            "serve.py": "from holder import Pooler\nfrom shared import encoder\np = Pooler(encoder)\n",
        },
    )
    index = build(tmp_path)
    assert str(tmp_path / "serve.py") in index.summaries
    pooler = Symbol("class", str(tmp_path / "holder.py"), "Pooler")
    assert sorted(Path(path).name for path, _call in index.sites(pooler)) == ["serve.py", "train.py"]


def test_a_subclass_of_a_recurrent_base_is_looked_for(tmp_path: Path) -> None:
    """``Decoder(BaseRNN)`` builds what its base (another file) picks: every file naming it is
    read, so a construction with other arguments (n_layers=2, in a test) makes n_layers unknown
    instead of the 1 the first file read gives."""
    from rnn_lint.facts.project_semantics import ProjectView

    write(
        tmp_path,
        {
            "base.py": "import torch.nn as nn\n\nclass BaseRNN(nn.Module):\n    def __init__(self, cell):\n"
            "        super().__init__()\n        if cell == 'lstm':\n            self.rnn_cell = nn.LSTM\n"
            "        else:\n            self.rnn_cell = nn.GRU\n",
            "models/__init__.py": "",
            "models/decoder.py": "from base import BaseRNN\n\nclass Decoder(BaseRNN):\n"
            "    def __init__(self, hidden, n_layers=1, dropout=0.5):\n        super().__init__('gru')\n"
            "        self.rnn = self.rnn_cell(hidden, hidden, n_layers, dropout=dropout)\n",
            "train.py": "import torch.nn as nn\nfrom models.decoder import Decoder\n"
            "d = Decoder(8)\nrnn = nn.GRU(4, 4)\n",
            "tests/test_decoder.py": "from models.decoder import Decoder\nd = Decoder(8, n_layers=2)\n",
        },
    )
    index = build(tmp_path)
    assert str(tmp_path / "tests/test_decoder.py") in index.summaries
    view = ProjectView(index, str(tmp_path / "models/decoder.py"))
    assert view.constructor_value("Decoder", "n_layers") is None
    assert view.constructor_value("Decoder", "dropout").value == 0.5
