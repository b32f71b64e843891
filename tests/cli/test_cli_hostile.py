"""Hostile input at the command line (issue 9 items 2, 4, 7, 8, 9, 11, 12): never lose a byte,
never hang, never abort the run, never accept a configuration that is silently wrong."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys

import pytest
from cli_helpers import write_tree

from rnn_lint import atomic
from rnn_lint.discover import GitIgnore

pytestmark = pytest.mark.usefixtures("test_rules")

# --------------------------------------------------------------------------------------------
# --fix writes (items 2 and 4)
# --------------------------------------------------------------------------------------------


def test_a_failed_write_leaves_the_file_whole_and_the_run_goes_on(cli, tmp_path, monkeypatch):
    write_tree(tmp_path, {"a.py": "old_name = 1\n", "b.py": "old_name = 2\nprint(3)\n"})

    def disk_full(descriptor):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic.os, "fsync", disk_full)
    run = cli("--fix")
    assert (tmp_path / "a.py").read_text() == "old_name = 1\n"
    assert (tmp_path / "b.py").read_text() == "old_name = 2\nprint(3)\n"
    assert run.code == 1
    assert "a.py:1:1: RNN000 cannot write the fixes: No space left on device (the file is unchanged)" in run.out
    assert "b.py:1:1: RNN000 cannot write the fixes" in run.out and "b.py:2:1: TST101" in run.out
    assert [name for name in os.listdir(tmp_path) if name.endswith(".tmp")] == []


def test_a_read_only_file_is_a_finding_not_an_internal_error(cli, tmp_path):
    write_tree(tmp_path, {"a.py": "old_name = 1\n", "b.py": "old_name = 2\n"})
    (tmp_path / "a.py").chmod(0o444)
    run = cli("--fix")
    assert run.code == 1, run.err
    assert run.out.startswith(
        "a.py:1:1: RNN000 cannot write the fixes: the file is read-only (the file is unchanged)\n"
    )
    assert "a.py:1:1: TST201" in run.out
    assert (tmp_path / "a.py").read_text() == "old_name = 1\n"
    assert (tmp_path / "b.py").read_text() == "new_name = 2\n"


def test_fixes_do_not_write_through_a_symlink_out_of_the_tree(cli, tmp_path):
    outside = tmp_path / "outside"
    tree = tmp_path / "tree"
    write_tree(tmp_path, {"outside/target.py": "old_name = 1\n", "tree/inner.py": "old_name = 2\n"})
    (tree / "link.py").symlink_to(outside / "target.py")
    (tree / "inner_link.py").symlink_to(tree / "inner.py")
    run = cli("--fix", "tree")
    assert (outside / "target.py").read_text() == "old_name = 1\n"
    assert "tree/link.py:1:1: RNN000 cannot write the fixes: it is a symlink to" in run.out
    assert "outside the linted folders" in run.out
    # A link inside the tree is written through and stays a link.
    assert (tree / "inner.py").read_text() == "new_name = 2\n"
    assert (tree / "link.py").is_symlink() and (tree / "inner_link.py").is_symlink()


# --------------------------------------------------------------------------------------------
# Files that are not regular files (items 7 and 9)
# --------------------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_named_on_the_command_line_is_a_finding(cli, tmp_path):
    os.mkfifo(tmp_path / "pipe.py")
    write_tree(tmp_path, {"a.py": "print(1)\n"})
    run = cli("pipe.py", "a.py")
    assert run.code == 1
    assert "pipe.py:1:1: RNN000 not a regular file: it is a FIFO (named pipe)" in run.out
    assert "a.py:1:1: TST101" in run.out


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_as_config_is_a_usage_error(cli, tmp_path):
    os.mkfifo(tmp_path / "rnn-lint.toml")
    run = cli("--config", "rnn-lint.toml", ".")
    assert run.code == 2
    assert run.err.strip().endswith("cannot read configuration file: not a regular file: it is a FIFO (named pipe)")


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_an_unreadable_folder_is_a_finding(cli, tmp_path):
    write_tree(tmp_path, {"locked/a.py": "print(1)\n", "open/b.py": "print(2)\n"})
    (tmp_path / "locked").chmod(0)
    try:
        if os.access(tmp_path / "locked", os.R_OK):  # root reads anything: simulate it
            pytest.skip("running as root: permissions do not stop reading")
        run = cli(".")
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert run.code == 1
    assert "locked:1:1: RNN000 cannot read folder: Permission denied" in run.out


def test_an_unreadable_folder_is_a_finding_even_as_root(cli, tmp_path, monkeypatch):
    write_tree(tmp_path, {"locked/a.py": "print(1)\n", "open/b.py": "print(2)\n"})
    real_scandir = os.scandir

    def scandir(path="."):
        if os.path.basename(path) == "locked":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
        return real_scandir(path)

    real_open = os.open

    def open_(path, flags, *args):
        if os.path.basename(path) == "locked":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "open", open_)
    run = cli(".")
    assert run.code == 1
    assert "locked:1:1: RNN000 cannot read folder: Permission denied" in run.out
    assert "open/b.py:1:1: TST101" in run.out


# --------------------------------------------------------------------------------------------
# .gitignore character classes as git's wildmatch reads them (item 9)
# --------------------------------------------------------------------------------------------

NAMES = ["a", "b", "z", "m", "-", "]", "[", "\\", "^", "!", "A", "0", ":", "ab", "[abc", "&", "~"]

#: What git 2.39 (`git ls-files --others --ignored --exclude-standard`) ignores among NAMES for
#: each line, measured in a scratch repository (test_git_agrees re-measures it where git exists).
WILDMATCH = {
    "[z-a]": ["z"],
    "[a-\\]": [],
    "[a-\\]]": ["a"],
    "[!z-a]": ["!", "&", "-", "0", ":", "A", "[", "\\", "]", "^", "a", "b", "m", "~"],
    "[]a]": ["]", "a"],
    "[a-]": ["-", "a"],
    "[abc": [],
    "[[:alpha:]]": ["A", "a", "b", "m", "z"],
    "[[:foo:]]": [],
    "[a-c-e]": ["-", "a", "b"],
    "[\\]]": ["]"],
    "[b-a]": ["b"],
    "[&&]": ["&"],
    "[[]": ["["],
    "*[": [],
    "[^]": [],
}


def _ours(pattern: str, root: str) -> list[str]:
    ignore = GitIgnore(root, [pattern])
    return sorted(name for name in NAMES if ignore.verdict(os.path.join(root, name), False))


@pytest.mark.parametrize("pattern", sorted(WILDMATCH))
def test_gitignore_classes_match_what_git_ignores(pattern, tmp_path):
    assert _ours(pattern, str(tmp_path)) == sorted(WILDMATCH[pattern])


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_agrees(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    for name in NAMES:
        (tmp_path / name).write_text("")
    for pattern, expected in WILDMATCH.items():
        (tmp_path / ".gitignore").write_text(pattern + "\n")
        listed = subprocess.run(
            ["git", "-C", str(tmp_path), "ls-files", "--others", "--ignored", "--exclude-standard", "-z"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert sorted(filter(None, listed.split("\0"))) == sorted(expected), pattern


def test_a_reversed_range_in_gitignore_does_not_stop_the_run(cli, tmp_path):
    write_tree(tmp_path, {".gitignore": "[z-a].py\n[a-\\]\n", "z.py": "print(1)\n", "a.py": "print(2)\n"})
    (tmp_path / ".git").mkdir()
    run = cli(".")
    assert run.code == 1, run.err
    assert run.out.startswith("a.py:1:1: TST101")
    assert "z.py" not in run.out


# --------------------------------------------------------------------------------------------
# File names that are not UTF-8 (item 8)
# --------------------------------------------------------------------------------------------

BAD_NAME = os.fsdecode(b"caf\xe9.py")


@pytest.mark.skipif(sys.platform != "linux", reason="needs a file system that takes any bytes")
@pytest.mark.parametrize("format", ["text", "json", "github", "sarif"])
def test_a_name_that_is_not_utf8_is_shown_as_git_shows_it(cli, tmp_path, format):
    (tmp_path / BAD_NAME).write_text("print(1)\n")
    (tmp_path / "report.txt").write_text("the previous report\n")
    run = cli("--format", format, "-o", "report.txt", ".")
    assert run.code == 1, run.err
    report = (tmp_path / "report.txt").read_text(encoding="utf-8")
    if format == "sarif":
        uri = json.loads(report)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        assert uri["uri"] == "caf%E9.py"
    elif format == "json":
        assert json.loads(report)[0]["path"] == '"caf\\351.py"'
    else:
        assert '"caf\\351.py"' in report


def test_the_report_file_is_replaced_whole_or_not_at_all(cli, tmp_path, monkeypatch):
    write_tree(tmp_path, {"a.py": "print(1)\n", "report.txt": "the previous report\n"})

    def disk_full(descriptor):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic.os, "fsync", disk_full)
    run = cli("-o", "report.txt", ".")
    assert run.code == 2
    assert run.err == "rnn-lint: error: --output-file: cannot write report.txt: No space left on device\n"
    assert (tmp_path / "report.txt").read_text() == "the previous report\n"


@pytest.mark.skipif(sys.platform != "linux", reason="needs a file system that takes any bytes")
def test_an_ascii_stdout_gets_escapes_not_an_error(tmp_path):
    (tmp_path / BAD_NAME).write_text("print(1)\n")
    environment = {**os.environ, "PYTHONIOENCODING": "ascii"}
    run = subprocess.run(
        [sys.executable, "-m", "rnn_lint", "--isolated", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )
    assert run.returncode == 1, run.stderr
    assert run.stdout.startswith('"caf\\351.py":1:1: TST101')


# --------------------------------------------------------------------------------------------
# Configuration that would be silently wrong (items 11 and 12)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--select", "--extend-select", "--ignore"])
def test_an_empty_code_on_the_command_line_is_an_error(cli, tmp_path, option):
    write_tree(tmp_path, {"a.py": "print(1)\n"})
    run = cli(option, "", ".")
    assert run.code == 2
    assert (
        run.err == f"rnn-lint: error: {option}: empty rule code (give codes such as RNN101 or prefixes such as RNN1)\n"
    )


def test_an_empty_code_in_the_configuration_is_an_error(cli, tmp_path):
    write_tree(tmp_path, {"a.py": "print(1)\n", "rnn-lint.toml": 'select = [""]\n'})
    run = cli(".")
    assert run.code == 2
    assert "'select' holds an empty rule code" in run.err and len(run.err.splitlines()) == 1


@pytest.mark.parametrize("pattern", ["[", "m[.py", "[!"])
def test_a_broken_glob_in_the_configuration_is_an_error(cli, tmp_path, pattern):
    write_tree(tmp_path, {"a.py": "print(1)\n"})
    (tmp_path / "rnn-lint.toml").write_text(f"exclude = [{json.dumps(pattern)}]\n")
    run = cli(".")
    assert run.code == 2
    assert f"'exclude' pattern '{pattern}' is not a valid glob: unclosed character class" in run.err
    (tmp_path / "rnn-lint.toml").write_text(f'[per-file-ignores]\n{json.dumps(pattern)} = ["TST101"]\n')
    run = cli(".")
    assert run.code == 2 and "'per-file-ignores' pattern" in run.err and len(run.err.splitlines()) == 1


@pytest.mark.parametrize("option", ["--exclude", "--extend-exclude"])
def test_a_broken_glob_on_the_command_line_is_an_error(cli, tmp_path, option):
    run = cli(option, "m[.py", ".")
    assert run.code == 2
    assert run.err.startswith(f"rnn-lint: error: {option}: 'm[.py' is not a valid glob: unclosed character class")


def test_valid_classes_are_still_accepted(cli, tmp_path):
    write_tree(
        tmp_path, {"a.py": "print(1)\n", "b.py": "print(2)\n", "rnn-lint.toml": 'exclude = ["[]b].py", "[[]x"]\n'}
    )
    assert cli(".").out.startswith("a.py:1:1: TST101 print() called\nFound 1 error.")


def test_a_pyproject_with_a_byte_order_mark_is_read(cli, tmp_path):
    write_tree(tmp_path, {"a.py": "print(1)\nold_name\n"})
    (tmp_path / "pyproject.toml").write_bytes(b'\xef\xbb\xbf[tool.rnn-lint]\nselect = ["TST201"]\n')
    run = cli(".")
    assert (run.code, run.out) == (
        1,
        "a.py:2:1: TST201 old_name is deprecated\nFound 1 error.\n[*] 1 fixable with the `--fix` option.\n",
    )


def test_no_python_files_is_said_not_passed(cli, tmp_path):
    write_tree(tmp_path, {"notes.txt": "", "build/a.py": "print(1)\n", "skip/b.py": "", ".gitignore": "skip/\n"})
    (tmp_path / ".git").mkdir()
    run = cli(".")
    assert run.code == 0
    assert run.out == ""
    assert run.err == (
        "rnn-lint: warning: no Python files found under the given paths "
        "(left out: 1 excluded, 1 git-ignored, 2 not Python)\n"
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli("empty").err == "rnn-lint: warning: no Python files found under the given paths\n"


def test_files_without_findings_still_pass(cli, tmp_path):
    write_tree(tmp_path, {"a.py": "x = 1\n"})
    assert cli(".").out == "All checks passed!\n"


def test_a_file_is_read_whole_when_reads_come_back_short(tmp_path, monkeypatch) -> None:
    from rnn_lint import reading

    data = bytes(range(256)) * 40
    (tmp_path / "f.py").write_bytes(data)
    real_read = os.read
    monkeypatch.setattr(reading.os, "read", lambda descriptor, size: real_read(descriptor, min(size, 7)))
    assert reading.read_regular_file(tmp_path / "f.py") == data
    status, read = reading.read_with_status(tmp_path / "f.py")
    assert (status.st_size, read) == (len(data), data)


def test_python_dash_m_in_a_folder_whose_modules_shadow_the_standard_library(tmp_path):
    """``python -m rnn_lint`` run where a project keeps its own ``token.py`` (flair's embeddings)
    or ``inspect.py``: the linter imports the standard library's, never the project's."""
    (tmp_path / "token.py").write_text("raise RuntimeError('the project token.py was imported')\n")
    (tmp_path / "inspect.py").write_text("raise RuntimeError('the project inspect.py was imported')\n")
    (tmp_path / "model.py").write_text("import torch.nn as nn\nrnn = nn.GRU(8, 8, dropout=0.5)\n")
    run = subprocess.run(
        [sys.executable, "-m", "rnn_lint", "--isolated", "--no-cache", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1, run.stderr
    assert "model.py:2:" in run.stdout and "RNN301" in run.stdout
