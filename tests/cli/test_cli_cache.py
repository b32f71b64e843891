"""The result cache: a warm run answers exactly what a cold one does, a change is always seen,
fixes are never served from the cache, and concurrent or killed runs leave a usable cache."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from cli_helpers import REPO, write_tree

from rnn_lint import engine, fixer, result_cache, runner
from rnn_lint.cache import CACHE_DIR_NAME
from rnn_lint.config import Settings

FIXTURES = REPO / "fixtures"


def _refuse_to_lint(monkeypatch) -> None:
    """From here on, linting any file fails the test: what a run reports must come from the cache."""

    def refuse(*args, **kwargs):
        raise AssertionError("a file was linted although its cached result was valid")

    monkeypatch.setattr(engine, "lint_file", refuse)
    monkeypatch.setattr(fixer, "fix_file", refuse)


@pytest.fixture
def fixture_tree(tmp_path):
    """A copy of every fixture, so the cache lives in tmp_path and files can be edited."""
    shutil.copytree(FIXTURES, tmp_path / "fixtures")
    return tmp_path


def test_no_finding_changes_on_any_fixture_cold_or_warm(cli, fixture_tree, monkeypatch):
    uncached = cli("fixtures", "--format", "json", "--no-cache")
    uncached_text = cli("fixtures", "--no-cache").out
    assert not (fixture_tree / CACHE_DIR_NAME).exists()
    cold = cli("fixtures", "--format", "json")
    assert (fixture_tree / CACHE_DIR_NAME / "CACHEDIR.TAG").is_file()
    _refuse_to_lint(monkeypatch)
    warm = cli("fixtures", "--format", "json")
    warm_parallel = cli("fixtures", "--format", "json", "--jobs", "2", "--unsafe-fixes")
    assert uncached.code == cold.code == warm.code == 1
    assert uncached.out == cold.out == warm.out and len(json.loads(warm.out)) > 30
    assert warm_parallel.out == warm.out  # fixes included, positions and all
    # The summary counts fixes from cached findings as from fresh ones.
    assert cli("fixtures").out == uncached_text


def test_a_changed_file_is_linted_again_even_with_its_old_size_and_mtime(cli, tmp_path):
    write_tree(tmp_path, {"m.py": "import torch.nn as nn\nrnn = nn.LSTM(8, 16, dropout=0.5)\n"})
    first = cli("--format", "json")
    assert [finding["code"] for finding in json.loads(first.out)] == ["RNN301"]
    # Same size, same mtime (as a tool restoring timestamps would leave it): the hash tells.
    status = os.stat(tmp_path / "m.py")
    (tmp_path / "m.py").write_text("import torch.nn as nn\nrnn = nn.LSTM(8, 16, dropout=0.0)\n")
    os.utime(tmp_path / "m.py", ns=(status.st_atime_ns, status.st_mtime_ns))
    assert os.stat(tmp_path / "m.py").st_size == status.st_size
    assert cli("--format", "json").out.strip() == "[]"


def test_old_files_take_the_fast_path_and_recently_written_ones_are_hashed(tmp_path, monkeypatch):
    # a.py is analysed; b.py is settled by the text pre-filter (it mentions no recurrent module)
    write_tree(tmp_path, {"a.py": "import torch.nn as nn\nrnn = nn.LSTM(8, 16)\n", "b.py": "y = 2\n"})
    settings = Settings(root=tmp_path)
    cache_dir = tmp_path / CACHE_DIR_NAME
    hashed = []
    real = result_cache.read_stamped

    def spy(path, hashed_bytes=True, **options):
        hashed.append((os.path.basename(path), options.get("hashed", hashed_bytes)))
        return real(path, **options)

    monkeypatch.setattr(result_cache, "read_stamped", spy)  # the cache's check of a file
    monkeypatch.setattr(runner, "read_stamped", spy)  # a file read to be linted
    runner.lint_paths([tmp_path], settings, cache_dir=cache_dir, jobs=1)
    # Each read once: b.py to be settled (no hash: checking it later would cost what settling it
    # again costs), a.py to be settled and then linted.
    assert sorted(hashed) == [("a.py", False), ("a.py", True), ("b.py", False)]
    _refuse_to_lint(monkeypatch)
    hashed.clear()
    runner.lint_paths([tmp_path], settings, cache_dir=cache_dir, jobs=1)
    # Written a moment ago: the timestamps could miss a write in the same tick, so the hash decides
    # for a.py; b.py, recorded without a hash, is settled again.
    assert sorted(hashed) == [("a.py", True), ("b.py", False)]
    monkeypatch.setattr(result_cache, "RACY_SECONDS", 0.0)
    hashed.clear()
    time.sleep(0.01)
    runner.lint_paths([tmp_path], settings, cache_dir=cache_dir, jobs=1)  # old enough now: recorded as such
    hashed.clear()
    runner.lint_paths([tmp_path], settings, cache_dir=cache_dir, jobs=1)
    assert hashed == []  # one stat each


def test_settings_and_version_are_part_of_the_key(cli, tmp_path, monkeypatch):
    write_tree(tmp_path, {"m.py": "import torch.nn as nn\nrnn = nn.LSTM(8, 16, dropout=0.5)\n"})
    assert cli("--format", "json").code == 1
    assert cli("--format", "json", "--ignore", "RNN301").code == 0
    assert cli("--format", "json").code == 1
    settings = Settings(root=tmp_path)
    cache_dir = tmp_path / CACHE_DIR_NAME
    key = runner._open_cache(cache_dir, settings).key
    assert result_cache.ResultCache.open(cache_dir, settings, runner.all_rules(), cross_file_digest="x").key != key
    monkeypatch.setattr(result_cache, "__version__", "99.0")
    assert runner._open_cache(cache_dir, settings).key != key
    # An index written by another version, found under this version's key, is not trusted.
    monkeypatch.setattr(result_cache, "tool_fingerprint", lambda rules: "same")
    cache = runner._open_cache(cache_dir, settings)
    cache.store.store(result_cache.NAMESPACE, cache.key, {"version": "0.0.1", "files": {str(tmp_path / "m.py"): []}})
    assert runner._open_cache(cache_dir, settings).entries == {}


def test_plain_and_isolated_runs_keep_their_own_results(cli, tmp_path, monkeypatch):
    """Each keeps an index of its own: switching between a plain run and --isolated makes
    neither cold again (before, each rewrote the other's entries)."""
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "",
            "net.py": "import torch.nn as nn\n\nclass Net(nn.Module):\n    def __init__(self, n_layers):\n"
            "        super().__init__()\n        self.rnn = nn.GRU(8, 16, n_layers, dropout=0.5)\n",
            "train.py": "from net import Net\n\nmodel = Net(1)\n",
        },
    )
    plain = cli("--format", "json", cwd=tmp_path)
    isolated = cli("--format", "json", "--isolated", cwd=tmp_path)
    assert plain.out != isolated.out  # the project says n_layers=1: RNN301
    _refuse_to_lint(monkeypatch)
    assert cli("--format", "json", cwd=tmp_path).out == plain.out
    assert cli("--format", "json", "--isolated", cwd=tmp_path).out == isolated.out


def test_what_the_project_tells_a_file_is_part_of_its_entry(cli, tmp_path, monkeypatch):
    """decoder.py's finding depends on train.py (the only construction site): a new site in
    another file changes it (the sites disagree: only train.py's construction is named), although
    decoder.py itself did not change."""
    project = tmp_path / "seq2seq"
    shutil.copytree(
        REPO / "fixtures" / "projects" / "seq2seq", project, ignore=shutil.ignore_patterns(".rnn_lint_cache")
    )
    decoder = "seq2seq/models/decoder.py"
    first = cli(decoder, "--format", "json", "--select", "RNN301", cwd=project)
    assert [(f["path"], f["line"]) for f in json.loads(first.out)] == [(decoder, 9)]
    (project / "serve.py").write_text("from seq2seq.models import Decoder\n\nmodel = Decoder(64, 100, n_layers=2)\n")
    second = json.loads(cli(decoder, "--format", "json", "--select", "RNN301", cwd=project).out)
    assert [(f["path"], f["line"]) for f in second] == [(decoder, 9)]
    assert second[0]["message"] != json.loads(first.out)[0]["message"]
    assert second[0]["message"].startswith("dropout does nothing in the Decoder built in train.py:")
    (project / "serve.py").unlink()
    assert cli(decoder, "--format", "json", "--select", "RNN301", cwd=project).out == first.out
    _refuse_to_lint(monkeypatch)  # nothing changed since: served
    assert cli(decoder, "--format", "json", "--select", "RNN301", cwd=project).out == first.out


def test_editing_a_rule_module_invalidates_the_cache(tmp_path):
    module = tmp_path / "my_rules.py"
    module.write_text("# v1\n")
    sys.path.insert(0, str(tmp_path))
    try:
        import my_rules  # noqa: F401

        class Local(runner.Rule):
            code, name, message = "ZZZ100", "local", "local"

        Local.__module__ = "my_rules"
        before = result_cache.tool_fingerprint([Local])
        module.write_text("# version 2\n")
        assert result_cache.tool_fingerprint([Local]) != before
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("my_rules", None)


def test_a_corrupt_or_half_written_cache_is_ignored_and_replaced(cli, fixture_tree):
    expected = cli("fixtures", "--format", "json", "--no-cache").out
    cli("fixtures", "--format", "json")
    for index in (fixture_tree / CACHE_DIR_NAME).rglob("*.json"):
        data = index.read_bytes()
        index.write_bytes(data[: len(data) // 2])  # as if the disk had lost the end of it
        (index.parent / f".{index.name}.abc.tmp").write_bytes(data[:100])  # a killed writer's leftover
    assert cli("fixtures", "--format", "json").out == expected
    assert cli("fixtures", "--format", "json").out == expected
    for index in (fixture_tree / CACHE_DIR_NAME).rglob("*.json"):
        json.loads(index.read_bytes())  # rewritten whole


def _subprocess_env(tmp_path):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def _big_tree(root, copies: int):
    for copy in range(copies):
        shutil.copytree(FIXTURES, root / "tree" / f"copy{copy}")
    return root / "tree"


#: Runs rnn-lint and kills it (SIGKILL, no clean-up) the moment it is about to make its atomic
#: write of the cache index visible: the temporary file is complete, the rename not done.
_KILLED_WHILE_WRITING = """
import os, signal, sys
import rnn_lint.atomic
from rnn_lint.cli import main
rnn_lint.atomic.os.replace = lambda *args: os.kill(os.getpid(), signal.SIGKILL)
sys.exit(main(sys.argv[1:]))
"""


def test_killed_runs_leave_a_usable_cache(cli, tmp_path):
    tree = _big_tree(tmp_path, 1)
    env = _subprocess_env(tmp_path)
    arguments = ["--format", "json", "--isolated", "--jobs", "2", str(tree)]
    edited = tree / "copy0" / "RNN301" / sorted(os.listdir(tree / "copy0" / "RNN301"))[0]

    def check_a_run_after_the_kill() -> None:
        expected = cli(*arguments, "--no-cache")
        assert cli(*arguments).out == expected.out and json.loads(expected.out)

    # Killed while writing the first index: there is none, only a stray temporary file.
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_WHILE_WRITING, *arguments], cwd=tmp_path, env=env, capture_output=True
    )
    assert killed.returncode == -signal.SIGKILL
    assert list((tmp_path / CACHE_DIR_NAME).rglob("*.json")) == []
    check_a_run_after_the_kill()
    # Killed while replacing an index, after a file changed: the previous index stays, and the
    # changed file is not served from it.
    edited.write_text(edited.read_text() + "\n# edited\n")
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_WHILE_WRITING, *arguments], cwd=tmp_path, env=env, capture_output=True
    )
    assert killed.returncode == -signal.SIGKILL
    check_a_run_after_the_kill()
    # Killed at some point of a run with its workers busy.
    edited.write_text(edited.read_text() + "\n# edited again\n")
    shutil.rmtree(tmp_path / CACHE_DIR_NAME)
    process = subprocess.Popen(
        [sys.executable, "-m", "rnn_lint", *arguments],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    time.sleep(0.5)
    os.killpg(process.pid, signal.SIGKILL)  # the run and its workers, wherever they are
    process.wait()
    check_a_run_after_the_kill()


def test_concurrent_runs_share_one_cache(tmp_path):
    tree = _big_tree(tmp_path, 1)
    env = _subprocess_env(tmp_path)
    command = [sys.executable, "-m", "rnn_lint", "--format", "json", "--isolated", "--jobs", "1", str(tree)]
    expected = subprocess.run([*command, "--no-cache"], cwd=tmp_path, env=env, capture_output=True, check=False).stdout
    processes = [
        subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=300) for process in processes]
    assert all(process.returncode == 1 for process in processes), [err for _, err in outputs]
    assert all(out == expected for out, _ in outputs)
    assert subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, check=False).stdout == expected


@pytest.mark.usefixtures("test_rules")
def test_fixes_are_computed_from_the_bytes_on_disk_never_from_the_cache(cli, tmp_path, monkeypatch):
    write_tree(tmp_path, {"a.py": "old_name\nx = 1\n", "b.py": "risky_name\n", "c.py": "print(1)\n"})
    listed = cli("--format", "json")
    assert sorted(finding["code"] for finding in json.loads(listed.out)) == ["TST101", "TST201", "TST203"]
    # The file changes: a stale edit at the old position would break it.
    (tmp_path / "a.py").write_text("y = 2\n\n\nz = old_name\n")
    fixed = cli("--fix", "--format", "json")
    assert (tmp_path / "a.py").read_text() == "y = 2\n\n\nz = new_name\n"
    assert (tmp_path / "b.py").read_text() == "risky_name\n"  # unsafe: not applied
    assert sorted(finding["code"] for finding in json.loads(fixed.out)) == ["TST101", "TST203"]
    # A cached file with a fix that now applies is fixed from disk, not served.
    cli()  # records a.py, fixed above (a file is recorded when a run leaves it as it was)
    calls = []
    real_fix_file = fixer.fix_file
    monkeypatch.setattr(fixer, "fix_file", lambda path, *a, **k: calls.append(path) or real_fix_file(path, *a, **k))
    cli("--fix", "--unsafe-fixes")
    assert [os.path.basename(path) for path in calls] == ["b.py"]
    assert (tmp_path / "b.py").read_text() == "safe_name\n"
    assert json.loads(cli("--format", "json").out)[0]["code"] == "TST101"


@pytest.mark.usefixtures("test_rules")
def test_diff_uses_the_cache_only_for_files_with_nothing_to_fix(cli, tmp_path, monkeypatch):
    write_tree(tmp_path, {"a.py": "old_name\n", "c.py": "print(1)\n"})
    cli()
    calls = []
    real_fix_file = fixer.fix_file
    monkeypatch.setattr(fixer, "fix_file", lambda path, *a, **k: calls.append(path) or real_fix_file(path, *a, **k))
    run = cli("--diff")
    assert run.code == 1 and "+new_name" in run.out
    assert [os.path.basename(path) for path in calls] == ["a.py"]
    assert (tmp_path / "a.py").read_text() == "old_name\n"


def test_cache_dir_option_environment_and_clean(cli, tmp_path, monkeypatch):
    write_tree(tmp_path, {"m.py": "x = 1\n"})
    assert cli("--no-cache").code == 0 and not (tmp_path / CACHE_DIR_NAME).exists()
    assert cli("--cache-dir", "elsewhere").code == 0
    assert (tmp_path / "elsewhere" / "CACHEDIR.TAG").is_file() and not (tmp_path / CACHE_DIR_NAME).exists()
    monkeypatch.setenv(result_cache.CACHE_DIR_ENV, str(tmp_path / "from-env"))
    assert cli().code == 0 and (tmp_path / "from-env" / "CACHEDIR.TAG").is_file()
    assert cli("clean").out == f"Removing cache at: {tmp_path / 'from-env'}\n"
    assert not (tmp_path / "from-env").exists()
    monkeypatch.delenv(result_cache.CACHE_DIR_ENV)
    cli()
    assert (tmp_path / CACHE_DIR_NAME).is_dir()
    assert cli("clean").code == 0 and not (tmp_path / CACHE_DIR_NAME).exists()
    assert cli("clean").code == 0  # nothing to remove is not an error
    (tmp_path / "precious").mkdir()
    refused = cli("clean", "--cache-dir", "precious")
    assert refused.code == 2 and "not an rnn-lint cache" in refused.err and (tmp_path / "precious").is_dir()


def test_the_cache_lives_in_the_project_root(cli, tmp_path):
    write_tree(tmp_path, {"pyproject.toml": "[tool.rnn-lint]\nignore = []\n", "pkg/sub/m.py": "x = 1\n"})
    assert cli(".", cwd=tmp_path / "pkg" / "sub").code == 0
    assert (tmp_path / CACHE_DIR_NAME).is_dir() and not (tmp_path / "pkg" / "sub" / CACHE_DIR_NAME).exists()


def test_an_unwritable_cache_costs_nothing_but_speed(cli, tmp_path):
    write_tree(tmp_path, {"m.py": "import torch.nn as nn\nrnn = nn.LSTM(8, 16, dropout=0.5)\n"})
    (tmp_path / "blocked").write_text("a file where the cache folder should be")
    run = cli("--cache-dir", "blocked")
    assert run.code == 1 and "RNN301" in run.out and run.err == ""


def test_engine_and_fixer_lint_the_bytes_they_are_given(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("x = 1\n")
    data = b"import torch.nn as nn\nrnn = nn.LSTM(8, 16, dropout=0.5)\n"
    rules = runner.all_rules()
    assert [f.code for f in engine.lint_file(path, rules, data=data)] == ["RNN301"]
    fixed = fixer.fix_file(path, rules, data=data, write=False)
    assert fixed.fixed == 1 and "-rnn = nn.LSTM(8, 16, dropout=0.5)" in fixed.diff


def test_entries_of_deleted_files_are_dropped_and_the_others_kept(tmp_path):
    """A run on one file keeps the entries of the files it did not look at, but not those of
    files that are gone (renamed, deleted): the index does not grow forever."""
    files = {name: tmp_path / name for name in ("kept.py", "asked.py", "gone.py", "new.py")}
    for path in files.values():
        path.write_text("x = 1\n")
    cache = result_cache.ResultCache(tmp_path / "cache", "key")
    for name in ("kept.py", "asked.py", "gone.py"):
        cache.record(str(files[name]), result_cache.read_stamped(str(files[name]))[0], [])
    assert cache.save()
    files["gone.py"].unlink()
    later = result_cache.ResultCache(tmp_path / "cache", "key")
    assert later.lookup(str(files["asked.py"]), "asked.py") == []
    later.record(str(files["new.py"]), result_cache.read_stamped(str(files["new.py"]))[0], [])
    assert later.save()
    stored = result_cache.ResultCache(tmp_path / "cache", "key").entries
    assert sorted(os.path.basename(path) for path in stored) == ["asked.py", "kept.py", "new.py"]
