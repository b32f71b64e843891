"""The project index: facts that cross files (issue 7).

The fixture project (fixtures/projects/seq2seq) is laid out as real ones are: a package with
``models/``, ``train.py`` with argparse, a checkpoint-loading ``predict.py``, a ``utils.py`` init
helper, a base class in another module. Lines end with ``# project: CODE`` where a finding is
expected when the project is seen, ``# project: none`` where only a one-file run flags them
(``# expect:``, checked by test_fixtures.py, says what a one-file run finds).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from rnn_lint import runner
from rnn_lint.cache import Cache
from rnn_lint.config import Settings
from rnn_lint.facts.project_semantics import ProjectView
from rnn_lint.project import batch as batch_module
from rnn_lint.project import load_project
from rnn_lint.project.index import ProjectIndex, Symbol
from rnn_lint.project.root import find_root
from rnn_lint.project.summary import summarise
from rnn_lint.runner import lint_paths
from tests.fixture_expectations import expectations

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "projects" / "seq2seq"
_PROJECT_MARK = re.compile(r"#\s*project:\s*([A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*|none)\b")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the fixture project (runs write their cache at its root)."""
    target = tmp_path / "seq2seq"
    shutil.copytree(FIXTURE, target, ignore=shutil.ignore_patterns(".rnn_lint_cache", "__pycache__"))
    return target


def project_expectations(root: Path) -> set[tuple[str, int, str]]:
    expected = set()
    for path in sorted(root.rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            match = _PROJECT_MARK.search(line)
            if match and match.group(1) != "none":
                for code in match.group(1).split(","):
                    expected.add((str(path), number, code.strip()))
    return expected


def findings_of(paths, root: Path, **options) -> set[tuple[str, int, str]]:
    settings = Settings(root=root)
    return {
        (os.path.abspath(root / f.path) if not os.path.isabs(f.path) else f.path, f.line, f.code)
        for f in lint_paths([str(p) for p in paths], settings, jobs=1, **options)
    }


def messages_of(paths, root: Path) -> dict[tuple[str, int], str]:
    return {
        (Path(f.path).name, f.line): f.message for f in lint_paths([str(p) for p in paths], Settings(root=root), jobs=1)
    }


# --- the fixture project ------------------------------------------------------------------------


def test_whole_tree_reports_cross_file_bugs_in_the_file_of_the_mistake(project: Path, monkeypatch) -> None:
    monkeypatch.chdir(project)
    assert findings_of([project], project) == project_expectations(project)


def test_messages_name_the_construction_site(project: Path, monkeypatch) -> None:
    monkeypatch.chdir(project)
    messages = messages_of([project], project)
    decoder = messages[("decoder.py", 9)]
    assert "built in train.py:20 with n_layers=1 (the --n_layers default) and dropout=0.5" in decoder
    language_model = messages[("language_model.py", 11)]
    assert (
        "built in seq2seq/builders.py:6 with n_layers=1 (the --n_layers default, passed to "
        "build_language_model() at train.py:27)" in language_model
    )
    encoder = messages[("encoder.py", 11)]
    assert "built in train.py:19 with n_layers=1 (the --n_layers default) and dropout_p=0.3 (its default)" in encoder


def test_isolated_keeps_one_file_behaviour(project: Path, monkeypatch) -> None:
    monkeypatch.chdir(project)
    expected = {
        (str(path), line, code) for path in project.rglob("*.py") for line, code in expectations(path.read_text())
    }
    assert findings_of([project], project, project=False) == expected


OPTION_MODEL = """
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, hidden, n_layers=1, dropout=0.5, bidirectional=False):
        super().__init__()
        self.bidirectional, self.n_layers = bidirectional, n_layers
        self.rnn = nn.GRU(16, hidden, n_layers, dropout=dropout, bidirectional=bidirectional, batch_first=True)

    def forward(self, x):
        _, h_n = self.rnn(x)
        if self.bidirectional or self.n_layers > 1:
            return h_n.view(x.size(0), -1)
        return h_n[-1]
"""

OPTION_TRAIN = """
import argparse
from model import Encoder

parser = argparse.ArgumentParser()
parser.add_argument("--n_layers", type=int, default=1)
parser.add_argument("--dropout", type=float, default=0.5)
parser.add_argument("--bidirectional", action="store_true")
args = parser.parse_args()
model = Encoder(64, args.n_layers, args.dropout, args.bidirectional)
"""


def test_an_option_default_is_what_a_plain_run_does_not_all_that_runs(tmp_path: Path) -> None:
    """``--n_layers`` defaults to 1: RNN301 reports the plain run's inert dropout, naming the
    option, but the branch for ``--bidirectional`` or more layers is still checked (its view of
    h_n mixes samples, as the file alone says): the project never hides a one-file finding."""
    write(tmp_path, {"pyproject.toml": "", "model.py": OPTION_MODEL, "train.py": OPTION_TRAIN})
    model = str(tmp_path / "model.py")
    isolated = findings_of([tmp_path], tmp_path, project=False)
    assert isolated == {(model, 14, "RNN103")}
    assert findings_of([tmp_path], tmp_path) == {(model, 9, "RNN301"), (model, 14, "RNN103")}
    assert "n_layers=1 (the --n_layers default)" in messages_of([tmp_path], tmp_path)[("model.py", 9)]


def test_a_default_every_construction_keeps_decides_the_branch(tmp_path: Path) -> None:
    """Built only as ``Encoder(64)``: no instance has more layers or two directions, so the
    guarded view never runs (and the dropout is inert in every one)."""
    write(
        tmp_path,
        {"pyproject.toml": "", "model.py": OPTION_MODEL, "train.py": "from model import Encoder\nm = Encoder(64)\n"},
    )
    assert findings_of([tmp_path], tmp_path) == {(str(tmp_path / "model.py"), 9, "RNN301")}


@pytest.mark.parametrize(
    "name",
    ["seq2seq/models/decoder.py", "seq2seq/models/encoder.py", "seq2seq/models/classifier.py", "train.py"],
)
def test_linting_one_file_sees_the_same_project(project: Path, monkeypatch, name: str) -> None:
    monkeypatch.chdir(project)
    whole = findings_of([project], project)
    target = str(project / name)
    assert findings_of([target], project) == {f for f in whole if f[0] == target}


def test_precommit_on_a_staged_subset_reports_what_a_whole_run_reports(project: Path, monkeypatch) -> None:
    """pre-commit passes only the staged files, by name, with --force-exclude."""
    monkeypatch.chdir(project)
    staged = ["seq2seq/models/decoder.py", "seq2seq/models/classifier.py", "predict.py"]
    whole = findings_of([project], project)
    subset = findings_of(staged, project, force_exclude=True)
    assert subset == {f for f in whole if f[0] in {str(project / name) for name in staged}}
    assert any(code == "RNN301" for _, _, code in subset)


def test_cli_isolated_flag(project: Path, monkeypatch, capsys) -> None:
    from rnn_lint.cli import main

    monkeypatch.chdir(project)
    main(["seq2seq/models/decoder.py"])
    assert "RNN301" in capsys.readouterr().out
    main(["--isolated", "seq2seq/models/decoder.py"])
    assert "RNN301" not in capsys.readouterr().out


def test_a_changed_site_changes_the_verdict(project: Path, monkeypatch) -> None:
    """The index follows the files: a second construction with two layers leaves train.py's
    the only one named; a second one with one layer and dropout is named too (one message)."""
    monkeypatch.chdir(project)
    decoder = str(project / "seq2seq/models/decoder.py")
    alone = messages_of([decoder], project)[("decoder.py", 9)]
    assert "built in train.py:20 with n_layers=1 (the --n_layers default)" in alone
    (project / "serve.py").write_text("from seq2seq.models import Decoder\n\nmodel = Decoder(64, 100, n_layers=2)\n")
    disagreeing = messages_of([decoder], project)[("decoder.py", 9)]
    assert disagreeing.startswith("dropout does nothing in the Decoder built in train.py:20 with n_layers=1")
    (project / "serve.py").write_text("from seq2seq.models import Decoder\n\nmodel = Decoder(64, 100, n_layers=1)\n")
    two = messages_of([decoder], project)[("decoder.py", 9)]
    assert "(the --n_layers default)" in two and "serve.py:3" in two


def test_a_construction_named_only_where_it_is_trained(tmp_path: Path) -> None:
    """The constructions disagree: the one that builds a single layer with dropout is named, unless
    it is in a test, or its model gets weights from a checkpoint (an evaluation script)."""
    model = (
        "import torch.nn as nn\n\n\nclass Decoder(nn.Module):\n"
        "    def __init__(self, vocab, hidden, n_layers=1, dropout_p=0.0):\n"
        "        super().__init__()\n"
        "        self.rnn = nn.GRU(hidden, hidden, n_layers, dropout=dropout_p)\n"
    )
    write(tmp_path, {"pyproject.toml": "", "model.py": model})
    train = "from model import Decoder\n\ndecoder = Decoder(100, 32, dropout_p=0.2)\n"
    stacked = "from model import Decoder\n\ndecoder = Decoder(100, 32, n_layers=2, dropout_p=0.5)\n"
    loaded = (
        "import torch\nfrom model import Decoder\n\ndecoder = Decoder(100, 32, dropout_p=0.2)\n"
        "decoder.load_state_dict(torch.load('decoder.pt'))\n"
    )
    cases = [
        ({"train.py": train, "tests/test_decoder.py": stacked}, "train.py:3"),  # a test does not veto
        ({"train.py": stacked, "tests/test_decoder.py": train}, None),  # nor is one named
        ({"train.py": stacked, "evaluate.py": loaded}, None),  # an evaluation script's model
        ({"train.py": train, "evaluate.py": loaded.replace("dropout_p=0.2", "n_layers=2")}, "train.py:3"),
        ({"train.py": train.replace("0.2", "0.0"), "other.py": stacked}, None),
    ]
    for files, named in cases:
        for stale in ("train.py", "evaluate.py", "other.py", "tests/test_decoder.py"):
            (tmp_path / stale).unlink(missing_ok=True)
        write(tmp_path, files)
        messages = messages_of([tmp_path], tmp_path)
        found = messages.get(("model.py", 7))
        if named is None:
            assert found is None, (files, found)
        else:
            assert found is not None and f"in the Decoder built in {named} with" in found, (files, found)
    # what makes a test file is its path in the project, not the folders the project sits in
    inside = tmp_path / "tests" / "project"
    write(inside, {"pyproject.toml": "", "model.py": model, "train.py": train, "other.py": stacked})
    found = messages_of([inside], inside).get(("model.py", 7))
    assert found is not None and "in the Decoder built in train.py:3 with" in found


# --- pieces of the index ---------------------------------------------------------------------------


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def build(root: Path) -> ProjectIndex:
    return ProjectIndex.build(root, [str(p) for p in root.rglob("*.py")])


def test_root_is_found_from_markers(tmp_path: Path) -> None:
    write(tmp_path, {"repo/pyproject.toml": "", "repo/pkg/models/m.py": "", "other/x.py": ""})
    assert find_root([tmp_path / "repo/pkg/models/m.py"]) == tmp_path / "repo"
    (tmp_path / "git/.git").mkdir(parents=True)
    write(tmp_path, {"git/a/b.py": ""})
    assert find_root([tmp_path / "git/a/b.py", tmp_path / "git/a"]) == tmp_path / "git"


def test_without_a_marker_only_the_named_paths_are_indexed(tmp_path: Path, monkeypatch) -> None:
    # `rnn-lint /tmp/x.py` must not read all of /tmp, nor a run from the home folder all of it
    from rnn_lint.project import load_project

    write(tmp_path, {"work/x.py": "", "work/big/sibling.py": "", "home/proj/m.py": "", "home/other.py": ""})
    monkeypatch.chdir(tmp_path / "home")
    named = tmp_path / "work/x.py"
    assert load_project([named], use_cache=False).resolver.files == {str(named)}
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert load_project(["proj/m.py"], use_cache=False).resolver.files == {str(tmp_path / "home/proj/m.py")}
    monkeypatch.delenv("HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "work"))
    # the folder the command runs from, not the home folder: that is the project
    assert load_project(["proj/m.py"], use_cache=False).resolver.files == {
        str(tmp_path / "home/proj/m.py"),
        str(tmp_path / "home/other.py"),
    }


def test_without_markers_the_root_is_the_current_folder(tmp_path: Path, monkeypatch) -> None:
    write(tmp_path, {"plain/models/m.py": "", "plain/train.py": "", "elsewhere/x.py": ""})
    monkeypatch.chdir(tmp_path / "plain")
    assert find_root(["models/m.py"]) == tmp_path / "plain"
    assert find_root([tmp_path / "elsewhere/x.py"]) == tmp_path / "elsewhere"


def test_without_markers_a_named_folder_is_the_project(tmp_path: Path, monkeypatch) -> None:
    # `rnn-lint repos/` run from /tmp: the project is repos/, not all of /tmp
    from rnn_lint.project import load_project

    write(tmp_path, {"repos/a/m.py": "", "repos/b/t.py": "", "big/other.py": "", "loose.py": ""})
    monkeypatch.chdir(tmp_path)
    assert find_root(["repos"]) == tmp_path / "repos"
    assert find_root(["repos/a", "repos/b/t.py"]) == tmp_path / "repos"
    assert load_project(["repos"], use_cache=False).resolver.files == {
        str(tmp_path / "repos/a/m.py"),
        str(tmp_path / "repos/b/t.py"),
    }
    # files named: the folder the command runs from stays the project
    assert find_root(["repos/a/m.py"]) == tmp_path
    assert find_root(["."]) == tmp_path


MODEL = """
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, hidden, n_layers=1, dropout=0.5):
        super().__init__()
        self.rnn = nn.GRU(hidden, hidden, n_layers, dropout=dropout)
"""


@pytest.mark.parametrize(
    "files, caller",
    [
        # src layout, absolute import through a package __init__ re-export
        (
            {
                "src/pkg/__init__.py": "from .nets.net import Net\n",
                "src/pkg/nets/__init__.py": "",
                "src/pkg/nets/net.py": MODEL,
                "scripts/run.py": "from pkg import Net\nm = Net(8)\n",
            },
            "scripts/run.py",
        ),
        # namespace package (no __init__.py), module import with attribute access
        (
            {"ns/nets/net.py": MODEL, "run.py": "import ns.nets.net\nm = ns.nets.net.Net(8)\n"},
            "run.py",
        ),
        # relative import two levels up
        (
            {
                "pkg/__init__.py": "",
                "pkg/nets/__init__.py": "",
                "pkg/nets/net.py": MODEL,
                "pkg/app/__init__.py": "",
                "pkg/app/run.py": "from ..nets import net as n\nm = n.Net(8)\n",
            },
            "pkg/app/run.py",
        ),
        # a script's sibling import, star import
        ({"exp/net.py": MODEL, "exp/run.py": "from net import *\nm = Net(8)\n"}, "exp/run.py"),
        # a module named as its class, re-exported by its package: the package's ``Net`` is the
        # class (the re-export rebinds the name the submodule import set), by name or attribute
        (
            {
                "models/__init__.py": "from .Net import Net\n",
                "models/Net.py": MODEL,
                "run.py": "from models import Net\nm = Net(8)\n",
            },
            "run.py",
        ),
        (
            {
                "models/__init__.py": "from models.Net import Net\n",
                "models/Net.py": MODEL,
                "run.py": "import models\nm = models.Net(8)\n",
            },
            "run.py",
        ),
    ],
    ids=["src-layout", "namespace", "relative", "sibling-star", "shadowed-submodule", "shadowed-attribute"],
)
def test_imports_resolve_to_the_defining_file(tmp_path: Path, files, caller) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    write(tmp_path, files)
    index = build(tmp_path)
    net = next(str(tmp_path / name) for name, text in files.items() if text is MODEL)
    value = ProjectView(index, net).constructor_value("Net", "n_layers")
    assert value is not None and value.value == 1
    assert value.where == (f"{caller}:2",)


@pytest.mark.parametrize(
    "caller, expected",
    [
        ("from net import Net\nm = Net(8)\n", 1),  # the default, kept
        ("from net import Net\nLAYERS = 3\nm = Net(8, LAYERS)\n", 3),  # a module constant
        ("from net import Net\nfrom config import LAYERS\nm = Net(8, n_layers=LAYERS)\n", 4),  # imported
        ("from net import Net\nCFG = {'n_layers': 2}\nm = Net(8, **CFG)\n", 2),  # a dict config
        ("from net import Net\nCFG = {'n_layers': 2}\nm = Net(8, CFG['n_layers'])\n", 2),
        (
            "import argparse\nfrom net import Net\np = argparse.ArgumentParser()\n"
            "p.add_argument('--n-layers', type=int, default=5)\nargs = p.parse_args()\n"
            "m = Net(8, n_layers=args.n_layers)\n",
            5,
        ),
        (
            "import argparse\nfrom net import Net\np = argparse.ArgumentParser()\nargs = p.parse_args()\n"
            "m = Net(8, n_layers=getattr(args, 'n_layers', 6))\n",
            6,
        ),
        # unknowable: a value computed at run time, an argparse value changed after parsing
        ("import sys\nfrom net import Net\nm = Net(8, int(sys.argv[1]))\n", None),
        (
            "import argparse\nfrom net import Net\np = argparse.ArgumentParser()\n"
            "p.add_argument('--n_layers', type=int, default=1)\nargs = p.parse_args()\nargs.n_layers += 1\n"
            "m = Net(8, args.n_layers)\n",
            None,
        ),
        ("from net import Net\nkw = dict(n_layers=1)\nm = Net(8, **kw)\n", 1),  # dict(...) spread
        # Sentence-VAE's train.py: a dict of argparse values, at module level or in main(args)
        (
            "import argparse\nfrom net import Net\np = argparse.ArgumentParser()\n"
            "p.add_argument('--n_layers', type=int, default=5)\nargs = p.parse_args()\n"
            "params = dict(hidden=8, n_layers=args.n_layers)\nm = Net(**params)\n",
            5,
        ),
        (
            "import argparse\nfrom net import Net\n\ndef main(args):\n"
            "    params = {'hidden': 8, 'n_layers': args.n_layers}\n    return Net(**params)\n\n"
            "p = argparse.ArgumentParser()\np.add_argument('--n_layers', type=int, default=7)\n"
            "args = p.parse_args()\nmain(args)\n",
            7,
        ),
        # unknowable: a dict changed after it is made, one bound twice, one read from a file
        ("from net import Net\nkw = dict(n_layers=1)\nkw['n_layers'] = 3\nm = Net(8, **kw)\n", None),
        (
            "from net import Net\ndef build(deeper):\n    kw = dict(n_layers=1)\n    if deeper:\n"
            "        kw = dict(n_layers=4)\n    return Net(8, **kw)\n",
            None,
        ),
        ("import json\nfrom net import Net\nkw = json.load(open('net.json'))\nm = Net(8, **kw)\n", None),
    ],
    ids=[
        "default",
        "constant",
        "imported-constant",
        "dict-splat",
        "dict-subscript",
        "argparse",
        "getattr-default",
        "runtime",
        "argparse-mutated",
        "dict-call-splat",
        "dict-of-options",
        "local-dict-of-options",
        "dict-changed",
        "dict-bound-twice",
        "unknown-splat",
    ],
)
def test_argument_values_at_sites(tmp_path: Path, caller: str, expected) -> None:
    write(tmp_path, {"net.py": MODEL, "config.py": "LAYERS = 4\n", "train.py": caller})
    value = ProjectView(build(tmp_path), str(tmp_path / "net.py")).constructor_value("Net", "n_layers")
    assert (value.value if value is not None else None) == expected


@pytest.mark.parametrize(
    "other",
    [
        "from net import Net\nm = Net(8, n_layers=2)\n",  # sites disagree
        "from net import Net\nfactory = Net\n",  # handed around as a value
        "from net import Net\nclass Deep(Net):\n    pass\n",  # subclassed: built through super()
        "import net\nm = getattr(net, 'Net')(8)\n",  # looked up by name
        "from net import Net\nm = Net(8, *sizes)\n",  # star arguments
    ],
    ids=["disagree", "value", "subclass", "getattr", "star"],
)
def test_no_value_when_some_site_cannot_be_seen_or_disagrees(tmp_path: Path, other: str) -> None:
    write(tmp_path, {"net.py": MODEL, "train.py": "from net import Net\nm = Net(8)\n", "other.py": other})
    assert ProjectView(build(tmp_path), str(tmp_path / "net.py")).constructor_value("Net", "n_layers") is None


LSTM_MODEL = """
import torch.nn as nn

class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(8, 16)

class Wrapper(nn.Module):
    def __init__(self):
        super().__init__()
        self.tagger = Tagger()
"""


@pytest.mark.parametrize(
    "script, affected",
    [
        ("import torch\nfrom m import Tagger\nt = Tagger()\nt.load_state_dict(torch.load('x.pt'))\n", True),
        ("from m import Tagger\nt = Tagger.from_pretrained('x')\n", True),
        ("from m import Tagger\nfrom u import init\nt = Tagger().to('cpu')\ninit(t)\n", True),
        ("from m import Tagger\nfrom u import init\nt = Tagger()\nt.apply(init)\n", True),
        ("from m import Tagger\nt = Tagger()\nfor p in t.parameters():\n    p.data.zero_()\n", True),
        # an initialiser imported from torch.nn.init and called by its bare name (OpenNMT's builder)
        (
            "from torch.nn.init import uniform_\nfrom m import Tagger\nt = Tagger()\n"
            "for p in t.parameters():\n    uniform_(p, -0.1, 0.1)\n",
            True,
        ),
        (
            "from torch.nn.init import *\nfrom m import Tagger\nt = Tagger()\n"
            "for p in t.parameters():\n    xavier_uniform_(p)\n",
            True,
        ),
        ("from m import Wrapper\nw = Wrapper()\nw.load_state_dict({})\n", True),  # held by a loaded model
        ("from m import Tagger\nfrom u import load_checkpoint\nt = Tagger()\nload_checkpoint(t, 'x')\n", True),
        ("from m import Tagger\nt = Tagger()\nprint(t)\n", False),
        ("from m import Tagger\nfrom u import show\nt = Tagger()\nshow(t)\n", False),  # touches no weights
        # trained from PyTorch's initialisation unless a flag says otherwise
        ("import sys\nfrom m import Tagger\nt = Tagger()\nif sys.argv[1:]:\n    t.load_state_dict({})\n", False),
        # one instance loaded, another trained from scratch
        ("from m import Tagger\nt = Tagger()\nt.load_state_dict({})\nfresh = Tagger()\n", False),
        # an optimiser's update is no initialisation
        (
            "from m import Tagger\nt = Tagger()\nfor p in t.parameters():\n    p.data.add_(p.grad, alpha=-0.1)\n",
            False,
        ),
        ("from m import Tagger\nfrom u import train\nt = Tagger()\ntrain(t)\n", False),  # a training helper
        # the project's own function of that name, which only reads the parameters
        (
            "from m import Tagger\ndef uniform_(p, low, high):\n    print(p.shape)\nt = Tagger()\n"
            "for p in t.parameters():\n    uniform_(p, -0.1, 0.1)\n",
            False,
        ),
        # an initialiser for convolutions and batch norms only never reaches the LSTM
        ("from m import Tagger\nfrom u import conv_init\nt = Tagger()\nt.apply(conv_init)\n", False),
        # built by a factory whose every result is loaded
        (
            "from m import Tagger\ndef build():\n    return Tagger()\nt = build()\nt.load_state_dict({})\n",
            True,
        ),
        (
            "from m import Tagger\nif __name__ == '__main__':\n    t = Tagger()\n    t.load_state_dict({})\n",
            True,
        ),
        # early stopping: the restored state is the same run's (sru's copy_model, or a copy inline)
        (
            "import copy\nfrom m import Tagger\nt = Tagger()\nbest = None\nfor epoch in range(3):\n"
            "    best = copy.deepcopy(t.state_dict())\nt.load_state_dict(best)\n",
            False,
        ),
        (
            "from m import Tagger\ndef copy_model(model):\n    states = model.state_dict()\n    for k in states:\n"
            "        states[k] = states[k].clone()\n    return states\n"
            "t = Tagger()\ncheckpoint = copy_model(t)\nt.load_state_dict(checkpoint)\n",
            False,
        ),
        (
            "from m import Tagger\nt = Tagger()\n"
            "t.load_state_dict({k: v.clone() for k, v in t.state_dict().items()})\n",
            False,
        ),
        # a helper that mentions loading, loads under an `if`, and restores the run's own state
        ("from m import Tagger\nfrom u import fit\nt = Tagger()\nfit(t)\n", False),
        # a resume helper that returns early without a checkpoint; one that loads only the optimiser
        ("from m import Tagger\nfrom u import resume\nt = Tagger()\nresume(t, 'x.pt')\n", False),
        ("from m import Tagger\nfrom u import resume_optimizer\nt = Tagger()\nresume_optimizer(t, None, 'x')\n", False),
        # a load whose except carries on from scratch; one whose except stops the run
        (
            "import torch\nfrom m import Tagger\nt = Tagger()\ntry:\n    t.load_state_dict(torch.load('x.pt'))\n"
            "except FileNotFoundError:\n    pass\n",
            False,
        ),
        (
            "import torch\nfrom m import Tagger\nt = Tagger()\ntry:\n    t.load_state_dict(torch.load('x.pt'))\n"
            "except FileNotFoundError:\n    raise SystemExit('no checkpoint')\n",
            True,
        ),
        # early stopping through a file: saved, then loaded back; loaded, then saved: a checkpoint
        (
            "import torch\nfrom m import Tagger\nt = Tagger()\nfor epoch in range(3):\n"
            "    torch.save(t.state_dict(), 'best.pt')\nt.load_state_dict(torch.load('best.pt'))\n",
            False,
        ),
        (
            "import torch\nfrom m import Tagger\nt = Tagger()\nt.load_state_dict(torch.load('best.pt'))\n"
            "torch.save(t.state_dict(), 'best.pt')\n",
            True,
        ),
        # a package's helper: its name says whether it loads
        ("from m import Tagger\nfrom hub import upload_to_hub\nt = Tagger()\nupload_to_hub(t)\n", False),
        ("from m import Tagger\nfrom ckpt import load_checkpoint\nt = Tagger()\nload_checkpoint(t, 'x')\n", True),
        # a name bound to the own state once and to a checkpoint once: a checkpoint may be loaded
        (
            "import torch\nfrom m import Tagger\nt = Tagger()\nbest = t.state_dict()\nbest = torch.load('x.pt')\n"
            "t.load_state_dict(best)\n",
            True,
        ),
    ],
    ids=[
        "load_state_dict",
        "from_pretrained",
        "helper",
        "apply",
        "loop",
        "bare-init-function",
        "star-imported-init-function",
        "holder",
        "loader",
        "none",
        "other-helper",
        "conditional",
        "one-of-two",
        "optimiser-loop",
        "training-helper",
        "own-function-named-like-an-initialiser",
        "conv-only-init",
        "factory",
        "main-guard",
        "early-stopping-copy",
        "early-stopping-helper",
        "early-stopping-inline",
        "helper-that-only-mentions-loading",
        "resume-helper-returning-early",
        "helper-loading-the-optimiser",
        "try-carrying-on",
        "try-stopping",
        "saved-then-loaded-back",
        "loaded-then-saved",
        "package-helper-named-upload",
        "package-helper-named-load",
        "rebound-to-a-checkpoint",
    ],
)
def test_weights_loaded_or_initialised_elsewhere(tmp_path: Path, script: str, affected: bool) -> None:
    helpers = (
        "def init(m):\n    for p in m.parameters():\n        p.data.zero_()\n\n"
        "def show(m):\n    print(m)\n\n"
        "def conv_init(m):\n    if m.__class__.__name__.find('Conv') != -1:\n        m.weight.data.normal_(0.0, 0.02)\n"
        "        m.bias.data.fill_(0)\n\n"
        "def train(m):\n    for p in m.parameters():\n        p.data.add_(p.grad)\n    m.zero_grad()\n\n"
        "def load_checkpoint(m, path):\n    m.load_state_dict(torch.load(path))\n\n"
        "def resume(m, path):\n    if not os.path.exists(path):\n        return 0\n"
        "    m.load_state_dict(torch.load(path))\n    return 1\n\n"
        "def resume_optimizer(m, optimizer, path):\n    optimizer.load_state_dict(torch.load(path))\n"
        "    return sum(p.numel() for p in m.parameters())\n\n"
        "def fit(m, resume=None):\n    # nothing to restore or load here\n    if resume:\n"
        "        m.load_state_dict(torch.load(resume))\n    best = copy.deepcopy(m.state_dict())\n"
        "    m.load_state_dict(best)\n"
    )
    write(
        tmp_path, {"m.py": LSTM_MODEL, "u.py": "import copy\nimport os\nimport torch\n\n" + helpers, "run.py": script}
    )
    where = ProjectView(build(tmp_path), str(tmp_path / "m.py")).weights_from_elsewhere("Tagger")
    assert bool(where) is affected
    if affected:
        assert where.startswith("run.py:")


HOLDER_WITH_A_LOAD_METHOD = """
import torch
import torch.nn as nn
from m import Tagger

class Model(nn.Module):
    def __init__(self, pretrained=None):
        super().__init__()
        self.tagger = Tagger()
        self.setup(pretrained)

    def setup(self, pretrained):
        pass

    def load_model(self, path):
        self.tagger.load_state_dict(torch.load(path))

    def evaluate(self, path):
        probe = Tagger()
        probe.load_state_dict(torch.load(path))
        return probe
"""


@pytest.mark.parametrize(
    "setup, script, affected",
    [
        # ELMoForManyLangs: only the test script calls load_model; training builds the model fresh
        ("pass", "from holder import Model\nModel().fit()\n", False),
        # every instance it builds, it loads (elmo.py's Embedder)
        ("pass", "from holder import Model\nm = Model()\nm.load_model('x.pt')\n", True),
        # a method __init__ runs loads for every instance
        ("self.load_model(pretrained)", "from holder import Model\nModel()\n", True),
    ],
    ids=["never-called", "called-from-outside", "run-by-init"],
)
def test_a_load_method_covers_only_the_instances_it_runs_for(tmp_path: Path, setup: str, script: str, affected) -> None:
    holder = HOLDER_WITH_A_LOAD_METHOD.replace(
        "    def setup(self, pretrained):\n        pass", f"    def setup(self, pretrained):\n        {setup}"
    )
    write(tmp_path, {"m.py": LSTM_MODEL, "holder.py": holder, "train.py": script})
    where = ProjectView(build(tmp_path), str(tmp_path / "m.py")).weights_from_elsewhere("Tagger")
    assert bool(where) is affected


def test_summaries_are_cached_by_content(tmp_path: Path, monkeypatch) -> None:
    write(tmp_path, {"net.py": MODEL, "train.py": "from net import Net\nm = Net(8)\n"})
    cache = Cache(tmp_path / ".rnn_lint_cache")
    files = [str(p) for p in tmp_path.rglob("*.py")]
    cold = ProjectIndex.build(tmp_path, files, cache)
    calls = []
    monkeypatch.setattr(batch_module, "summarise", lambda text: calls.append(text) or summarise(text))
    warm = ProjectIndex.build(tmp_path, files, cache)
    assert calls == []  # nothing parsed again
    net = str(tmp_path / "net.py")
    assert ProjectView(warm, net).digest() == ProjectView(cold, net).digest()
    (tmp_path / "train.py").write_text("from net import Net\nm = Net(8, 2)\n")
    changed = ProjectIndex.build(tmp_path, files, cache)
    assert len(calls) == 1  # only the changed file
    assert ProjectView(changed, net).digest() != ProjectView(cold, net).digest()


def test_digest_is_the_same_whichever_file_is_linted(project: Path) -> None:
    settings = Settings(root=project)
    one = load_project([project / "seq2seq/models/decoder.py"], settings, use_cache=False)
    whole = load_project([project], settings, use_cache=False)
    for path in project.rglob("*.py"):
        assert ProjectView(one, str(path)).digest() == ProjectView(whole, str(path)).digest()


def test_prefilter_leaves_unrelated_files_unparsed(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "net.py": MODEL,
            "train.py": "from net import Net\nm = Net(8)\n",
            "unrelated.py": "import os\nprint(os.getcwd())\n",
        },
    )
    index = build(tmp_path)
    assert str(tmp_path / "unrelated.py") not in index.summaries
    assert index.symbol(str(tmp_path / "train.py"), "Net") == Symbol("class", str(tmp_path / "net.py"), "Net")


FACTORY = """
import torch.nn as nn

def make_rnn(size, layers=1, dropout=0.2):
    return nn.LSTM(size, size, layers, dropout=dropout)
"""


@pytest.mark.parametrize(
    "callers, flagged",
    [
        (["from factory import make_rnn\nrnn = make_rnn(32)\n"], True),
        (
            [
                "from factory import make_rnn\nrnn = make_rnn(32)\n",
                "from factory import make_rnn\nr = make_rnn(8, 2)\n",
            ],
            False,
        ),
        (["from factory import make_rnn\nbuild = make_rnn\n"], False),  # handed around: calls unseen
        ([], False),
    ],
    ids=["every-call-one-layer", "calls-disagree", "handed-around", "never-called"],
)
def test_factory_parameters_take_the_values_of_their_calls(tmp_path: Path, monkeypatch, callers, flagged) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    write(tmp_path, {"factory.py": FACTORY, **{f"use{number}.py": text for number, text in enumerate(callers)}})
    monkeypatch.chdir(tmp_path)
    findings = lint_paths(["factory.py"], Settings(root=tmp_path), jobs=1)
    inert = [f for f in findings if f.code == "RNN301"]
    assert bool(inert) is flagged
    if flagged:
        assert "built in use0.py:2 with layers=1 (its default)" in inert[0].message


def test_the_index_lives_in_the_cache_folder_and_no_cache_writes_none(project: Path, monkeypatch, capsys) -> None:
    from rnn_lint.cli import main

    monkeypatch.chdir(project)
    monkeypatch.delenv("RNN_LINT_CACHE_DIR", raising=False)
    main(["--no-cache", "seq2seq/models/decoder.py"])
    assert not (project / ".rnn_lint_cache").exists()
    uncached = capsys.readouterr().out
    main(["seq2seq/models/decoder.py"])
    cold = capsys.readouterr().out
    assert list((project / ".rnn_lint_cache").rglob("project-summary"))
    assert list((project / ".rnn_lint_cache").rglob("project-index"))
    main(["seq2seq/models/decoder.py"])  # warm: the index read back whole
    assert capsys.readouterr().out == cold == uncached
    assert "built in train.py:20" in cold


# --- values that flow through more than one call (project/flow.py) ---------------------------------

BUILDERS = {
    "build": "from net import Net\n\ndef build(n_layers):\n    return Net(8, n_layers=n_layers)\n",
    "build_from": "from net import Net\n\ndef build_from(args):\n    return Net(8, n_layers=args.n_layers)\n",
    "build_default": "from net import Net\n\ndef build_default(n_layers=1):\n    return Net(8, n_layers)\n",
    "Wrapper": (
        "from net import Net\n\nclass Wrapper:\n    def __init__(self, layers):\n        self.net = Net(8, layers)\n"
    ),
    "Stored": (
        "from net import Net\n\nclass Stored:\n    def __init__(self, layers):\n        self.layers = layers\n"
        "        self.net = Net(8, n_layers=self.layers)\n"
    ),
    "Restored": (
        "from net import Net\n\nclass Restored:\n    def __init__(self, layers):\n        self.layers = layers\n"
        "        self.net = Net(8, n_layers=self.layers)\n\n    def grow(self):\n        self.layers += 1\n"
    ),
}

PARSER = (
    "import argparse\np = argparse.ArgumentParser()\np.add_argument('--n_layers', type=int, default=3)\n"
    "args = p.parse_args()\n"
)


@pytest.mark.parametrize(
    "script, expected, note",
    [
        ("from builder import build\nm = build(1)\n", 1, "passed to build() at run.py:2"),
        ("from builder import build_default\nm = build_default()\n", 1, "its default, passed to build_default()"),
        ("from builder import Wrapper\nw = Wrapper(2)\n", 2, "passed to Wrapper() at run.py:2"),
        # an argparse namespace handed down two levels: main(args) → build_from(args)
        (
            PARSER + "from builder import build_from\ndef main(a):\n    return build_from(a)\nmain(args)\n",
            3,
            "the --n_layers default, passed to main() at run.py:8, then to build_from() at run.py:7",
        ),
        ("from builder import build\nm = build(1)\nn = build(1)\n", 1, "at run.py:2 and run.py:3"),
        # kept in an attribute first (self.layers = layers), which nothing else stores into
        ("from builder import Stored\nw = Stored(2)\n", 2, "passed to Stored() at run.py:2"),
        ("from builder import Restored\nw = Restored(2)\n", None, ""),
        # unknowable: callers disagree, a value computed at run time, the function handed around
        ("from builder import build\nm = build(1)\nn = build(2)\n", None, ""),
        ("import sys\nfrom builder import build\nm = build(int(sys.argv[1]))\n", None, ""),
        ("from builder import build\nm = build(1)\nfactory = build\n", None, ""),
        ("from builder import Wrapper\nw = Wrapper(2)\nclass Deep(Wrapper):\n    pass\n", None, ""),
        (PARSER + "args.n_layers = 4\nfrom builder import build_from\nbuild_from(args)\n", None, ""),
        ("import builder\nbuild = getattr(builder, 'build')\nm = build(1)\n", None, ""),
    ],
    ids=[
        "function",
        "function-default",
        "init",
        "namespace-two-levels",
        "two-agreeing-calls",
        "attribute",
        "attribute-changed-elsewhere",
        "disagree",
        "runtime",
        "handed-around",
        "subclassed",
        "namespace-mutated",
        "getattr",
    ],
)
def test_values_flow_through_enclosing_functions(tmp_path: Path, script: str, expected, note: str) -> None:
    used = next(name for name in BUILDERS if re.search(rf"\b{name}\b", script))
    write(tmp_path, {"net.py": MODEL, "builder.py": BUILDERS[used], "run.py": script})
    value = ProjectView(build(tmp_path), str(tmp_path / "net.py")).constructor_value("Net", "n_layers")
    if expected is None:
        assert value is None
    else:
        assert value is not None and value.value == expected
        assert note in value.describe()


@pytest.mark.parametrize(
    "builder",
    [
        # the parameter is rebound before the site: not the caller's value
        "from net import Net\ndef build(n_layers):\n    n_layers = n_layers + 1\n    return Net(8, n_layers)\n",
        "from net import Net\ndef build(n_layers):\n    for n_layers in range(3):\n        Net(8, n_layers)\n",
        # a method's parameter (its callers are not followed) and a nested function's
        "from net import Net\nclass B:\n    def make(self, n_layers):\n        return Net(8, n_layers)\n",
        "from net import Net\ndef build(n_layers):\n    def inner(n_layers):\n        return Net(8, n_layers)\n"
        "    return inner(2)\n",
    ],
    ids=["rebound", "loop-target", "method", "nested"],
)
def test_no_flow_where_the_parameter_is_not_the_callers_value(tmp_path: Path, builder: str) -> None:
    write(tmp_path, {"net.py": MODEL, "builder.py": builder, "run.py": "from builder import build\nbuild(1)\n"})
    assert ProjectView(build(tmp_path), str(tmp_path / "net.py")).constructor_value("Net", "n_layers") is None


# --- submodules passed in from the training script (fixtures/projects/translator) ----------------

TRANSLATOR = Path(__file__).resolve().parent.parent / "fixtures" / "projects" / "translator"


@pytest.fixture
def translator(tmp_path: Path) -> Path:
    target = tmp_path / "translator"
    shutil.copytree(TRANSLATOR, target, ignore=shutil.ignore_patterns(".rnn_lint_cache", "__pycache__"))
    return target


def test_encoder_passed_in_is_interpreted_with_its_configuration(translator: Path, monkeypatch) -> None:
    """Seq2Seq(encoder) with encoder = Encoder(..., bidirectional=True) in train.py: the shape
    rules see the encoder's h_n inside Seq2Seq.forward; disagreeing, unknown, non-recurrent and
    subclassed holders stay silent (their lines carry no marker)."""
    monkeypatch.chdir(translator)
    assert findings_of([translator], translator) == project_expectations(translator)
    assert findings_of([translator], translator, project=False) == set()


def test_messages_name_where_the_encoder_is_built(translator: Path, monkeypatch) -> None:
    monkeypatch.chdir(translator)
    messages = messages_of([translator], translator)
    site = "the Encoder built in train.py:{} with n_layers=2 (the --layers default) and bidirectional=True"
    assert site.format(26) in messages[("seq2seq.py", 16)]
    assert site.format(28) in messages[("classifier.py", 17)]
    # one a factory returns: named where the factory builds it
    assert site.format(13) in messages[("seq2seq.py", 83)]
    # an encoder of the holder's own file is named the same way
    assert (
        "`self.encoder.rnn (the Encoder built in translator/single.py:29 with bidirectional=True)`"
        in (messages[("single.py", 26)])
    )


def test_files_settled_in_a_forked_process_still_see_the_project(translator: Path, monkeypatch, tmp_path) -> None:
    """A cold run over many files reads their text in a forked process while the index is built;
    a file whose text concerns no rule but which the project involves (a holder of an encoder
    whose LSTM is in another file) is analysed all the same."""
    if runner._pool_context().get_start_method() != "fork":
        pytest.skip("files are settled apart only where processes are forked (Linux, one thread)")
    monkeypatch.chdir(translator)
    monkeypatch.setattr(runner, "MIN_FILES_TO_SETTLE_APART", 1)
    involved: list[str] = []
    real = runner._involved
    monkeypatch.setattr(runner, "_involved", lambda path: real(path) and not involved.append(path))
    found = lint_paths([str(translator)], Settings(root=translator), jobs=2, cache_dir=tmp_path / "cache")
    assert {(os.path.abspath(f.path), f.line, f.code) for f in found} == project_expectations(translator)
    assert involved  # the case this is about did occur


@pytest.mark.parametrize(
    "name",
    [
        "translator/models/seq2seq.py",
        "translator/models/classifier.py",
        "translator/single.py",
        "translator/models/language_model.py",
    ],
)
def test_linting_the_holder_alone_sees_the_encoder(translator: Path, monkeypatch, name: str) -> None:
    monkeypatch.chdir(translator)
    whole = findings_of([translator], translator)
    target = str(translator / name)
    assert findings_of([target], translator) == {f for f in whole if f[0] == target} != set()


def test_an_edited_encoder_changes_the_holders_verdict(translator: Path, monkeypatch) -> None:
    """The holder's cached results depend on the encoder's file: made unidirectional, the
    encoder's h_n[-1] is the whole summary."""
    monkeypatch.chdir(translator)
    holder = str(translator / "translator/models/seq2seq.py")
    assert (holder, 16, "RNN104") in findings_of([holder], translator)
    encoders = translator / "translator/models/encoders.py"
    encoders.write_text(encoders.read_text().replace("bidirectional=bidirectional)", "bidirectional=False)", 1))
    assert (holder, 16, "RNN104") not in findings_of([holder], translator)


@pytest.mark.parametrize(
    "script",
    [
        "from m import Holder, Enc\nh = Holder(Enc(True))\nh2 = Holder(Enc(True))\n",
        "from m import Holder, Enc\nimport torch.nn as nn\nh = Holder(Enc(True))\nh2 = Holder(nn.GRU(4, 4))\n",
        "from m import Holder, Enc\nh = Holder(Enc(True))\nholder_class = Holder\n",
        "from m import Holder, Enc\nh = Holder(encoder=Enc(True))\n",
        "from m import Holder, Enc\nh = Holder(*[Enc(True)])\n",
        "from m import Holder, Enc\nh = Holder()\n",
    ],
    ids=["agree", "torch-module", "handed-around", "keyword", "star", "default"],
)
def test_submodule_needs_every_site_to_pass_one_project_class(tmp_path: Path, script: str) -> None:
    model = (
        "import torch.nn as nn\n\nclass Enc(nn.Module):\n    def __init__(self, bi):\n        super().__init__()\n"
        "        self.rnn = nn.GRU(4, 4, bidirectional=bi)\n\n"
        "class Holder(nn.Module):\n    def __init__(self, encoder=None):\n        super().__init__()\n"
        "        self.encoder = encoder\n\n    def forward(self, src):\n        return self.encoder(src)\n"
    )
    write(tmp_path, {"m.py": model, "run.py": script})
    held = ProjectView(build(tmp_path), str(tmp_path / "m.py")).submodule("Holder", "encoder")
    expected = script.endswith(("h2 = Holder(Enc(True))\n", "h = Holder(encoder=Enc(True))\n"))
    assert (held is not None) is expected
    if expected:
        assert held[0] == Symbol("class", str(tmp_path / "m.py"), "Enc")


@pytest.mark.parametrize(
    ("factories", "held"),
    [
        ("def make():\n    return Enc(True)\n", True),
        ("def make():\n    enc = Enc(True)\n    return enc.to('cpu')\n", True),
        ("def build():\n    return Enc(True)\n\ndef make():\n    return build()\n", True),
        ("def make(k=0):\n    if k:\n        return Enc(True)\n    return Enc(False)\n", True),
        ("def make(k=0):\n    if k:\n        return Enc(True)\n    return Other()\n", False),
        ("def make(k=0):\n    if k:\n        return Enc(True)\n    return k\n", False),
        ("def make():\n    yield Enc(True)\n", False),
        ("import torch.nn as nn\ndef make():\n    return nn.GRU(4, 4)\n", False),
        ("def make():\n    def inner():\n        return Enc(True)\n    return inner\n", False),
    ],
    ids=[
        "returns-one",
        "bound-and-moved",
        "two-deep",
        "one-class-twice",
        "two-classes",
        "maybe-a-value",
        "generator",
        "torch-module",
        "returns-a-function",
    ],
)
def test_submodule_made_by_a_factory(tmp_path: Path, factories: str, held: bool) -> None:
    """``Holder(make())``: the instance is known when every ``return`` of the factory returns an
    instance of one project class (built there, or by another such factory)."""
    model = (
        "import torch.nn as nn\n\nclass Enc(nn.Module):\n    def __init__(self, bi):\n        super().__init__()\n"
        "        self.rnn = nn.GRU(4, 4, bidirectional=bi)\n\nclass Other(nn.Module):\n    pass\n\n"
        "class Holder(nn.Module):\n    def __init__(self, encoder):\n        super().__init__()\n"
        "        self.encoder = encoder\n\n    def forward(self, src):\n        return self.encoder(src)\n"
    )
    script = "from m import Holder, Enc, Other\n" + factories + "h = Holder(make())\n"
    write(tmp_path, {"m.py": model, "run.py": script})
    found = ProjectView(build(tmp_path), str(tmp_path / "m.py")).submodule("Holder", "encoder")
    assert (found is not None) is held
    if held:
        assert found[0] == Symbol("class", str(tmp_path / "m.py"), "Enc")
        assert all(place.startswith("run.py:") for place in found[1])


@pytest.mark.parametrize(
    ("shared", "held"),
    [
        ("from m import Enc\nencoder = Enc(True)\n", True),
        ("from m import Enc\nencoder = Enc(True).to('cpu')\n", True),
        ("from m import Enc\nencoder = Enc(True)\nencoder = Enc(False)\n", False),
        (
            "from m import Enc\nencoder = Enc(True)\n\ndef swap():\n    global encoder\n    encoder = Enc(False)\n",
            False,
        ),
        (
            "from m import Enc\nimport sys\nif sys.argv:\n    encoder = Enc(True)\nelse:\n    encoder = Enc(False)\n",
            False,
        ),
        ("import torch.nn as nn\nencoder = nn.GRU(4, 4)\n", False),
    ],
    ids=["bound-once", "moved", "bound-twice", "global-rebinds", "branches", "torch-module"],
)
def test_submodule_imported_from_a_module(tmp_path: Path, shared: str, held: bool) -> None:
    """``Holder(encoder)`` with ``from shared import encoder``: the instance is known when the
    module binds the name once, to an instance of one project class, and no function rebinds it."""
    model = (
        "import torch.nn as nn\n\nclass Enc(nn.Module):\n    def __init__(self, bi):\n        super().__init__()\n"
        "        self.rnn = nn.GRU(4, 4, bidirectional=bi)\n\n"
        "class Holder(nn.Module):\n    def __init__(self, encoder):\n        super().__init__()\n"
        "        self.encoder = encoder\n\n    def forward(self, src):\n        return self.encoder(src)\n"
    )
    # (run.py names Enc, so it is read; an instance's name is not looked for: see docs/project.md)
    script = "from m import Enc, Holder\nfrom shared import encoder\nh = Holder(encoder)\n"
    write(tmp_path, {"m.py": model, "shared.py": shared, "run.py": script})
    found = ProjectView(build(tmp_path), str(tmp_path / "m.py")).submodule("Holder", "encoder")
    assert (found is not None) is held
    if held:
        assert found == (Symbol("class", str(tmp_path / "m.py"), "Enc"), ("shared.py:2",))


# --- project functions that return a recurrent class ------------------------------------------------

FACTORIES = """
import torch.nn as nn

RNNS = {"lstm": nn.LSTM, "gru": nn.GRU}


def ternary(kind):
    return nn.LSTM if kind == "lstm" else nn.GRU


def chain(kind="lstm"):
    \"\"\"An if/elif chain.\"\"\"
    if kind.lower() == "lstm":
        return nn.LSTM
    elif kind.lower() in ("gru", "g"):
        return nn.GRU
    raise ValueError(kind)


def table(name):
    return RNNS[name]


def assigned(rnn_type):
    if rnn_type == "lstm":
        rnn = nn.LSTM
    elif rnn_type == "gru":
        rnn = nn.GRU
    else:
        raise NotImplementedError(rnn_type)
    return rnn


def assigned_elsewhere(rnn_type):
    rnn = nn.RNN
    if rnn_type == "lstm":
        rnn = nn.LSTM
    return rnn


def fixed():
    return nn.GRU


def looked_up(kind):
    return getattr(nn, kind.upper())


def two_parameters(kind, other):
    if kind == "lstm":
        return nn.LSTM
    if other == "x":
        return nn.GRU
    return nn.RNN
"""


@pytest.mark.parametrize(
    "call, kind",
    [
        ("ternary('lstm')", "LSTM"),
        ("ternary('gru')", "GRU"),
        ("ternary(kind='other')", "GRU"),
        ("chain()", "LSTM"),
        ("chain('GRU')", "GRU"),
        ("chain('rnn')", None),  # raises: no class
        ("table('gru')", "GRU"),
        ("table('rnn')", None),  # a KeyError
        ("assigned('gru')", "GRU"),
        ("assigned('rnn')", None),  # raises
        ("assigned_elsewhere('lstm')", None),  # not a recognised shape: nothing assumed
        ("RNNS['gru']", "GRU"),  # the dict of classes itself, imported
        ("RNNS[cell]", None),
        ("fixed()", "GRU"),
        # unknowable: the argument is not known, the function is no recognised choice
        ("ternary(cell)", None),
        ("ternary(*cells)", None),
        ("looked_up('lstm')", None),
        ("two_parameters('gru', 'x')", None),
    ],
)
def test_factory_of_recurrent_classes_resolves_with_a_known_argument(tmp_path: Path, monkeypatch, call, kind) -> None:
    """A GRU whose state is unpacked as (h, c) is RNN107: reported exactly when the factory is
    known to return a GRU; an LSTM's (h, c) is right; an unknown class says nothing."""
    (tmp_path / "pyproject.toml").write_text("")
    model = (
        "import torch.nn as nn\n\nfrom factories import (\n    RNNS, assigned, assigned_elsewhere, chain, fixed,\n"
        "    looked_up, table, ternary, two_parameters,\n)\n\n\n"
        "class Model(nn.Module):\n    def __init__(self, cell, cells):\n        super().__init__()\n"
        f"        self.rnn = {call}(8, 8, 2)\n\n"
        "    def forward(self, x):\n        output, (hidden, c) = self.rnn(x)\n        return output\n"
    )
    write(tmp_path, {"factories.py": FACTORIES, "model.py": model})
    monkeypatch.chdir(tmp_path)
    codes = {f.code for f in lint_paths(["model.py"], Settings(root=tmp_path), jobs=1)}
    assert ("RNN107" in codes) is (kind == "GRU")
    assert not codes - {"RNN107"}
    import libcst as cst

    from rnn_lint.facts.interpreter import build as build_facts

    facts = build_facts(
        cst.parse_module(model), str(tmp_path / "model.py"), ProjectView(build(tmp_path), str(tmp_path / "model.py"))
    )
    assert [c.kind for c in facts.constructions] == ([kind] if kind else [])


@pytest.mark.parametrize("kind, flagged", [("'gru'", True), ("'lstm'", False)])
def test_a_factory_file_that_only_returns_classes_is_read(tmp_path: Path, monkeypatch, kind, flagged) -> None:
    """cells.py builds nothing itself (only ``return nn.GRU`` lines): the index still reads it,
    so make_rnn('gru')(...) in model.py is known to build a GRU."""
    (tmp_path / "pyproject.toml").write_text("")
    cells = (
        "import torch.nn as nn\n\n\ndef make_rnn(kind):\n    if kind == 'lstm':\n        return nn.LSTM\n"
        "    elif kind == 'gru':\n        return nn.GRU  # the default elsewhere\n    raise ValueError(kind)\n"
    )
    model = (
        "import torch.nn as nn\n\nfrom cells import make_rnn\n\n\nclass Model(nn.Module):\n"
        f"    def __init__(self):\n        super().__init__()\n        self.rnn = make_rnn({kind})(8, 8, 2)\n\n"
        "    def forward(self, x):\n        output, (hidden, c) = self.rnn(x)\n        return output\n"
    )
    write(tmp_path, {"cells.py": cells, "model.py": model})
    monkeypatch.chdir(tmp_path)
    codes = {f.code for f in lint_paths(["model.py"], Settings(root=tmp_path), jobs=1)}
    assert ("RNN107" in codes) is flagged


def test_a_holder_of_the_same_file_changes_verdict_with_its_sites(tmp_path: Path, monkeypatch, capsys) -> None:
    """Encoder and holder in model.py, built in train.py: model.py's cached results follow
    train.py (what it passes decides)."""
    from rnn_lint.cli import main

    (tmp_path / "pyproject.toml").write_text("")
    model = (
        "import torch.nn as nn\n\n\nclass Encoder(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.rnn = nn.GRU(8, 8, bidirectional=True)\n\n"
        "    def forward(self, x):\n        _, hidden = self.rnn(x)\n        return hidden\n\n\n"
        "class Other(nn.Module):\n    def forward(self, x):\n        return x\n\n\n"
        "class Holder(nn.Module):\n    def __init__(self, encoder):\n        super().__init__()\n"
        "        self.encoder = encoder\n\n    def forward(self, x):\n        return self.encoder(x)[-1]\n"
    )
    write(tmp_path, {"model.py": model, "train.py": "from model import Encoder, Holder\nh = Holder(Encoder())\n"})
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RNN_LINT_CACHE_DIR", raising=False)
    main(["model.py"])
    assert "model.py:25:" in capsys.readouterr().out and (tmp_path / ".rnn_lint_cache").exists()
    (tmp_path / "train.py").write_text("from model import Other, Holder\nh = Holder(Other())\n")
    main(["model.py"])
    assert "RNN104" not in capsys.readouterr().out


@pytest.mark.parametrize(
    "encoder",
    [
        # the encoder's file does not parse (the index read an older text, or a stray edit)
        "import torch.nn as nn\n\nclass Enc(nn.Module):\n    def __init__(self):\n        self.rnn = nn.GRU(4, 4\n",
        # the encoder's file builds the holder and runs one itself: the holder's file is run
        # from the encoder's while the encoder's is run for the holder's (each once)
        "import torch.nn as nn\nfrom holder import Holder\n\nclass Enc(nn.Module):\n"
        "    def __init__(self, inner):\n        super().__init__()\n        self.inner = inner\n"
        "        self.rnn = nn.GRU(4, 4, bidirectional=True)\n\n"
        "    def forward(self, x):\n        self.inner(x)\n        return self.rnn(x)\n\n"
        "e = Enc(Holder(Enc(None)))\n",
    ],
    ids=["unparsable", "each-runs-the-other"],
)
def test_foreign_runs_that_fail_or_nest_stay_quiet(tmp_path: Path, monkeypatch, encoder) -> None:
    holder = (
        "import torch.nn as nn\n\nclass Holder(nn.Module):\n    def __init__(self, encoder):\n"
        "        super().__init__()\n        self.encoder = encoder\n\n"
        "    def forward(self, x):\n        _, h = self.encoder(x)\n        return h[-1]\n"
    )
    (tmp_path / "pyproject.toml").write_text("")
    run = "from enc import Enc\nfrom holder import Holder\n"
    write(tmp_path, {"enc.py": encoder, "holder.py": holder, "run.py": run})
    monkeypatch.chdir(tmp_path)
    findings = lint_paths(["holder.py"], Settings(root=tmp_path), jobs=1)
    # a bidirectional Enc passed by every site: its h_n[-1] (no error of ours, no finding invented)
    assert [(f.line, f.code) for f in findings] == ([(10, "RNN104")] if "Holder(" in encoder else [])


CAPTION_CORE = """
import torch.nn as nn
from base import CaptionModel


class Core(CaptionModel):
    def __init__(self, hidden):
        super().__init__()
        self.att_lstm = nn.LSTMCell(hidden, hidden)
"""


@pytest.mark.parametrize(
    "method, reported",
    [
        # scheduled sampling: a random tensor made on the spot is no parameter (ImageCaptioning.pytorch)
        ("    def _forward(self, feats):\n        sample_prob = feats.new(feats.size(0)).uniform_(0, 1)\n", True),
        ("    def noise(self, n):\n        return torch.empty(n).normal_()\n", True),
        # a base that fills every parameter of the model initialises the subclass's LSTM too
        (
            "    def init_weights(self):\n        for p in self.parameters():\n"
            "            p.data.uniform_(-0.1, 0.1)\n",
            False,
        ),
        # a base that sets only the weight of an embedding it builds (TextClassificationBenchmark)
        (
            "    def __init__(self, vectors=None):\n        super().__init__()\n"
            "        self.encoder = nn.Embedding(100, 8)\n        if vectors is not None:\n"
            "            self.encoder.weight = nn.Parameter(vectors)\n"
            "            nn.init.normal_(self.encoder.weight)\n",
            True,
        ),
        # ... but one that also fills an attribute a subclass may bind to an LSTM still counts
        (
            "    def __init__(self):\n        super().__init__()\n        self.encoder = nn.Embedding(100, 8)\n"
            "        self.encoder.weight.data.uniform_(-0.1, 0.1)\n\n    def init_rnn(self):\n"
            "        self.rnn.weight_hh_l0.data.uniform_(-0.1, 0.1)\n",
            False,
        ),
    ],
    ids=["sampled-tensor", "noise", "initialising-base", "embedding-only-base", "base-reaching-another-attribute"],
)
def test_a_base_class_sets_weights_only_when_it_fills_parameters(tmp_path: Path, method: str, reported: bool) -> None:
    base = "import torch\nimport torch.nn as nn\n\n\nclass CaptionModel(nn.Module):\n" + method
    assert core_reported_with_base(tmp_path, base) is reported


def core_reported_with_base(root: Path, base: str) -> bool:
    """Whether ``Core``'s LSTM (model.py:9), trained by train.py, is reported with ``base`` as
    the text of base.py, the module of its base class."""
    write(
        root,
        {
            "pyproject.toml": "",
            "base.py": base,
            "model.py": CAPTION_CORE,
            "train.py": "from model import Core\nm = Core(8)\n",
        },
    )
    return (str(root / "model.py"), 9, "RNN201") in findings_of([root], root)


@pytest.mark.parametrize(
    "header, reported",
    [
        # ParlAI's TorchGeneratorModel(nn.Module, ABC): ABC and Generic bring no code
        ("from abc import ABC\n\n\nclass CaptionModel(nn.Module, ABC):\n", True),
        (
            "from typing import Generic, TypeVar\n\nT = TypeVar('T')\n\n\nclass CaptionModel(nn.Module, Generic[T]):\n",
            True,
        ),
        # a base from another package may initialise every parameter
        ("from somewhere import Registry\n\n\nclass CaptionModel(nn.Module, Registry):\n", False),
    ],
    ids=["abc", "generic", "another-package"],
)
def test_a_base_with_codeless_bases_of_its_own_hides_nothing(tmp_path: Path, header: str, reported: bool) -> None:
    base = "import torch.nn as nn\n" + header + "    def forward(self, x):\n        return self.att_lstm(x)\n"
    assert core_reported_with_base(tmp_path, base) is reported


KEON_MODEL = """
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, vocab, hidden, n_layers=1):
        super().__init__()
        self.embed = nn.Embedding(vocab, hidden)
        self.gru = nn.GRU(hidden, hidden, n_layers, bidirectional=True)

    def forward(self, src):
        return self.gru(self.embed(src))


class Decoder(nn.Module):
    def __init__(self, vocab, hidden, n_layers=1):
        super().__init__()
        self.n_layers = n_layers
        self.gru = nn.GRU(hidden, hidden, n_layers)

    def forward(self, tok, hidden):
        return self.gru(tok, hidden)


class Seq2Seq(nn.Module):
    def __init__(self, encoder, decoder):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def forward(self, src, trg):
        _, hidden = self.encoder(src)
        return self.decoder(trg, hidden[: self.decoder.n_layers])
"""


@pytest.mark.parametrize("decoder_layers, reported", [(1, False), (2, True)])
def test_a_state_cut_at_another_modules_layer_count_of_one_mixes_nothing(
    tmp_path: Path, decoder_layers: int, reported: bool
) -> None:
    """keon/seq2seq: a two-layer bidirectional encoder's state cut at the decoder's layer count;
    the decoder is built with one layer, so the cut is row 0 (layer 0 forward) however the rows
    are read. With two decoder layers it is layer 0's two directions (RNN101)."""
    train = (
        "from model import Encoder, Decoder, Seq2Seq\n\n"
        f"model = Seq2Seq(Encoder(100, 32, n_layers=2), Decoder(100, 32, n_layers={decoder_layers}))\n"
    )
    write(tmp_path, {"model.py": KEON_MODEL, "train.py": train, "pyproject.toml": ""})
    found = {(Path(path).name, line, code) for path, line, code in findings_of([tmp_path], tmp_path)}
    line = KEON_MODEL.splitlines().index("        return self.decoder(trg, hidden[: self.decoder.n_layers])") + 1
    assert (("model.py", line, "RNN101") in found) is reported


@pytest.mark.parametrize(
    "caller, reported",
    [
        ("import unittest\n\n\nclass TestEncoder(unittest.TestCase):\n    def test_train(self):\n", True),
        ("class Experiment:\n    def run(self):\n", True),
        # a model that the project never builds holds no instance: predict.py's loaded one is all
        ("import torch.nn as nn\n\n\nclass Unused(nn.Module):\n    def __init__(self):\n", False),
    ],
)
def test_a_model_built_in_a_method_of_a_class_that_is_no_module_is_an_instance(
    tmp_path: Path, caller: str, reported: bool
) -> None:
    """flow-forecast: a factory that trains from scratch, called only from a test case's method,
    while predict.py loads a checkpoint into its own instance. The test case is no model holding
    the encoder: its instance is built when the test runs, so RNN201 stands (as --isolated says)."""
    write(
        tmp_path,
        {
            "pyproject.toml": "",
            "modules.py": "import torch.nn as nn\n\n\nclass Encoder(nn.Module):\n"
            "    def __init__(self):\n        super().__init__()\n        self.lstm = nn.LSTM(8, 16)\n",
            "factory.py": "from modules import Encoder\n\n\ndef make():\n    return Encoder()\n",
            "predict.py": "import torch\nfrom modules import Encoder\n\nenc = Encoder()\n"
            "enc.load_state_dict(torch.load('e.pt'))\n",
            "caller.py": "from factory import make\n\n" + caller + "        self.model = make()\n",
        },
    )
    found = findings_of([tmp_path], tmp_path)
    assert (str(tmp_path / "modules.py"), 7, "RNN201") in found if reported else found == set()


ONMT_MODEL = """
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, size):
        super().__init__()
        self.rnn = nn.LSTM(size, size, num_layers=2)
"""


@pytest.mark.parametrize(
    "otherwise, reported",
    [
        # OpenNMT-py's train.py: a checkpoint, or every parameter drawn afresh
        ("        for p in model.parameters():\n            p.data.uniform_(-0.1, 0.1)\n", False),
        ("        model.load_state_dict(torch.load('other.pt'))\n", False),
        # the other branch trains from PyTorch's initialisation
        ("        print('from scratch')\n", True),
    ],
    ids=["load-or-init", "load-or-load", "load-or-nothing"],
)
def test_an_effect_on_both_branches_of_an_if_happens_either_way(tmp_path: Path, otherwise: str, reported: bool) -> None:
    train = (
        "import torch\nfrom model import Encoder\n\n\ndef main(resume):\n    model = Encoder(8)\n"
        "    if resume:\n        model.load_state_dict(torch.load(resume))\n    else:\n" + otherwise
    )
    write(tmp_path, {"pyproject.toml": "", "model.py": ONMT_MODEL, "train.py": train})
    assert ((str(tmp_path / "model.py"), 8, "RNN201") in findings_of([tmp_path], tmp_path)) is reported


@pytest.mark.parametrize(
    "choice, reported",
    [
        # cove's copy of OpenNMT-py: two loads and a draw of every parameter under complementary
        # conditions, the model wrapped in DataParallel between them
        (
            "    if opt.train_from:\n        model.load_state_dict(torch.load(opt.train_from))\n"
            "    if opt.train_from_state_dict:\n        model.load_state_dict(torch.load(opt.train_from_state_dict))\n"
            "    if len(opt.gpus) > 1:\n        model = nn.DataParallel(model)\n"
            "    if not opt.train_from_state_dict and not opt.train_from:\n"
            "        for p in model.parameters():\n            p.data.uniform_(-0.1, 0.1)\n",
            False,
        ),
        # an elif chain whose branches all load or initialise
        (
            "    if opt.train_from:\n        model.load_state_dict(torch.load(opt.train_from))\n"
            "    elif opt.init == 'uniform':\n"
            "        for p in model.parameters():\n            p.data.uniform_(-0.1, 0.1)\n"
            "    else:\n        model.load_state_dict(torch.load('pretrained.pt'))\n",
            False,
        ),
        # conditions that leave a case out: neither runs when both are false
        (
            "    if opt.train_from:\n        model.load_state_dict(torch.load(opt.train_from))\n"
            "    if opt.param_init:\n        for p in model.parameters():\n            p.data.uniform_(-0.1, 0.1)\n",
            True,
        ),
        # the name a condition reads is assigned between the ifs: its two values need not agree
        (
            "    resume = opt.train_from\n"
            "    if resume:\n        model.load_state_dict(torch.load(opt.train_from))\n"
            "    resume = opt.warm_start\n"
            "    if not resume:\n        for p in model.parameters():\n            p.data.uniform_(-0.1, 0.1)\n",
            True,
        ),
        # only one of the complementary branches sets anything
        (
            "    if opt.train_from:\n        model.load_state_dict(torch.load(opt.train_from))\n"
            "    if not opt.train_from:\n        print('from scratch')\n",
            True,
        ),
    ],
    ids=["opennmt-three-ifs", "elif-chain", "a-case-left-out", "condition-reassigned", "one-side-only"],
)
def test_sibling_ifs_that_cover_every_case_set_the_weights(tmp_path: Path, choice: str, reported: bool) -> None:
    train = (
        "import torch\nimport torch.nn as nn\nfrom model import Encoder\n\n\ndef main(opt):\n"
        "    model = Encoder(8)\n" + choice + "    return model\n"
    )
    write(tmp_path, {"pyproject.toml": "", "model.py": ONMT_MODEL, "train.py": train})
    assert ((str(tmp_path / "model.py"), 8, "RNN201") in findings_of([tmp_path], tmp_path)) is reported


def test_the_filtered_state_of_a_checkpoints_model_is_a_load(tmp_path: Path) -> None:
    """OpenNMT-py's ``train_from``: the state of the model stored in the checkpoint, less the
    generator's keys, is loaded — a checkpoint, not the run's own state restored."""
    train = (
        "import torch\nfrom model import Encoder\n\n\ndef main(path):\n    model = Encoder(8)\n"
        "    checkpoint = torch.load(path)\n    chk_model = checkpoint['model']\n"
        "    state = {k: v for k, v in chk_model.state_dict().items() if 'generator' not in k}\n"
        "    model.load_state_dict(state)\n    return model\n"
    )
    write(tmp_path, {"pyproject.toml": "", "model.py": ONMT_MODEL, "train.py": train})
    assert findings_of([tmp_path], tmp_path) == set()
    own = train.replace("chk_model.state_dict()", "model.state_dict()")  # early stopping: the own state
    write(tmp_path, {"train.py": own})
    assert (str(tmp_path / "model.py"), 8, "RNN201") in findings_of([tmp_path], tmp_path)


PACKED_LSTM = """
import torch.nn as nn


class PackedLSTM(nn.Module):
    def __init__(self, d_in, d_out, num_layers=1, dropout=0.0):
        super().__init__()
        self.rnn = nn.LSTM(d_in, d_out, num_layers=num_layers, dropout=dropout)
        for name, p in self.rnn.named_parameters():
            if "bias" in name:
                p.data.zero_()
"""


@pytest.mark.parametrize(
    "dropout, reported",
    [
        ("args.dropout_ratio", True),  # a parameter's attribute the index cannot follow (decaNLP)
        ("rate", True),  # a parameter of __init__ whose callers cannot all be seen
        ("0.3 if deep else 0.0", False),  # an expression: its value may be chosen for one layer
        ("make_rate()", False),  # a call's result
    ],
    ids=["namespace-attribute", "parameter", "expression", "call"],
)
def test_a_one_layer_construction_with_an_unknown_dropout_is_named_when_others_disagree(
    tmp_path: Path, dropout: str, reported: bool
) -> None:
    """decaNLP: ``PackedLSTM(..., num_layers=1, dropout=args.dropout_ratio)`` next to constructions
    with ``num_layers=args.rnn_layers``; the model class is picked by ``getattr(models, name)``,
    so what ``args`` holds cannot be known — but one layer makes any dropout inert."""
    model = (
        "import torch.nn as nn\nfrom common import PackedLSTM\n\n\nclass Model(nn.Module):\n"
        "    def __init__(self, args, rate, deep, make_rate):\n        super().__init__()\n"
        f"        self.one = PackedLSTM(8, 8, num_layers=1, dropout={dropout})\n"
        "        self.many = PackedLSTM(8, 8, num_layers=args.rnn_layers, dropout=args.dropout_ratio)\n"
    )
    train = "import models\n\n\ndef main(args):\n    return getattr(models, args.model)(args, 0.2, True, float)\n"
    write(tmp_path, {"pyproject.toml": "", "common.py": PACKED_LSTM, "models.py": model, "train.py": train})
    messages = messages_of([tmp_path], tmp_path)
    inert = messages.get(("common.py", 8), "")
    if reported:
        assert inert.startswith("dropout does nothing in the PackedLSTM built in models.py:8 with num_layers=1")
    else:
        assert ("common.py", 8) not in messages
