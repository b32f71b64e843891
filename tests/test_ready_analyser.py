"""A warm run's changed files are analysed by a process started at the outset, which imports
libcst while the run finds them (``runner._ReadyAnalyser``): the findings are the ones a run
without any cache gives, with or without the project index, and a process that dies costs only
the file it died on."""

from __future__ import annotations

import os
import pickle
import shutil
import signal
from pathlib import Path

import pytest

from rnn_lint import runner
from rnn_lint.config import Settings
from rnn_lint.project.index import NO_INSTANCE, UNKNOWN_VALUE

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

pytestmark = pytest.mark.skipif(
    runner._pool_context().get_start_method() != "fork",
    reason="the analysing process is started only where processes are forked (Linux, one thread)",
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The cross-file fixture project, and single-file fixtures beside it."""
    root = tmp_path / "project"
    shutil.copytree(FIXTURES / "projects" / "seq2seq", root, ignore=shutil.ignore_patterns(".rnn_lint_cache"))
    for rule in ("RNN201", "RNN301", "RNN104"):
        shutil.copytree(FIXTURES / rule, root / "single" / rule, ignore=shutil.ignore_patterns("tests"))
    return root


@pytest.fixture
def used(monkeypatch):
    """How many files each warm run sent to the ready process (started from one file on), and
    (``.forked``) the processes started."""
    monkeypatch.setattr(runner, "MIN_FILES_TO_START_READY", 1)

    class Sent(list):
        forked: list[int]

    sent = Sent()
    real = runner._ReadyAnalyser.analyse

    def analyse(self, tasks, work, index, meanwhile=None):
        result = real(self, tasks, work, index, meanwhile)
        if result is not None:
            sent.append(len(tasks))
        return result

    def start(self):
        real_start(self)
        if self.pid:
            forked.append(self.pid)

    forked: list[int] = []
    real_start = runner._ReadyAnalyser.start
    monkeypatch.setattr(runner._ReadyAnalyser, "analyse", analyse)
    monkeypatch.setattr(runner._ReadyAnalyser, "start", start)
    sent.forked = forked
    return sent


def touch_every_file_with_findings(root: Path, findings) -> None:
    for path in sorted({finding.path for finding in findings}):
        file = Path(path) if os.path.isabs(path) else root / path
        file.write_text(file.read_text() + "# changed\n")


@pytest.mark.parametrize("project_index", [True, False], ids=["project", "isolated"])
def test_changed_files_get_the_findings_of_a_run_without_cache(
    project: Path, used, tmp_path: Path, project_index: bool
) -> None:
    settings = Settings(root=project)
    cache = tmp_path / "cache"
    first = runner.lint_paths([project], settings, jobs=2, project=project_index, cache_dir=cache)
    assert first and not used.forked  # a cold run: nothing in the cache, no process started ahead
    assert runner.lint_paths([project], settings, jobs=2, project=project_index, cache_dir=cache) == first
    assert not used.forked  # nothing changed: nothing forked
    touch_every_file_with_findings(project, first)
    warm = runner.lint_paths([project], settings, jobs=2, project=project_index, cache_dir=cache)
    assert used and used[0] >= len({finding.path for finding in first})  # and files the project involves
    assert warm == runner.lint_paths([project], settings, jobs=1, project=project_index)


@pytest.mark.parametrize("project_index", [True, False], ids=["project", "isolated"])
def test_a_file_changed_is_seen_before_the_tree_is_walked(
    project: Path, used, tmp_path: Path, monkeypatch, project_index: bool
) -> None:
    """The stat of every file the result cache recorded is taken first: the analysing process is
    started before discovery, the run takes no stat twice, and the cache it leaves serves every
    file of the next run (its entries, and the project index's, written while the file was
    analysed)."""
    settings = Settings(root=project)
    cache = tmp_path / "cache"
    first = runner.lint_paths([project], settings, jobs=2, project=project_index, cache_dir=cache)
    touch_every_file_with_findings(project, first[:1])
    real_discover, real_stat = runner.discover, os.stat
    started_before_walk: list[bool] = []

    def discover(*args, **options):
        started_before_walk.append(bool(used.forked))
        return real_discover(*args, **options)

    statted: list[str] = []

    def stat(path, *args, **options):
        if str(path).endswith(".py") and str(path).startswith(str(project)):
            statted.append(str(path))
        return real_stat(path, *args, **options)

    monkeypatch.setattr(runner, "discover", discover)
    monkeypatch.setattr(os, "stat", stat)
    warm = runner.lint_paths([project], settings, jobs=2, project=project_index, cache_dir=cache)
    monkeypatch.undo()
    assert started_before_walk == [True] and used == [1 if not project_index else used[0]]
    assert len(statted) == len(set(statted))
    assert warm == first
    monkeypatch.setattr(runner, "_load_analysis", lambda: pytest.fail("a file was analysed again"))
    monkeypatch.setattr(runner, "_lint_chunk", lambda *args, **options: pytest.fail("a file was analysed again"))
    assert runner.lint_paths([project], settings, jobs=2, project=project_index, cache_dir=cache) == first


def test_files_named_are_not_statted_ahead(project: Path, used, tmp_path: Path) -> None:
    settings = Settings(root=project)
    cache = tmp_path / "cache"
    first = runner.lint_paths([project], settings, jobs=2, cache_dir=cache)
    named = sorted({finding.path for finding in first})[:1]
    touch_every_file_with_findings(project, first[:1])
    opened = runner._open_cache(cache, settings, project=True)
    assert runner._stat_ahead(named, opened, runner._ReadyAnalyser(opened, 2)) == {}
    stats = runner._stat_ahead([project], opened, runner._ReadyAnalyser(opened, 2))
    assert set(stats) == set(opened.entries) and used.forked
    assert runner._stat_ahead([project], opened, runner._ReadyAnalyser(opened, 1)) == {}  # one job: no process


_REAL_LINT_CHUNK = runner._lint_chunk


def _lint_or_die(tasks, **options):
    """``_lint_chunk``, but a segfault (as in a native parser) on a file mentioning kill_me."""
    if any("kill_me" in Path(task.source.path).read_text() for task in tasks):
        os.kill(os.getpid(), signal.SIGSEGV)
    return _REAL_LINT_CHUNK(tasks, **options)


def test_a_ready_process_that_dies_costs_only_its_file(project: Path, used, tmp_path, monkeypatch) -> None:
    settings = Settings(root=project)
    cache = tmp_path / "cache"
    first = runner.lint_paths([project], settings, jobs=2, cache_dir=cache)
    victim = project / "single" / "RNN301" / "kill_me.py"
    victim.write_text("import torch.nn as nn\nrnn = nn.GRU(8, 8, dropout=0.5)  # kill_me\n")
    monkeypatch.setattr(runner, "_lint_chunk", _lint_or_die)
    touch_every_file_with_findings(project, first)
    warm = runner.lint_paths([project], settings, jobs=2, cache_dir=cache)
    assert used
    crashed = [finding for finding in warm if finding.path.endswith("kill_me.py")]
    assert [(finding.code, "killed by SIGSEGV" in finding.message) for finding in crashed] == [("RNN000", True)]
    assert [finding for finding in warm if finding not in crashed] == sorted(first)


def test_markers_of_the_index_stay_themselves_in_another_process() -> None:
    assert pickle.loads(pickle.dumps(NO_INSTANCE)) is NO_INSTANCE
    assert pickle.loads(pickle.dumps(UNKNOWN_VALUE)) is UNKNOWN_VALUE


@pytest.fixture
def cold_apart(monkeypatch):
    """Cold runs settle their files apart and start the analysing process at the outset, as on
    a tree of a thousand files; its workers take files from two on."""
    monkeypatch.setattr(runner, "MIN_FILES_TO_SETTLE_APART", 1)
    monkeypatch.setattr(runner, "MIN_FILES_FOR_WORKERS", 2)


def test_a_cold_plain_run_is_analysed_by_the_process_started_at_the_outset(
    project: Path, used, cold_apart, tmp_path: Path
) -> None:
    """It imports libcst while this process builds the project index, then analyses every file
    left on its own workers: this process never imports libcst, and the findings are the same."""
    settings = Settings(root=project)
    cold = runner.lint_paths([project], settings, jobs=2, cache_dir=tmp_path / "cache")
    assert len(set(used.forked)) == 1 and used and used[0] > 2  # all the files, more than one worker's worth
    assert cold == runner.lint_paths([project], settings, jobs=1, project=True)
    isolated = runner.lint_paths([project], settings, jobs=2, project=False, cache_dir=tmp_path / "other")
    assert len(set(used.forked)) == 1  # --isolated: libcst is imported here while the files are read
    assert isolated == runner.lint_paths([project], settings, jobs=1, project=False)


def test_a_worker_of_the_cold_analysing_process_that_dies_costs_only_its_file(
    project: Path, used, cold_apart, tmp_path: Path, monkeypatch
) -> None:
    settings = Settings(root=project)
    first = runner.lint_paths([project], settings, jobs=1)
    (project / "single" / "RNN301" / "kill_me.py").write_text(
        "import torch.nn as nn\nrnn = nn.GRU(8, 8, dropout=0.5)  # kill_me\n"
    )
    monkeypatch.setattr(runner, "_lint_chunk", _lint_or_die)
    cold = runner.lint_paths([project], settings, jobs=2, cache_dir=tmp_path / "cache")
    assert used
    crashed = [finding for finding in cold if finding.path.endswith("kill_me.py")]
    assert [(finding.code, "killed by SIGSEGV" in finding.message) for finding in crashed] == [("RNN000", True)]
    assert [finding for finding in cold if finding not in crashed] == first


def test_when_the_cold_analysing_process_dies_the_run_analyses_the_files_itself(
    project: Path, used, cold_apart, tmp_path: Path, monkeypatch
) -> None:
    def dies(*args) -> None:
        os._exit(1)

    monkeypatch.setattr(runner, "_ready_child", dies)
    settings = Settings(root=project)
    cold = runner.lint_paths([project], settings, jobs=2, cache_dir=tmp_path / "cache")
    assert used.forked and not used  # started, and gave nothing back
    assert cold == runner.lint_paths([project], settings, jobs=1)
