"""--fix, --unsafe-fixes and --diff with the test-only TST rules (built-in rules offer no fix yet)."""

from __future__ import annotations

import pytest
from cli_helpers import write_tree

from rnn_lint.fixer import apply_fixes
from rnn_lint.rule import Edit, Fix

pytestmark = pytest.mark.usefixtures("test_rules")

SOURCE = "old_name = 1\nrisky_name = old_name\nprint(older_name)\n"


def test_fix_applies_safe_fixes_loops_and_reports(cli, tmp_path):
    write_tree(tmp_path, {"a.py": SOURCE})
    run = cli("--fix")
    # older_name -> old_name -> new_name takes two passes; the unsafe fix stays offered.
    assert (tmp_path / "a.py").read_text() == "new_name = 1\nrisky_name = new_name\nprint(new_name)\n"
    assert run.out == (
        "a.py:2:1: TST203 risky_name changes behaviour\n"
        "a.py:3:1: TST101 print() called\n"
        "Found 6 errors (4 fixed, 2 remaining).\n"
        "No fixes available (1 hidden fix can be enabled with the `--unsafe-fixes` option).\n"
    )
    assert run.code == 1


def test_unsafe_fixes_and_exit_status_reflects_what_remains(cli, tmp_path):
    write_tree(tmp_path, {"a.py": SOURCE})
    run = cli("--fix", "--unsafe-fixes", "--ignore", "TST101")
    assert (tmp_path / "a.py").read_text() == "new_name = 1\nsafe_name = new_name\nprint(new_name)\n"
    assert (run.code, run.out) == (0, "Found 5 errors (5 fixed, 0 remaining).\n")
    assert cli("--fix").out == "a.py:3:1: TST101 print() called\nFound 1 error.\n"


def test_overlapping_fixes_take_turns(cli, tmp_path):
    write_tree(tmp_path, {"a.py": "x = wrap(old_name)\ny = wrap(wrap(1))\n"})
    run = cli("--fix", "--select", "TST2")
    assert (tmp_path / "a.py").read_text() == "x = new_name\ny = 1\n"
    assert run.code == 0 and run.out.startswith("Found 4 errors (4 fixed, 0 remaining).")


def test_diff_prints_without_writing(cli, tmp_path):
    write_tree(tmp_path, {"a.py": SOURCE, "clean.py": "x = 1\n"})
    run = cli("--diff")
    assert (tmp_path / "a.py").read_text() == SOURCE
    assert run.out == (
        "--- a.py\n+++ a.py\n@@ -1,3 +1,3 @@\n"
        "-old_name = 1\n-risky_name = old_name\n-print(older_name)\n"
        "+new_name = 1\n+risky_name = new_name\n+print(new_name)\n"
    )
    assert run.err == "Would fix 4 errors.\n" and run.code == 1
    nothing = cli("--diff", "clean.py")
    assert (nothing.code, nothing.out, nothing.err) == (0, "", "No errors would be fixed.\n")


def test_fix_keeps_encoding_newlines_and_unicode_columns(cli, tmp_path):
    path = tmp_path / "a.py"
    path.write_bytes("# -*- coding: latin-1 -*-\r\ns = 'é€'[:1]; old_name = 1\r\n".replace("€", "e").encode("latin-1"))
    assert cli("--fix", "--select", "TST201").code == 0
    assert path.read_bytes() == "# -*- coding: latin-1 -*-\r\ns = 'ée'[:1]; new_name = 1\r\n".encode("latin-1")


def test_a_fix_that_breaks_the_syntax_is_not_applied(cli, tmp_path):
    write_tree(tmp_path, {"a.py": "break_me = old_name\n"})
    run = cli("--fix", "--select", "TST2")
    assert (tmp_path / "a.py").read_text() == "break_me = old_name\n"
    assert "rnn-lint: warning: fixes for TST201, TST205 would make a.py unparsable; they were not applied" in run.err
    assert run.code == 1 and "Found 2 errors." in run.out


def test_apply_fixes_edits_bottom_up_across_lines():
    source = "a = 1\nb = (2,\n     3)\nc = 4\n"
    fixes = [
        Fix("m", "safe", (Edit(2, 5, 3, 8, "5"),)),  # a multi-line span
        Fix("m", "safe", (Edit(1, 1, 1, 2, "x"), Edit(4, 5, 4, 6, "9"))),  # two edits in one fix
    ]
    assert apply_fixes(source, fixes) == "x = 1\nb = 5\nc = 9\n"
