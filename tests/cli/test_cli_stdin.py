"""``rnn-lint - --stdin-filename PATH``: the source comes from standard input (an editor's
buffer) and is linted as the file PATH would be; ``--fix`` writes the fixed source to stdout."""

from __future__ import annotations

import os
import subprocess
import sys

from cli_helpers import REPO, write_tree

from rnn_lint.cache import CACHE_DIR_NAME

BUGGY = "import torch.nn as nn\nrnn = nn.LSTM(8, 16, dropout=0.5)\n"
FIXED = "import torch.nn as nn\nrnn = nn.LSTM(8, 16)\n"


def stdin_run(cwd, data: str | bytes, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    payload = data.encode() if isinstance(data, str) else data
    return subprocess.run(
        [sys.executable, "-m", "rnn_lint", *args], cwd=cwd, env=env, input=payload, capture_output=True, check=False
    )


def test_the_buffer_is_linted_not_the_file_on_disk(tmp_path):
    write_tree(tmp_path, {"src/model.py": FIXED})  # on disk: correct; in the editor: the bug
    run = stdin_run(tmp_path, BUGGY, "-", "--stdin-filename", "src/model.py")
    assert run.returncode == 1
    assert run.stdout.decode().startswith("src/model.py:2:22: RNN301 ")
    assert (tmp_path / "src" / "model.py").read_text() == FIXED
    assert not (tmp_path / CACHE_DIR_NAME).exists()
    # The file need not exist; without a name the path shown is "-"; ruff's form works too.
    assert stdin_run(tmp_path, BUGGY, "-", "--stdin-filename", "new/unsaved.py").stdout.startswith(b"new/unsaved.py:")
    assert stdin_run(tmp_path, BUGGY, "-").stdout.startswith(b"-:2:22: RNN301")
    assert stdin_run(tmp_path, BUGGY, "--stdin-filename", "a.py").stdout.startswith(b"a.py:2:22: RNN301")
    assert stdin_run(tmp_path, FIXED, "-", "--stdin-filename", "a.py").returncode == 0


def test_the_named_files_configuration_applies(tmp_path):
    write_tree(
        tmp_path,
        {
            "pyproject.toml": """
                [tool.rnn-lint]
                extend-exclude = ["generated"]
                [tool.rnn-lint.per-file-ignores]
                "legacy/*" = ["RNN301"]
            """
        },
    )
    (tmp_path / "src").mkdir()
    assert stdin_run(tmp_path, BUGGY, "-", "--stdin-filename", "legacy/old.py").returncode == 0
    assert stdin_run(tmp_path, BUGGY, "-", "--stdin-filename", "src/new.py").returncode == 1
    # From a subfolder, the project's configuration and the path relative to here.
    sub = stdin_run(tmp_path / "src", BUGGY, "-", "--stdin-filename", "../legacy/old.py")
    assert sub.returncode == 0, sub.stdout
    # Excludes apply to a named file with --force-exclude only, as for files on the command line.
    assert stdin_run(tmp_path, BUGGY, "-", "--stdin-filename", "generated/m.py").returncode == 1
    excluded = stdin_run(tmp_path, BUGGY, "-", "--stdin-filename", "generated/m.py", "--force-exclude")
    assert excluded.returncode == 0 and b"All checks passed!" in excluded.stdout
    echoed = stdin_run(tmp_path, BUGGY, "-", "--stdin-filename", "generated/m.py", "--force-exclude", "--fix")
    assert echoed.returncode == 0 and echoed.stdout == BUGGY.encode()


def test_fix_writes_the_fixed_source_to_stdout_and_the_report_to_stderr(tmp_path):
    write_tree(tmp_path, {"model.py": BUGGY})
    run = stdin_run(tmp_path, BUGGY, "-", "--stdin-filename", "model.py", "--fix")
    assert run.returncode == 0
    assert run.stdout == FIXED.encode()
    assert run.stderr.decode() == "Found 1 error (1 fixed, 0 remaining).\n"
    assert (tmp_path / "model.py").read_text() == BUGGY  # the disk is the editor's business
    # Nothing to fix: the source comes back byte for byte, remaining findings are reported.
    untouched = "# -*- coding: latin-1 -*-\r\nname = 'caf\xe9'\r\n".encode("latin-1")
    same = stdin_run(tmp_path, untouched, "-", "--stdin-filename", "model.py", "--fix")
    assert same.returncode == 0 and same.stdout == untouched
    # The encoding and line endings of the input are kept in the fixed output.
    latin = ("# -*- coding: latin-1 -*-\r\n# caf\xe9\r\n" + BUGGY.replace("\n", "\r\n")).encode("latin-1")
    fixed = stdin_run(tmp_path, latin, "-", "--fix")
    assert fixed.stdout == ("# -*- coding: latin-1 -*-\r\n# caf\xe9\r\n" + FIXED.replace("\n", "\r\n")).encode(
        "latin-1"
    )
    # Unsafe fixes wait for --unsafe-fixes; what remains makes the exit status 1.
    json_report = stdin_run(tmp_path, BUGGY, "-", "--fix", "--ignore", "RNN301", "--format", "json")
    assert json_report.stdout == BUGGY.encode() and json_report.stderr.decode().strip() == "[]"


def test_diff_and_usage_errors(tmp_path):
    diff = stdin_run(tmp_path, BUGGY, "-", "--stdin-filename", "model.py", "--diff")
    assert diff.returncode == 1
    assert "-rnn = nn.LSTM(8, 16, dropout=0.5)\n+rnn = nn.LSTM(8, 16)\n" in diff.stdout.decode()
    mixed = stdin_run(tmp_path, BUGGY, "-", "other.py")
    assert mixed.returncode == 2 and b"cannot be combined" in mixed.stderr
    named = stdin_run(tmp_path, BUGGY, "other.py", "--stdin-filename", "model.py")
    assert named.returncode == 2 and b"give `-` as the path" in named.stderr


def test_a_notebook_on_stdin_is_fixed_to_stdout_as_the_file_would_be(tmp_path):
    notebook = REPO / "fixtures" / "notebooks" / "char_rnn.ipynb"
    write_tree(tmp_path, {"nb.ipynb": notebook.read_text()})
    fixed = stdin_run(tmp_path, notebook.read_bytes(), "-", "--stdin-filename", "nb.ipynb", "--fix", "--isolated")
    assert fixed.returncode == 1  # RNN201 remains
    run = stdin_run(tmp_path, b"", "nb.ipynb", "--fix", "--isolated", "--no-cache")
    assert run.returncode == 1
    assert fixed.stdout == (tmp_path / "nb.ipynb").read_bytes() != notebook.read_bytes()
    listed = stdin_run(tmp_path, notebook.read_bytes(), "-", "--stdin-filename", "nb.ipynb", "--isolated")
    assert "nb.ipynb:cell 5:" in listed.stdout.decode()
