"""The hook in .pre-commit-hooks.yaml, run by the real pre-commit on a temporary repository: a staged
file with a finding fails the commit and shows the finding; a correct one (and a bad file that the
configuration excludes) commits. pre-commit builds the hook's environment from a committed copy of
this working tree, installing libcst and pluggy from PyPI."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import REPO, run_command, write_tree

from rnn_lint.registry import all_rules

pytestmark = pytest.mark.slow


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def committed_copy_of_this_tree(target: Path) -> str:
    """Tracked and untracked-but-not-ignored files of the working tree, committed; the commit id."""
    listed = git(REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    git(target, "init", "-q")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "snapshot")
    return git(target, "rev-parse", "HEAD").strip()


def test_pre_commit_hook_blocks_a_commit_with_findings(tmp_path, monkeypatch):
    pytest.importorskip("pre_commit", reason="pre-commit is in the test extra (pip install -e '.[test]')")
    for key, value in {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
        "PRE_COMMIT_HOME": str(tmp_path / "cache"),
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("RNN_LINT_PLUGINS", raising=False)
    # Whatever built-in rules exist: the first one whose documented example is flaggable code.
    rule = next(r for r in all_rules() if r.code != "RNN000") if len(all_rules()) > 1 else all_rules()[0]
    flagged, correct = rule.examples()

    hook_repo = tmp_path / "hook-repo"
    hook_repo.mkdir()
    rev = committed_copy_of_this_tree(hook_repo)
    project = write_tree(
        tmp_path / "project",
        {
            ".pre-commit-config.yaml": (
                f"repos:\n  - repo: {hook_repo}\n    rev: {rev}\n    hooks:\n      - id: rnn-lint\n"
            ),
            "pyproject.toml": '[tool.rnn-lint]\nextend-exclude = ["legacy"]\n',
            "model.py": flagged,
        },
    )
    git(project, "init", "-q")
    pre_commit = [sys.executable, "-m", "pre_commit"]
    assert run_command([*pre_commit, "install"], project).code == 0
    git(project, "add", "-A")

    blocked = run_command(["git", "commit", "-m", "add a model"], project, timeout=600)
    shown = blocked.out + blocked.err  # git shows the hook's output on stderr
    assert blocked.code != 0, shown
    assert "rnn-lint....." in shown and "Failed" in shown and "model.py:" in shown and f" {rule.code} " in shown, shown

    (project / "model.py").write_text(correct)
    write_tree(project, {"legacy/old_model.py": flagged})  # staged, but excluded by the configuration
    git(project, "add", "-A")
    passed = run_command(["git", "commit", "-m", "add a correct model"], project, timeout=600)
    shown = passed.out + passed.err
    assert passed.code == 0, shown
    assert "rnn-lint....." in shown and "Passed" in shown, shown
    assert "legacy/old_model.py" in git(project, "ls-files")
