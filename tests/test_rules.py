"""Every rule is its own spec: its docs' Example must be flagged and its Use instead must not."""

from __future__ import annotations

import re

import pytest

from rnn_lint import contract
from rnn_lint.engine import lint_source
from rnn_lint.registry import all_rules

RULES = all_rules()
SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "## Use instead")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_documentation_has_the_four_sections(rule) -> None:
    doc = rule.documentation()
    positions = [doc.find(section) for section in SECTIONS]
    assert all(p >= 0 for p in positions), f"{rule.code} docs lack one of {SECTIONS}"
    assert positions == sorted(positions), f"{rule.code} docs sections out of order"
    assert doc.startswith(f"# {rule.code} ({rule.name})")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_example_is_flagged_and_use_instead_is_not(rule) -> None:
    bad, good = rule.examples()
    assert bad and good, f"{rule.code} needs python code blocks under Example and Use instead"
    flagged = [f for f in lint_source(bad, "example.py", RULES) if f.code == rule.code]
    assert flagged, f"{rule.code}'s Example is not flagged by {rule.code}"
    clean = [f for f in lint_source(good, "use_instead.py", RULES) if f.code == rule.code]
    assert not clean, f"{rule.code}'s Use instead is flagged: {[f.message for f in clean]}"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_code_and_slug_agree_with_the_shared_contract(rule) -> None:
    problem = contract.PROBLEMS[rule.code]
    assert problem.name == rule.name
    assert "lint" in problem.checked_by


def test_rule_codes_are_unique_and_well_formed() -> None:
    codes = [rule.code for rule in RULES]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"RNN\d{3}", code) for code in codes)


def test_one_rule_per_module_named_after_it() -> None:
    for rule in RULES:
        module = rule.__module__.rsplit(".", 1)[1]
        slug = rule.name.replace("-", "_")
        assert module == f"{rule.code.lower()}_{slug}", f"{rule.code} lives in {module}"


def test_docs_rules_md_is_the_rendered_documentation() -> None:
    """docs/rules.md is generated: `rnn-lint rule --all > docs/rules.md` after changing a rule."""
    import contextlib
    import io
    from pathlib import Path

    from rnn_lint.cli import main

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(["rule", "--all"]) == 0
    rendered = buffer.getvalue()
    on_disk = (Path(__file__).resolve().parent.parent / "docs" / "rules.md").read_text(encoding="utf-8")
    assert on_disk == rendered, "docs/rules.md is stale: run `rnn-lint rule --all > docs/rules.md`"
