"""[tool.rnn-lint] / rnn-lint.toml: where it is found, what it may hold, how errors read, and how
command-line options override it."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import write_tree

from rnn_lint.config import DEFAULT_EXCLUDES, ConfigError, Settings, load_settings


def test_no_configuration_gives_defaults_rooted_at_start(tmp_path):
    settings = load_settings(tmp_path)
    assert settings == Settings(root=tmp_path)
    assert settings.select is None and settings.exclude == list(DEFAULT_EXCLUDES) and settings.config_path is None


def test_nearest_pyproject_with_the_table_wins(tmp_path):
    write_tree(
        tmp_path,
        {
            "pyproject.toml": '[tool.rnn-lint]\nignore = ["RNN000"]\n',
            "pkg/pyproject.toml": "[project]\nname = 'pkg'\n",  # no table: keep looking upward
            "pkg/sub/x.py": "",
        },
    )
    settings = load_settings(tmp_path / "pkg" / "sub")
    assert settings.config_path == tmp_path / "pyproject.toml"
    assert settings.root == tmp_path and settings.ignore == ["RNN000"]


def test_unrelated_broken_pyproject_is_skipped(tmp_path):
    write_tree(
        tmp_path, {"pyproject.toml": '[tool.rnn-lint]\nignore = ["RNN000"]\n', "pkg/pyproject.toml": "[project\n"}
    )
    assert load_settings(tmp_path / "pkg").config_path == tmp_path / "pyproject.toml"


@pytest.mark.parametrize("name", ["rnn-lint.toml", ".rnn-lint.toml"])
def test_standalone_file_with_top_level_keys(tmp_path, name):
    write_tree(
        tmp_path,
        {
            name: 'extend-exclude = ["legacy"]\n[per-file-ignores]\n"tests/*" = ["RNN"]\n',
            "pyproject.toml": "[tool.rnn-lint]\n",
        },
    )
    settings = load_settings(tmp_path)
    assert settings.config_path == tmp_path / name  # it comes before pyproject.toml in a folder
    assert settings.extend_exclude == ["legacy"] and settings.per_file_ignores == {"tests/*": ["RNN"]}


def test_config_option_and_isolated(tmp_path):
    write_tree(
        tmp_path,
        {"pyproject.toml": '[tool.rnn-lint]\nselect = ["RNN0"]\n', "conf/strict.toml": 'ignore = ["RNN000"]\n'},
    )
    chosen = load_settings(tmp_path, config_file=tmp_path / "conf" / "strict.toml")
    assert chosen.ignore == ["RNN000"] and chosen.select is None and chosen.root == tmp_path / "conf"
    assert load_settings(tmp_path, isolated=True) == Settings(root=tmp_path)


@pytest.mark.parametrize(
    "text, message",
    [
        ('[tool.rnn-lint]\nselct = ["RNN"]\n', "unknown key 'selct' (did you mean 'select'?)"),
        ('[tool.rnn-lint]\nextend_select = ["RNN"]\n', "unknown key 'extend_select' (did you mean 'extend-select'?)"),
        ('[tool.rnn-lint]\nselect = "RNN1"\n', "'select' must be a list of strings, not a string"),
        ("[tool.rnn-lint]\nignore = [1]\n", "'ignore' must be a list of strings, but holds an integer (1)"),
        ('[tool.rnn-lint]\nper-file-ignores = ["x"]\n', "'per-file-ignores' must be a table"),
        (
            '[tool.rnn-lint.per-file-ignores]\n"x.py" = "RNN000"\n',
            "'per-file-ignores' entry 'x.py' must be a list of strings",
        ),
        ('[tool.rnn-lint]\nselect = ["RNN9"]\n', "'select' names unknown rule code 'RNN9'"),
        (
            '[tool.rnn-lint.per-file-ignores]\n"x.py" = ["NOPE1"]\n',
            "'per-file-ignores' names unknown rule code 'NOPE1'",
        ),
        ("[tool.rnn-lint]\nselect = [\n", "invalid TOML"),
        ("[tool]\nrnn-lint = 3\n", "[tool.rnn-lint] must be a table"),
    ],
)
def test_bad_configuration_is_a_one_line_error_naming_the_file(tmp_path, text, message):
    write_tree(tmp_path, {"pyproject.toml": text})
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path)
    assert message in str(caught.value)
    assert str(tmp_path / "pyproject.toml") in str(caught.value)
    assert "\n" not in str(caught.value)


def test_config_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="cannot read configuration file"):
        load_settings(tmp_path, config_file=tmp_path / "missing.toml")
    write_tree(tmp_path, {"pyproject.toml": "[project]\nname = 'x'\n"})
    with pytest.raises(ConfigError, match=r"has no \[tool.rnn-lint\] table"):
        load_settings(tmp_path, config_file=tmp_path / "pyproject.toml")


def test_command_line_overrides():
    file = Settings(
        select=["RNN1"],
        ignore=["RNN101", "RNN2"],
        extend_select=["RNN3"],
        exclude=["a"],
        extend_exclude=["b"],
        root=Path("/p"),
    )
    fresh = file.with_overrides(select=["RNN2"], ignore=["RNN201"])
    assert (fresh.select, fresh.ignore, fresh.extend_select) == (["RNN2"], ["RNN201"], [])
    added = file.with_overrides(ignore=["RNN102"], extend_select=["rnn101"], exclude=["c"], extend_exclude=["d"])
    assert added.select == ["RNN1"] and added.extend_select == ["RNN3", "rnn101"]
    assert added.ignore == ["RNN2", "RNN102"]  # the exact code asked for again is on again
    assert (added.exclude, added.extend_exclude, added.root) == (["c"], ["b", "d"], Path("/p"))
    assert file.with_overrides() == file
