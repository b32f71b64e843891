"""rnn_lint/project/batch.py: a cold index summarises each round's files on several processes,
with the same summaries as one process makes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rnn_lint.facts.project_semantics import ProjectView
from rnn_lint.project import batch
from rnn_lint.project.index import ProjectIndex
from rnn_lint.project.summary import summarise
from tests.test_project import write

MODEL = """
import torch.nn as nn


class Net{n}(nn.Module):
    def __init__(self, hidden, n_layers=1, dropout=0.5):
        super().__init__()
        self.rnn = nn.GRU(hidden, hidden, n_layers, dropout=dropout)
"""

linux_fork = pytest.mark.skipif(not batch._fork_is_safe(), reason="workers are forked only on Linux, single-threaded")


def _texts(count: int) -> dict[str, str]:
    return {f"/p/m{n}.py": MODEL.format(n=n) + "x = 1\n" * n for n in range(count)}


@linux_fork
def test_workers_make_the_summaries_one_process_makes() -> None:
    texts = _texts(batch.MIN_FILES_FOR_WORKERS + 5)
    made = batch._in_workers(list(texts), texts, 2, summarise)
    assert made == {path: summarise(text) for path, text in texts.items()}
    assert list(batch.summarise_many(texts, 2)) == list(texts)  # in the order asked


_TEST_PROCESS = os.getpid()


def _summarise_or_die(text: str) -> int:
    if os.getpid() != _TEST_PROCESS:
        os._exit(3)  # a worker killed (the OOM killer, a crash in native code)
    return len(text)


@linux_fork
def test_a_dead_worker_leaves_the_summaries_to_this_process() -> None:
    texts = _texts(batch.MIN_FILES_FOR_WORKERS)
    assert batch._in_workers(list(texts), texts, 2, _summarise_or_die) is None
    assert batch.summarise_many(texts, 2, _summarise_or_die) == {path: len(text) for path, text in texts.items()}


def test_few_files_are_summarised_here(monkeypatch) -> None:
    monkeypatch.setattr(batch, "_in_workers", lambda *args: pytest.fail("workers started for a few files"))
    texts = _texts(batch.MIN_FILES_FOR_WORKERS - 1)
    assert batch.summarise_many(texts, 2) == {path: summarise(text) for path, text in texts.items()}


def test_an_index_built_on_two_processes_is_the_one_built_on_one(tmp_path: Path) -> None:
    files = {f"models/net{n}.py": MODEL.format(n=n) for n in range(batch.MIN_FILES_FOR_WORKERS + 4)}
    files["train.py"] = "".join(f"from models.net{n} import Net{n}\nm{n} = Net{n}(8, n_layers=1)\n" for n in range(30))
    write(tmp_path, files)
    paths = [str(path) for path in tmp_path.rglob("*.py")]
    one = ProjectIndex.build(tmp_path, paths, jobs=1)
    two = ProjectIndex.build(tmp_path, paths, jobs=2)
    assert one.summaries == two.summaries and list(one.summaries) == list(two.summaries)
    for path in paths:
        assert ProjectView(one, path).digest() == ProjectView(two, path).digest()
