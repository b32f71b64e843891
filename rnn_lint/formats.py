"""Output formats: ``text``, ``json``, ``github`` and ``sarif``, each a function of the findings.

Findings arrive sorted (path, line, column, code). Summaries ("Found 3 errors.") are the CLI's
business: they belong to the text format only and depend on what ``--fix`` did.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import quote

from rnn_lint import __version__
from rnn_lint.rule import Finding, Fix, Rule

FORMATS = ("text", "json", "github", "sarif")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def render(name: str, findings: Sequence[Finding], rules: Sequence[type[Rule]]) -> str:
    """The report in format ``name``; ``rules`` are the rules that ran (SARIF lists them)."""
    if name == "sarif":
        return sarif(findings, rules)
    return {"text": text, "json": to_json, "github": github}[name](findings)


def text(findings: Iterable[Finding]) -> str:
    return "".join(f"{where(f)}: {f.code} {f.message}\n" for f in findings)


def where(finding: Finding) -> str:
    """``path:line:col``, or ``path:cell N:line:col`` in a notebook (as ruff writes it)."""
    cell = f"cell {finding.cell.number}:" if finding.cell else ""
    return f"{printable_path(finding.path)}:{cell}{finding.line}:{finding.col}"


def printable_path(path: str) -> str:
    """``path`` as git shows a file name it cannot print as is: a name holding bytes that are not
    UTF-8 (which Python keeps as surrogate escapes) or control characters is put in double quotes,
    with those bytes as octal escapes (``"caf\\351.py"``); any other name is unchanged."""
    if path.isprintable() and not any("\udc80" <= char <= "\udcff" for char in path):
        return path
    out = []
    for char in path:
        if char in '"\\':
            out.append("\\" + char)
        elif "\udc80" <= char <= "\udcff":
            out.append(f"\\{ord(char) - 0xDC00:03o}")
        elif char.isprintable():
            out.append(char)
        else:
            escaped = {"\a": "a", "\b": "b", "\t": "t", "\n": "n", "\v": "v", "\f": "f", "\r": "r"}.get(char)
            encoded = char.encode("utf-8", "surrogateescape")
            out.append("\\" + escaped if escaped else "".join(f"\\{byte:03o}" for byte in encoded))
    return '"' + "".join(out) + '"'


def to_json(findings: Iterable[Finding]) -> str:
    return (
        json.dumps([finding.to_dict() | {"path": printable_path(finding.path)} for finding in findings], indent=2)
        + "\n"
    )


# --------------------------------------------------------------------------------------------
# GitHub Actions workflow commands
# --------------------------------------------------------------------------------------------


def github(findings: Iterable[Finding]) -> str:
    """One ``::error`` annotation per finding; GitHub shows it on the diff line.

    In a notebook the annotation goes on the line of the ``.ipynb`` file that holds the reported
    source line (columns of the JSON text would mean nothing), and the message starts with the
    cell position."""
    lines = []
    for f in findings:
        properties: dict[str, object] = {"file": printable_path(f.path)}
        if f.cell is None:
            properties |= {"line": f.line, "col": f.col, "endLine": f.end_line, "endColumn": f.end_col}
        else:
            properties |= {"line": f.cell.file_line, "endLine": f.cell.file_end_line}
        properties["title"] = f.code
        joined = ",".join(f"{key}={_escape_property(str(value))}" for key, value in properties.items())
        lines.append(f"::error {joined}::{_escape_data(_cell_prefix(f) + f.message)}\n")
    return "".join(lines)


def _cell_prefix(finding: Finding) -> str:
    return f"cell {finding.cell.number}:{finding.line}:{finding.col}: " if finding.cell else ""


def _escape_data(value: str) -> str:
    # GitHub's workflow-command escaping (toolkit's escapeData): % first, then line breaks.
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


# --------------------------------------------------------------------------------------------
# SARIF 2.1.0 (GitHub code scanning, IDEs)
# --------------------------------------------------------------------------------------------


def sarif(findings: Sequence[Finding], rules: Sequence[type[Rule]], cwd: str | None = None) -> str:
    """A SARIF 2.1.0 log with one run. Paths relative to ``cwd`` (default: the current
    directory) are given relative to the ``%SRCROOT%`` base, which is that directory."""
    cwd = cwd or os.getcwd()
    by_code = {rule.code: rule for rule in rules}
    reported = sorted(by_code.values(), key=lambda rule: rule.code)
    index = {rule.code: i for i, rule in enumerate(reported)}
    driver = {"name": "rnn-lint", "version": __version__, "semanticVersion": __version__}
    if _docs_url():
        driver["informationUri"] = _docs_url()
    driver["rules"] = [_rule_descriptor(rule) for rule in reported]
    run = {
        "tool": {"driver": driver},
        # Rule positions count characters (libcst), not UTF-16 units (SARIF's default).
        "columnKind": "unicodeCodePoints",
        "originalUriBaseIds": {"%SRCROOT%": {"uri": Path(cwd).as_uri() + "/"}},
        "results": [_result(finding, index) for finding in findings],
    }
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2) + "\n"


def _rule_descriptor(rule: type[Rule]) -> dict:
    documentation = rule.documentation()
    descriptor = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.message},
        "fullDescription": {"text": documentation, "markdown": documentation},
        "help": {"text": documentation, "markdown": documentation},
        "defaultConfiguration": {"level": "error"},
        "properties": {"fixable": rule.fix_applicability is not None},
    }
    help_uri = rule_url(rule)
    if help_uri:
        descriptor["helpUri"] = help_uri
    return descriptor


def _result(finding: Finding, index: dict[str, int]) -> dict:
    location = _artifact_location(finding.path)
    if finding.cell is None:
        region = _region(finding.line, finding.col, finding.end_line, finding.end_col)
    else:  # the lines of the .ipynb file; where in the cell goes in the message and properties
        region = {"startLine": finding.cell.file_line, "endLine": finding.cell.file_end_line}
    result = {
        "ruleId": finding.code,
        "level": "error",
        "message": {"text": _cell_prefix(finding) + finding.message},
        "locations": [{"physicalLocation": {"artifactLocation": location, "region": region}}],
    }
    if finding.code in index:
        result["ruleIndex"] = index[finding.code]
    if finding.cell is not None:
        result["properties"] = {
            "cell": finding.cell.number,
            "cellRegion": _region(finding.line, finding.col, finding.end_line, finding.end_col),
        }
    elif finding.fix is not None:  # a notebook's edits are in its cells, not in the file's text
        result["fixes"] = [_fix(finding.fix, location)]
    return result


def _fix(fix: Fix, location: dict) -> dict:
    replacements = [
        {"deletedRegion": _region(e.line, e.col, e.end_line, e.end_col), "insertedContent": {"text": e.content}}
        for e in fix.edits
    ]
    return {
        "description": {"text": f"{fix.message} ({fix.applicability})"},
        "artifactChanges": [{"artifactLocation": location, "replacements": replacements}],
    }


def _region(line: int, col: int, end_line: int, end_col: int) -> dict:
    return {"startLine": line, "startColumn": col, "endLine": end_line, "endColumn": end_col}


def _artifact_location(path: str) -> dict:
    if os.path.isabs(path):  # a file outside the current directory
        return {"uri": Path(path).as_uri()}
    # A name that is not UTF-8 is percent-encoded byte by byte, as file URIs are.
    return {"uri": quote(os.fsencode(Path(path).as_posix())), "uriBaseId": "%SRCROOT%"}


# --------------------------------------------------------------------------------------------
# Where a rule's documentation lives
# --------------------------------------------------------------------------------------------


def _docs_url() -> str | None:
    """The ``Documentation`` (else ``Homepage``) URL in rnn-lint's package metadata
    (``[project.urls]``), or None when the project declares none."""
    from importlib import metadata  # 20 ms, for the formats that link rules only

    try:
        urls = metadata.metadata("rnn-lint").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return None
    labelled = dict(entry.split(",", 1) for entry in urls if "," in entry)
    labelled = {label.strip().lower(): url.strip() for label, url in labelled.items()}
    return labelled.get("documentation") or labelled.get("homepage")


def rule_url(rule: type[Rule]) -> str | None:
    """The page of a built-in rule in rnn-lint's documentation (``<docs>/rules/CODE``), when the
    package metadata names the documentation."""
    base = _docs_url()
    if base is None or not rule.__module__.startswith("rnn_lint."):
        return None
    return f"{base.rstrip('/')}/rules/{rule.code}"


def statistics(findings: Sequence[Finding]) -> list[tuple[str, str, int]]:
    """(code, rule name, count) per code, most frequent first, then by code."""
    counts = Counter(finding.code for finding in findings)
    names = {finding.code: finding.name for finding in findings}
    return [(code, names[code], counts[code]) for code in sorted(counts, key=lambda code: (-counts[code], code))]
