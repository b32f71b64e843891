"""A third-party rule package, found through the ``rnn_lint`` entry-point group, behaves like a
built-in rule: it runs, is selected and ignored by prefix, silenced by noqa, and documented.
Broken plugins are one-line errors with exit status 2."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest
from cli_helpers import REPO, Run, run_command, write_tree

PLUGIN = '''
import libcst as cst
from rnn_lint import Rule, hookimpl


class BareGRU(Rule):
    """
    ## What it does
    Flags `nn.GRU(...)` built without saying `batch_first`.

    ## Why is this bad?
    House style.

    ## Example
    ```python
    gru = nn.GRU(8, 16)
    ```

    ## Use instead
    ```python
    gru = nn.GRU(8, 16, batch_first=True)
    ```
    """

    code = "ACME001"
    name = "bare-gru"
    message = "GRU built without batch_first"

    def check(self, facts):
        for node in walk(facts.module):
            if (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "GRU"
                    and not any(arg.keyword and arg.keyword.value == "batch_first" for arg in node.args)):
                yield self.report(node)


def walk(node):
    yield node
    for child in node.children:
        yield from walk(child)


@hookimpl
def rnn_lint_rules():
    return [BareGRU] + EXTRA
'''

MODEL = """\
import torch.nn as nn

a = nn.GRU(8, 16)
b = nn.GRU(8, 16, batch_first=True)
c = nn.GRU(8, 16)  # noqa: ACME001
d = nn.GRU(
    8, 16)  # noqa: RNN101
"""


def install_plugin(site: Path, extra: str = "EXTRA = []") -> Path:
    """A package as pip would leave it: a module and its dist-info with the entry point."""
    write_tree(
        site,
        {
            "acme_rnn_rules.py": PLUGIN + "\n" + textwrap.dedent(extra),
            "acme_rnn_rules-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: acme-rnn-rules\nVersion: 1.0\n",
            "acme_rnn_rules-1.0.dist-info/entry_points.txt": "[rnn_lint]\nacme = acme_rnn_rules\n",
        },
    )
    return site


def rnn_lint(project: Path, site: Path, *args: str) -> Run:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(REPO)])}
    env.pop("RNN_LINT_PLUGINS", None)
    return run_command([sys.executable, "-m", "rnn_lint", *args], project, env=env)


@pytest.fixture
def project(tmp_path):
    return write_tree(tmp_path / "project", {"model.py": MODEL})


def test_third_party_rule_runs_like_a_built_in_one(tmp_path, project):
    site = install_plugin(tmp_path / "site")
    run = rnn_lint(project, site)
    assert run.code == 1, run.err
    assert "model.py:3:5: ACME001 GRU built without batch_first" in run.out
    assert "model.py:6:5: ACME001" in run.out  # a suppression of another code leaves it
    assert run.out.count("ACME001") == 2  # line 5 is silenced by its noqa
    assert rnn_lint(project, site, "--select", "ACME", "--format", "json").out.count('"ACME001"') == 2
    assert rnn_lint(project, site, "--ignore", "ACME0").out.count("ACME001") == 0
    docs = rnn_lint(project, site, "rule", "ACME001")
    assert docs.code == 0 and docs.out.startswith("# ACME001 (bare-gru)")
    assert "# ACME001 (bare-gru)" in rnn_lint(project, site, "rule", "--all").out
    (project / "model.py").write_text("# rnn-lint: noqa: ACME001\n" + MODEL)
    assert rnn_lint(project, site, "--select", "ACME").code == 0


@pytest.mark.parametrize(
    "extra, message",
    [
        (
            "class Clash(BareGRU):\n    code = 'RNN000'\nEXTRA = [Clash]",
            "rule code RNN000 is claimed by both rnn_lint.rules.rnn000_syntax_error.SyntaxErrorRule"
            " and acme_rnn_rules.Clash",
        ),
        ("EXTRA = ['ACME002']", "rnn_lint_rules returned 'ACME002', which is not a subclass of rnn_lint.Rule"),
        ("class Bad(BareGRU):\n    code = 'acme-2'\nEXTRA = [Bad]", "code 'acme-2' is not LETTERS+DIGITS"),
        (
            "raise ImportError('acme needs numpy 3')",
            "cannot load an `rnn_lint` entry-point plugin: ImportError: acme needs numpy 3",
        ),
    ],
)
def test_broken_plugins_are_clear_errors(tmp_path, project, extra, message):
    site = install_plugin(tmp_path / "site", extra)
    for args in ([], ["rule", "--all"]):
        run = rnn_lint(project, site, *args)
        assert run.code == 2 and run.out == ""
        assert run.err.startswith("rnn-lint: error: ") and message in run.err and run.err.count("\n") == 1, run.err
