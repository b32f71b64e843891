"""Every fixture under fixtures/<CODE>/ is linted with every rule; the findings must be exactly
the lines marked ``# expect: CODE`` — no more (precision), no fewer (recall)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rnn_lint.engine import lint_source
from rnn_lint.registry import all_rules
from tests.fixture_expectations import describe, expectations

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CASES = sorted(FIXTURES.glob("*/**/*.py"))


@pytest.mark.parametrize("path", CASES, ids=[str(p.relative_to(FIXTURES)) for p in CASES])
def test_fixture_findings_match_expectations(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    findings = lint_source(source, str(path), all_rules())
    found = {(f.line, f.code) for f in findings}
    messages = {(f.line, f.code): f.message for f in findings}
    expected = expectations(source)
    unexpected, missed = found - expected, expected - found
    report = []
    if unexpected:
        report.append("flagged but not expected (false positives):\n" + describe(path, source, unexpected, messages))
    if missed:
        report.append("expected but not flagged (misses):\n" + describe(path, source, missed, messages))
    if report:
        pytest.fail("\n".join(report), pytrace=False)


@pytest.mark.parametrize("rule", [r for r in all_rules() if r.code != "RNN000"], ids=lambda r: r.code)
def test_every_rule_has_fixtures_with_findings_and_clean_code(rule) -> None:
    files = sorted((FIXTURES / rule.code).rglob("*.py"))
    assert files, f"no fixtures in fixtures/{rule.code}/"
    flagged = sum(1 for path in files for _, code in expectations(path.read_text()) if code == rule.code)
    assert flagged >= 3, f"fixtures/{rule.code} flag {rule.code} only {flagged} times"
    lines = sum(len(path.read_text().splitlines()) for path in files)
    assert lines >= 60, f"fixtures/{rule.code} have too little correct code around the findings"
