"""The command line over whatever built-in rules exist (no test-only rules): each rule's documented
example is reported through the CLI, selected, ignored and silenced by code, and documented."""

from __future__ import annotations

import json

import pytest

from rnn_lint.registry import all_rules

BUILTIN = [rule for rule in all_rules() if rule.__module__.startswith("rnn_lint.rules.")]


@pytest.fixture(autouse=True)
def _no_test_plugins(monkeypatch):
    monkeypatch.delenv("RNN_LINT_PLUGINS", raising=False)


@pytest.mark.parametrize("rule", BUILTIN, ids=lambda rule: rule.code)
def test_documented_example_through_the_cli(cli, tmp_path, rule):
    flagged, correct = rule.examples()
    assert flagged is not None and correct is not None, f"{rule.code} documents no example"
    (tmp_path / "example.py").write_text(flagged)
    (tmp_path / "fixed.py").write_text(correct)

    run = cli("--select", rule.code, "--format", "json")
    assert run.code == 1, run.err
    assert {(f["path"], f["code"], f["name"]) for f in json.loads(run.out)} == {("example.py", rule.code, rule.name)}
    # Other rules may have something to say about the example too; this one must not once ignored.
    others = cli("--select", rule.code[:3], "--ignore", rule.code, "--format", "json", "example.py")
    assert rule.code not in {f["code"] for f in json.loads(others.out)}
    if rule.code != "RNN000":  # a file that does not parse has no comments to read, as in ruff
        (tmp_path / "example.py").write_text(f"# rnn-lint: noqa: {rule.code}\n{flagged}")
        assert cli("--select", rule.code).code == 0
    assert cli("rule", rule.code.lower()).out == rule.documentation()


def test_rule_all_and_sarif_list_every_built_in_rule(cli, tmp_path):
    everything = cli("rule", "--all").out
    assert all(rule.documentation() in everything for rule in BUILTIN)
    (tmp_path / "empty.py").write_text("")
    log = json.loads(cli("--format", "sarif").out)
    described = [rule["id"] for rule in log["runs"][0]["tool"]["driver"]["rules"]]
    assert described == sorted(rule.code for rule in BUILTIN)
