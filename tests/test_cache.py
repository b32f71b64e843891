"""The on-disk cache store and the atomic write every disk write goes through."""

from __future__ import annotations

import os

import pytest

from rnn_lint.atomic import write_atomically
from rnn_lint.cache import Cache, digest


def test_entries_round_trip_and_another_version_is_never_read(tmp_path) -> None:
    cache = Cache(tmp_path / ".rnn_lint_cache")
    key = digest("content", b"settings")
    assert cache.load("results", key) is None
    assert cache.store("results", key, {"findings": [1, 2]})
    assert cache.load("results", key) == {"findings": [1, 2]}
    assert Cache(tmp_path / ".rnn_lint_cache", version="0.0.0-other").load("results", key) is None
    assert (tmp_path / ".rnn_lint_cache" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_a_corrupt_entry_is_missing_not_trusted(tmp_path) -> None:
    cache = Cache(tmp_path / "c")
    key = digest("x")
    cache.store("results", key, [1])
    entry = next((tmp_path / "c").rglob(f"{key}.json"))
    entry.write_bytes(b'{"half": ')
    assert cache.load("results", key) is None


def test_digest_depends_on_the_order_and_the_boundaries_of_its_parts() -> None:
    assert digest("ab", "c") != digest("a", "bc")
    assert digest("a", "b") != digest("b", "a")
    assert digest("a", "b") == digest("a", b"b")


def test_clear_removes_the_folder(tmp_path) -> None:
    cache = Cache(tmp_path / "c")
    cache.store("n", digest("k"), 1)
    cache.clear()
    assert not (tmp_path / "c").exists()


def test_atomic_write_keeps_the_mode_and_leaves_no_temporary_file(tmp_path) -> None:
    target = tmp_path / "model.py"
    target.write_text("old")
    os.chmod(target, 0o640)
    write_atomically(target, b"new")
    assert target.read_text() == "new"
    assert os.stat(target).st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.py"]


def test_a_failed_atomic_write_leaves_the_original(tmp_path, monkeypatch) -> None:
    target = tmp_path / "model.py"
    target.write_text("original")

    def refuse(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", refuse)
    with pytest.raises(OSError):
        write_atomically(target, b"half")
    assert target.read_text() == "original"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.py"]


def test_user_files_are_fsynced_and_cache_entries_are_not(tmp_path, monkeypatch) -> None:
    # A cache entry can be rebuilt, so it skips the fsync that costs ~4 ms a file; a user's file
    # never does.
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    write_atomically(tmp_path / "model.py", b"x = 1\n")
    assert len(synced) == 1
    cache = Cache(tmp_path / ".rnn_lint_cache")
    assert cache.store("results", "ab" * 8, {"findings": []})
    assert len(synced) == 1
    assert cache.load("results", "ab" * 8) == {"findings": []}


def _stamp(size: int):
    from rnn_lint.result_cache import Stamp

    return Stamp(size, 1, 1, "hash", True)


def _existing(folder, *names: str) -> dict[str, str]:
    """Files that exist: a save drops the entries of files that are gone."""
    paths = {}
    for name in names:
        (folder / name).write_text("")
        paths[name] = str(folder / name)
    return paths


def test_a_save_keeps_what_another_run_saved_since_the_index_was_read(tmp_path) -> None:
    from rnn_lint.result_cache import ResultCache

    paths = _existing(tmp_path, "0.py", "a.py", "b.py")

    earlier = ResultCache(tmp_path, "key")
    earlier.record(paths["0.py"], _stamp(0), [])
    assert earlier.save()
    first, second = ResultCache(tmp_path, "key"), ResultCache(tmp_path, "key")  # both read it
    first.record(paths["a.py"], _stamp(1), [])
    assert first.save()
    second.record(paths["b.py"], _stamp(2), [])
    assert second.save()
    assert set(ResultCache(tmp_path, "key").entries) == {paths["0.py"], paths["a.py"], paths["b.py"]}


def test_an_index_nobody_wrote_since_it_was_read_is_not_read_again(tmp_path, monkeypatch) -> None:
    from rnn_lint.result_cache import ResultCache

    paths = _existing(tmp_path, "a.py", "b.py")

    cache = ResultCache(tmp_path, "key")
    cache.record(paths["a.py"], _stamp(1), [])
    assert cache.save()
    reopened = ResultCache(tmp_path, "key")
    reopened.record(paths["b.py"], _stamp(2), [])
    monkeypatch.setattr(Cache, "load", lambda *args: pytest.fail("read again"))
    assert reopened.save()
    monkeypatch.undo()
    assert set(ResultCache(tmp_path, "key").entries) == {paths["a.py"], paths["b.py"]}


def test_a_prepared_save_writes_what_a_plain_save_writes(tmp_path) -> None:
    """``prepare_save`` encodes the index but for the files being analysed elsewhere; the save
    then adds theirs: the same entries as a save that prepared nothing, including a pending file
    that got no new entry (it keeps its old one) and without the files gone since."""
    import json

    from rnn_lint.result_cache import ResultCache

    paths = _existing(tmp_path, "a.py", "b.py", "c.py", "d.py", "gone.py")
    earlier = ResultCache(tmp_path / "prepared", "key")
    for size, name in enumerate(("a.py", "b.py", "c.py", "gone.py")):
        earlier.record(paths[name], _stamp(size), [])
    assert earlier.save()
    os.remove(paths["gone.py"])
    (tmp_path / "plain").mkdir()
    os.rename(tmp_path / "prepared", tmp_path / "plain" / "copy")

    def run(directory, prepare: bool) -> dict:
        import shutil

        shutil.copytree(tmp_path / "plain" / "copy", directory, dirs_exist_ok=True)
        cache = ResultCache(directory, "key")
        for name in ("a.py", "b.py", "c.py"):
            cache.lookup(paths[name], name)
        if prepare:
            cache.prepare_save({paths["b.py"], paths["c.py"], paths["d.py"]})
        cache.record(paths["b.py"], _stamp(7), [])
        cache.record(paths["d.py"], _stamp(8), [])
        assert (cache._prepared is not None) == prepare  # still what is written
        assert cache.save()
        written = json.loads(next(directory.rglob("key.json")).read_bytes())
        assert set(ResultCache(directory, "key").entries) == set(written["files"])
        return written

    assert run(tmp_path / "with", prepare=True) == run(tmp_path / "without", prepare=False)
    kept = {paths[name] for name in ("a.py", "b.py", "c.py", "d.py")}
    assert set(run(tmp_path / "again", prepare=True)["files"]) == kept


def test_what_is_prepared_is_dropped_when_it_no_longer_holds(tmp_path) -> None:
    """Another file's entry recorded after ``prepare_save``, or another run's save in between:
    the save encodes everything again (and merges with that run's entries)."""
    from rnn_lint.result_cache import ResultCache

    paths = _existing(tmp_path, "a.py", "b.py", "c.py")
    first = ResultCache(tmp_path, "key")
    first.record(paths["a.py"], _stamp(1), [])
    assert first.save()

    cache = ResultCache(tmp_path, "key")
    cache.prepare_save({paths["b.py"]})
    cache.record(paths["c.py"], _stamp(3), [])  # not one of the files prepared for
    cache.record(paths["b.py"], _stamp(2), [])
    assert cache.save()
    assert {path: entry[0] for path, entry in ResultCache(tmp_path, "key").entries.items()} == {
        paths["a.py"]: 1,
        paths["b.py"]: 2,
        paths["c.py"]: 3,
    }

    mine, other = ResultCache(tmp_path, "key"), ResultCache(tmp_path, "key")
    mine.prepare_save({paths["b.py"]})
    other.record(paths["a.py"], _stamp(10), [])
    assert other.save()  # written after mine was prepared
    mine.record(paths["b.py"], _stamp(20), [])
    assert mine.save()
    sizes = {path: entry[0] for path, entry in ResultCache(tmp_path, "key").entries.items()}
    assert sizes == {paths["a.py"]: 10, paths["b.py"]: 20, paths["c.py"]: 3}


def test_deferred_writes_are_seen_by_load_written_later_and_never_sent_along(tmp_path) -> None:
    import pickle

    cache = Cache(tmp_path)
    cache.defer_writes()
    assert cache.store("project-files", "k1", {"files": [1]})
    assert cache.load("project-files", "k1") == {"files": [1]}
    assert not list(tmp_path.rglob("*.json")) and Cache(tmp_path).load("project-files", "k1") is None
    assert pickle.loads(pickle.dumps(cache)).load("project-files", "k1") is None  # another process
    cache.write_deferred()
    assert Cache(tmp_path).load("project-files", "k1") == {"files": [1]}
    assert cache.store("project-files", "k2", [2]) and Cache(tmp_path).load("project-files", "k2") == [2]
