"""File discovery: default excludes, virtualenvs, .gitignore, --exclude / --extend-exclude,
explicit paths and --force-exclude."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli_helpers import write_tree

from rnn_lint.config import Settings
from rnn_lint.discover import GitIgnore, discover


@pytest.fixture(autouse=True)
def _inside(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def found(tmp_path: Path, paths=(".",), **options) -> list[str]:
    settings = options.pop("settings", None) or Settings(root=tmp_path)
    return [source.display for source in discover(list(paths), settings, **options)]


def ignored(lines: str, path: str, is_dir: bool = False) -> bool | None:
    return GitIgnore("/r", lines.strip().splitlines()).verdict("/r/" + path, is_dir)


@pytest.mark.parametrize(
    "patterns, path, is_dir, expected",
    [
        ("*.py", "a.py", False, True),
        ("*.py", "deep/er/a.py", False, True),  # no slash: any depth
        ("/top.py", "top.py", False, True),  # leading slash: anchored
        ("/top.py", "sub/top.py", False, None),
        ("sub/top.py", "sub/top.py", False, True),  # middle slash: anchored
        ("sub/top.py", "x/sub/top.py", False, None),
        ("build/", "build", True, True),  # trailing slash: directories only
        ("build/", "build", False, None),
        ("build/", "src/build", True, True),
        ("*.py\n!keep.py", "keep.py", False, False),  # negation: the last match wins
        ("!keep.py\n*.py", "keep.py", False, True),
        ("**/gen", "a/b/gen", True, True),
        ("**/gen", "gen", True, True),
        ("a/**/b.py", "a/b.py", False, True),
        ("a/**/b.py", "a/x/y/b.py", False, True),
        ("a/**", "a/x/y.py", False, True),
        ("a/**", "a", True, None),  # everything inside, not the folder itself
        ("a/*.py", "a/x/y.py", False, None),  # * does not cross /
        ("data?.py", "data1.py", False, True),
        ("data[0-9].py", "data7.py", False, True),
        ("data[!0-9].py", "data7.py", False, None),
        ("# comment\n\n\\#hash.py", "#hash.py", False, True),
        ("\\!bang.py", "!bang.py", False, True),
        ("trail.py   ", "trail.py", False, True),  # trailing spaces are dropped
        ("foo**bar", "fooXbar", False, True),
    ],
)
def test_gitignore_patterns(patterns, path, is_dir, expected):
    assert ignored(patterns, path, is_dir) is expected


def test_default_excludes_and_virtualenvs(tmp_path):
    write_tree(
        tmp_path,
        {
            "pkg/model.py": "",
            "pkg/__pycache__/model.py": "",
            "build/lib/model.py": "",
            "dist/x.py": "",
            ".git/hooks/x.py": "",
            ".venv/lib/x.py": "",
            "venv/lib/x.py": "",
            ".tox/py/x.py": "",
            ".nox/py/x.py": "",
            "node_modules/x.py": "",
            ".eggs/x.py": "",
            "pkg.egg-info/x.py": "",
            "myenv/pyvenv.cfg": "home = /usr\n",
            "myenv/lib/x.py": "",
            "notes.txt": "",
        },
    )
    assert found(tmp_path) == [os.path.join("pkg", "model.py")]


def test_gitignore_nested_negated_and_anchored(tmp_path):
    write_tree(
        tmp_path,
        {
            ".gitignore": "generated/\n/scratch.py\n*_pb2.py\n",
            "scratch.py": "",
            "sub/scratch.py": "",  # /scratch.py is anchored at the top
            "generated/x.py": "",
            "api_pb2.py": "",
            "sub/.gitignore": "!keep_pb2.py\nlocal.py\n",
            "sub/keep_pb2.py": "",
            "sub/drop_pb2.py": "",
            "sub/local.py": "",
            "local.py": "",  # the nested file only speaks for its own folder
        },
    )
    assert found(tmp_path) == ["local.py", os.path.join("sub", "keep_pb2.py"), os.path.join("sub", "scratch.py")]


def test_gitignore_of_parent_applies_when_linting_a_subfolder(tmp_path):
    write_tree(tmp_path, {".git/HEAD": "", ".gitignore": "*_old.py\n", "src/a.py": "", "src/a_old.py": ""})
    assert found(tmp_path, ["src"]) == [os.path.join("src", "a.py")]


def test_git_info_exclude(tmp_path):
    write_tree(tmp_path, {".git/info/exclude": "private.py\n", "private.py": "", "public.py": ""})
    assert found(tmp_path) == ["public.py"]


def test_exclude_replaces_defaults_and_extend_exclude_adds(tmp_path):
    write_tree(tmp_path, {"build/x.py": "", "legacy/old.py": "", "src/a.py": "", "src/gen/b.py": ""})
    assert found(tmp_path, settings=Settings(root=tmp_path, extend_exclude=["legacy"])) == [
        os.path.join("src", "a.py"),
        os.path.join("src", "gen", "b.py"),
    ]
    replaced = Settings(root=tmp_path, exclude=["src/gen"])  # anchored at the root: a path glob
    assert found(tmp_path, settings=replaced) == [
        os.path.join("build", "x.py"),
        os.path.join("legacy", "old.py"),
        os.path.join("src", "a.py"),
    ]
    assert found(tmp_path, settings=Settings(root=tmp_path, exclude=["*.py"])) == []


def test_named_paths_are_linted_even_if_excluded_unless_force_exclude(tmp_path):
    write_tree(
        tmp_path, {".gitignore": "ignored.py\n", "ignored.py": "", "build/x.py": "", "legacy/old.py": "", "script": ""}
    )
    settings = Settings(root=tmp_path, extend_exclude=["legacy"])
    named = ["ignored.py", "build/x.py", "legacy/old.py", "script", "build"]
    assert found(tmp_path, named, settings=settings) == [
        os.path.join("build", "x.py"),
        "ignored.py",
        os.path.join("legacy", "old.py"),
        "script",
    ]
    assert found(tmp_path, named, settings=settings, force_exclude=True) == ["script"]


def test_each_file_once_and_missing_files_kept_for_the_engine(tmp_path):
    write_tree(tmp_path, {"a.py": ""})
    assert found(tmp_path, [".", "a.py", "./a.py", "missing.py"]) == ["a.py", "missing.py"]


def test_symlinked_directories_are_not_followed(tmp_path):
    write_tree(tmp_path, {"src/a.py": ""})
    (tmp_path / "src" / "loop").symlink_to(tmp_path / "src", target_is_directory=True)
    assert found(tmp_path) == [os.path.join("src", "a.py")]


@pytest.mark.parametrize(
    ("path", "cwd"),
    [
        ("/r/a/b.py", "/r"),
        ("/r/a/b.py", "/r/a"),
        ("/r", "/r"),
        ("/r/a/b.py", "/"),
        ("/ra/b.py", "/r"),  # a sibling sharing the folder's name as a prefix: outside it
        ("/x/b.py", "/r/a"),
    ],
)
def test_displayed_paths_are_what_relpath_gives_inside_the_current_folder(path: str, cwd: str) -> None:
    from rnn_lint.discover import _display, _is_within

    expected = os.path.relpath(path, cwd) if _is_within(path, cwd) else path
    assert _display(path, cwd) == expected
