"""Worker processes give exactly what one process gives; small runs stay in one process."""

from __future__ import annotations

import concurrent.futures
import os
import threading

import pytest
from cli_helpers import write_tree

from rnn_lint import runner
from rnn_lint.config import Settings

pytestmark = pytest.mark.usefixtures("test_rules")


@pytest.fixture
def many_files(tmp_path):
    files = {
        f"pkg{i % 7}/m{i:03}.py": f"x = {i}\n" + "print(x)\n" * (i % 3) + ("old_name\n" if i % 5 == 0 else "")
        for i in range(120)
    }
    files["pkg0/broken.py"] = "print(\n"
    return write_tree(tmp_path, files)


def test_jobs_do_not_change_the_output(cli, many_files):
    serial = cli("--jobs", "1", "--format", "json")
    parallel = cli("--jobs", "3", "--format", "json")
    assert serial.code == parallel.code == 1
    assert serial.out == parallel.out and serial.out.count('"code"') > 100


def test_fixing_in_workers(cli, many_files):
    run = cli("--jobs", "2", "--fix", "--select", "TST201")
    assert run.code == 0 and run.out.startswith("Found 24 errors (24 fixed, 0 remaining).")
    assert "new_name" in (many_files / "pkg0" / "m000.py").read_text()


def test_pool_only_for_enough_files(monkeypatch, many_files):
    started = []
    real_pool = concurrent.futures.ProcessPoolExecutor  # imported by the runner when it starts workers
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", lambda **kw: started.append(kw) or real_pool(**kw))
    settings = Settings(root=many_files)
    few = runner.lint_paths([many_files / "pkg1"], settings, jobs=4)
    assert started == [] and few
    everything = runner.lint_paths([many_files], settings, jobs=4)
    assert len(started) == 1 and started[0]["max_workers"] == 4
    assert everything == runner.lint_paths([many_files], settings, jobs=1)


def test_a_crash_in_a_worker_is_an_internal_error(cli, many_files):
    write_tree(many_files, {"pkg3/zz.py": "detach_me\n"})
    run = cli("--jobs", "2")
    assert run.code == 2 and "crashed while linting pkg3/zz.py: KeyError" in run.err


def test_a_threaded_host_gets_fresh_worker_interpreters(many_files):
    # Forking a multi-threaded process (pytest with plugins, an IDE) can deadlock the child.
    release = threading.Event()
    helper = threading.Thread(target=release.wait)
    helper.start()
    try:
        assert runner._pool_context().get_start_method() == "spawn"
        settings = Settings(root=many_files)
        assert runner.lint_paths([many_files], settings, jobs=2) == runner.lint_paths([many_files], settings, jobs=1)
    finally:
        release.set()
        helper.join()


def test_the_garbage_collector_is_put_back(many_files):
    import gc

    before = (gc.get_threshold(), gc.get_freeze_count())
    findings = runner.lint_paths([many_files], Settings(root=many_files), jobs=2)
    assert findings and (gc.get_threshold(), gc.get_freeze_count()) == before


def test_many_files_are_settled_in_a_forked_process_with_the_same_results(monkeypatch, many_files, tmp_path_factory):
    if runner._pool_context().get_start_method() != "fork":
        pytest.skip("files are settled apart only where processes are forked (Linux, one thread)")
    settings = Settings(root=many_files)
    cache_here, cache_apart = tmp_path_factory.mktemp("here"), tmp_path_factory.mktemp("apart")
    here = runner.lint_paths([many_files], settings, jobs=2, cache_dir=cache_here)
    marker = tmp_path_factory.mktemp("marker") / "settled apart"
    real_child = runner._quiet_files_child

    def child(*args):
        marker.write_text(str(os.getpid()))
        real_child(*args)

    monkeypatch.setattr(runner, "MIN_FILES_TO_SETTLE_APART", 10)
    monkeypatch.setattr(runner, "_quiet_files_child", child)
    apart = runner.lint_paths([many_files], settings, jobs=2, cache_dir=cache_apart)
    assert apart == here and len(here) > 100
    assert int(marker.read_text()) != os.getpid()  # another process settled them
    # the stamps it sent back are those of the files it read: the cache records the same
    assert _result_entries(cache_apart) == _result_entries(cache_here) != {}


def _result_entries(cache_dir) -> dict:
    import json

    entries = {}
    for index in sorted(cache_dir.rglob("results/*/*.json")):
        entries.update(json.loads(index.read_text())["files"])
    # whether the timestamps were old enough to be trusted depends on when the file was read
    return {path: entry[:4] + entry[5:] for path, entry in entries.items()}


def test_a_settling_process_that_dies_leaves_the_work_to_the_run(monkeypatch, many_files):
    if runner._pool_context().get_start_method() != "fork":
        pytest.skip("files are settled apart only where processes are forked (Linux, one thread)")
    settings = Settings(root=many_files)
    expected = runner.lint_paths([many_files], settings, jobs=1)
    monkeypatch.setattr(runner, "MIN_FILES_TO_SETTLE_APART", 10)
    monkeypatch.setattr(runner, "_quiet_files_child", lambda *args: os._exit(9))
    assert runner.lint_paths([many_files], settings, jobs=2) == expected
