"""Per-file lint results kept between runs, so a re-run lints only the files that changed.

One index per configuration, stored through ``rnn_lint.cache`` (``.rnn_lint_cache/v<version>/
results/…``, as ruff keeps one cache file per package): for each file linted, its size, mtime,
ctime, a hash of its bytes, and the findings (fixes included, without the displayed path). The
index's key is everything a file's findings depend on besides its bytes:

- the tool: rnn-lint's version, and the size and mtime of every source file of rnn-lint and of
  the modules the rules come from (a plugin upgraded, or a rule edited in a checkout, is a new
  key — never a stale answer);
- the settings that change findings: select, ignore, extend-select, per-file-ignores and the root
  their patterns are anchored at, and the codes of the rules selected;
- ``cross_file_digest`` (optional): a digest of facts every file's findings depend on;
- whether the run sees the project (a plain run) or each file alone (``--isolated``).

Each entry also records its file's own cross-file digest — what the project index can tell that
file (``ProjectView.digest``); an entry is served only when the index gives the same answers now.

A file is served from the index when its size, mtime and ctime are the recorded ones (the fast
path: one ``stat``), or else when its bytes hash to the recorded hash (files the text pre-filter
settles are recorded without a hash: reading one again costs what checking its hash would). The
fast path is only
recorded for files whose timestamps were at least ``RACY_SECONDS`` old when they were read: a
write in the same clock tick as the read could leave the timestamps unchanged (git's "racily
clean" problem), so such files are verified by their hash next time.

When a run writes the index it drops the entries of files that no longer exist (one ``lstat``
per entry the run did not look up), so renames and deletions do not make it grow forever.

Concurrent runs each write the whole index atomically after merging it with what is on disk, so
the worst a race costs is a few entries to recompute; a run that is killed never leaves a partial
index (the previous one stays); an index that cannot be read or decoded is treated as empty.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnn_lint import __version__
from rnn_lint.cache import CACHE_DIR_NAME, Cache, digest
from rnn_lint.config import Settings
from rnn_lint.reading import read_with_status
from rnn_lint.rule import CellLocation, Edit, Finding, Fix, Rule

NAMESPACE = "results"
#: Environment variable naming the cache folder, as ``--cache-dir`` does (like RUFF_CACHE_DIR).
CACHE_DIR_ENV = "RNN_LINT_CACHE_DIR"
#: Timestamps younger than this when a file is read are not trusted for the fast path.
RACY_SECONDS = 2.0


def default_cache_dir(settings: Settings) -> Path:
    """``$RNN_LINT_CACHE_DIR``, else ``.rnn_lint_cache`` in the project root (where the
    configuration file is, else the current directory)."""
    configured = os.environ.get(CACHE_DIR_ENV)
    return Path(configured) if configured else Path(settings.root) / CACHE_DIR_NAME


@dataclass(frozen=True)
class Stamp:
    """What identifies the bytes a file had when it was linted."""

    size: int
    mtime_ns: int
    ctime_ns: int
    content_hash: str
    #: Whether the timestamps were old enough, when read, to identify the content on their own.
    timestamps_trusted: bool


def read_stamped(path: str, *, hashed: bool = True) -> tuple[Stamp, bytes] | None:
    """The bytes of ``path`` and their stamp (the ``stat`` is taken before reading, so a change
    made meanwhile makes the stamp older than the bytes, never newer); None when unreadable.
    ``hashed=False``: a stamp without the hash of the bytes (``UNHASHED``), for a file the
    pre-filter settles: checking its hash later would cost what settling it again costs."""
    try:
        status, data = read_with_status(path)  # a FIFO does not hang the run: the engine reports it
    except OSError:
        return None
    newest = max(status.st_mtime_ns, status.st_ctime_ns)
    trusted = newest < time.time_ns() - int(RACY_SECONDS * 1e9)
    stamp = Stamp(status.st_size, status.st_mtime_ns, status.st_ctime_ns, _hash(data) if hashed else UNHASHED, trusted)
    return stamp, data


#: The hash of a stamp taken without hashing: an entry recorded so is served only by the fast path.
UNHASHED = ""


def _hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class ResultCache:
    """The findings of files already linted with this tool and these settings."""

    def __init__(self, directory: str | os.PathLike, key: str) -> None:
        self.store = Cache(directory)
        self.key = key
        document, self._read_from = self.store.load_with_identity(NAMESPACE, key)
        self.entries: dict[str, list[Any]] = self._entries(document)
        self.updates: dict[str, list[Any]] = {}
        self.asked: set[str] = set()  # paths this run looked up: they exist, or were just linted
        self._prepared: _PreparedSave | None = None

    @classmethod
    def open(
        cls,
        directory: str | os.PathLike,
        settings: Settings,
        rules: Sequence[type[Rule]],
        *,
        cross_file_digest: str = "",
        project: bool = False,
    ) -> ResultCache:
        """The index for ``settings`` with ``rules`` selected (see the module docstring for the
        key). ``cross_file_digest`` must change whenever a fact from other files that every
        file's findings may depend on changes. ``project``: a run with the project index (its
        entries carry what the project tells each file) keeps an index of its own, apart from
        ``--isolated`` runs, so that switching between the two does not make either cold."""
        configuration = json.dumps(
            {
                "project": project,
                "select": settings.select,
                "ignore": settings.ignore,
                "extend_select": settings.extend_select,
                "per_file_ignores": settings.per_file_ignores,
                "root": os.path.abspath(settings.root),
                "rules": [rule.code for rule in rules],
            },
            sort_keys=True,
        )
        return cls(directory, digest(tool_fingerprint(rules), configuration, cross_file_digest))

    # --- reading ------------------------------------------------------------------------------
    def lookup(
        self, path: str, display: str, *, cross_file_digest: str = "", status: os.stat_result | None = None
    ) -> list[Finding] | None:
        """The findings recorded for ``path`` (absolute), shown as ``display``, if its content and
        what the project tells it (``cross_file_digest``) are the ones they were computed from;
        None otherwise. ``status``: the file's stat taken earlier in this run, if any."""
        self.asked.add(path)
        entry = self.entries.get(path)
        if entry is None:
            return None
        size, mtime_ns, ctime_ns, content_hash, trusted, encoded, recorded_cross_file = entry
        if recorded_cross_file != cross_file_digest:
            return None
        if status is None:
            try:
                status = os.stat(path)
            except OSError:
                return None
        if status.st_size != size:
            return None
        if not (trusted and status.st_mtime_ns == mtime_ns and status.st_ctime_ns == ctime_ns):
            if content_hash == UNHASHED:
                return None  # settled by the pre-filter: settling it again costs what checking would
            stamped = read_stamped(path)
            if stamped is None or stamped[0].content_hash != content_hash:
                return None
            stamp = stamped[0]
            if (stamp.mtime_ns, stamp.ctime_ns, stamp.timestamps_trusted) != (mtime_ns, ctime_ns, trusted):
                # next time the fast path may do
                self.record(path, stamp, None, encoded=encoded, cross_file_digest=cross_file_digest)
        try:
            return [_decode_finding(display, item) for item in encoded]
        except (TypeError, ValueError, KeyError, AttributeError):  # not what this version writes
            return None

    def stat_recorded(self, folders: Sequence[str]) -> tuple[dict[str, os.stat_result], bool]:
        """(the stat of every recorded file under ``folders``, absolute, taken now; whether one of
        those last analysed — not settled by the pre-filter — has a size or timestamps other than
        its record's, so that its analysis can start before the run gets to it)."""
        prefixes = tuple(os.path.join(folder, "") for folder in folders)
        stats: dict[str, os.stat_result] = {}
        changed = False
        for path, entry in self.entries.items():
            if not path.startswith(prefixes):
                continue
            try:
                status = stats[path] = os.stat(path)
            except OSError:
                continue  # gone: nothing to analyse
            if not changed and entry[3] != UNHASHED:
                changed = (status.st_size, status.st_mtime_ns, status.st_ctime_ns) != tuple(entry[:3])
        return stats, changed

    def settled_unread(self, path: str) -> bool:
        """Whether ``path`` was last settled from its text without being analysed (a quiet file:
        served by its timestamps only, and otherwise settled again)."""
        entry = self.entries.get(path)
        return entry is not None and entry[3] == UNHASHED

    # --- writing ------------------------------------------------------------------------------
    def record(
        self,
        path: str,
        stamp: Stamp,
        findings: Sequence[Finding] | None,
        *,
        encoded=None,
        cross_file_digest: str = "",
    ) -> None:
        """Remember ``findings`` for the bytes ``stamp`` describes and the project's answers
        ``cross_file_digest``."""
        if encoded is None:
            encoded = [_encode_finding(finding) for finding in findings or ()]
        if self._prepared is not None and path not in self._prepared.pending:
            self._prepared = None  # its entry is in what was prepared: encode it all again
        self.updates[path] = [
            stamp.size,
            stamp.mtime_ns,
            stamp.ctime_ns,
            stamp.content_hash,
            stamp.timestamps_trusted,
            encoded,
            cross_file_digest,
        ]

    def prepare_save(self, pending: Collection[str]) -> None:
        """While the files ``pending`` are analysed by another process, the rest of the index is
        encoded as ``save`` will write it, so that saving then encodes only their entries (about
        20 ms of a run that changed one file in 10,000). Nothing is prepared when another run has
        written the index since it was read (``save`` then merges with what it wrote), and what
        is prepared is dropped when another file's entry is recorded after all."""
        unwritten = self._read_from is not None and self.store.identity(NAMESPACE, self.key) == self._read_from
        if not unwritten:
            return
        merged = self._merged(dict(self.entries))
        pending = frozenset(pending)
        rest = {path: entry for path, entry in merged.items() if path not in pending}
        self._prepared = _PreparedSave(pending, rest, json.dumps(rest, separators=(",", ":")), self._read_from)

    def save(self) -> bool:
        """Write the index when this run learnt something, merged with what concurrent runs may
        have written since it was read. A cache that cannot be written costs speed, never a run."""
        if not self.updates:
            return True
        prepared, self._prepared = self._prepared, None
        if prepared is not None and self.store.identity(NAMESPACE, self.key) == prepared.identity:
            late = {path: self.updates.get(path) or self.entries.get(path) for path in prepared.pending}
            late = {path: entry for path, entry in late.items() if entry is not None}
            merged = prepared.rest | late
            saved = self.store.store_encoded(NAMESPACE, self.key, prepared.document(late))
        else:
            if self._read_from is not None and self.store.identity(NAMESPACE, self.key) == self._read_from:
                merged = dict(self.entries)  # nobody wrote the index since it was read: no need to read it again
            else:
                merged = self._entries(self.store.load(NAMESPACE, self.key))
            merged = self._merged(merged)
            saved = self.store.store(NAMESPACE, self.key, {"version": __version__, "files": merged})
        if saved:
            self.entries = merged
            self.updates = {}
            self._read_from = None
        return saved

    def _merged(self, entries: dict[str, list[Any]]) -> dict[str, list[Any]]:
        """``entries`` with this run's updates, less the files gone since."""
        entries.update(self.updates)
        for path in [path for path in entries if path not in self.asked and path not in self.updates]:
            if not os.path.lexists(path):  # deleted or renamed since: the index must not grow forever
                del entries[path]
        return entries

    @staticmethod
    def _entries(document: Any) -> dict[str, list[Any]]:
        if not isinstance(document, dict) or document.get("version") != __version__:
            return {}
        files = document.get("files")
        if not isinstance(files, dict):
            return {}
        return {path: entry for path, entry in files.items() if isinstance(entry, list) and len(entry) == 7}


@dataclass(frozen=True)
class _PreparedSave:
    """The index but for the entries of files being analysed (``ResultCache.prepare_save``)."""

    pending: frozenset[str]
    rest: dict[str, list[Any]]
    encoded_rest: str  # ``rest`` as a JSON object
    identity: tuple[int, ...]  # of the index file it was merged with

    def document(self, late: dict[str, list[Any]]) -> bytes:
        """The index's JSON with ``late``'s entries added to ``rest``'s (no path is in both)."""
        files = self.encoded_rest
        if late:
            encoded_late = json.dumps(late, separators=(",", ":"))
            files = encoded_late if not self.rest else f"{files[:-1]},{encoded_late[1:]}"
        version = json.dumps(__version__)
        return f'{{"version":{version},"files":{files}}}'.encode()


def tool_fingerprint(rules: Sequence[type[Rule]]) -> str:
    """rnn-lint's version plus the size and mtime of the source files that compute findings:
    rnn-lint's own and each rule's module (third-party rules included)."""
    package = Path(__file__).resolve().parent
    files = sorted(str(path) for path in package.rglob("*.py"))
    for rule in rules:
        module = sys.modules.get(rule.__module__)
        filename = getattr(module, "__file__", None)
        if filename and not filename.startswith(str(package)):
            files.append(filename)
    parts = [__version__]
    for filename in files:
        try:
            status = os.stat(filename)
        except OSError:
            continue
        parts.append(f"{filename}:{status.st_size}:{status.st_mtime_ns}")
    return digest(*parts)


# --- findings as JSON ------------------------------------------------------------------------
# Findings are stored field by field, whatever fields they grow (a notebook finding's cell, …):
# a dataclass becomes {"$": its name, field: value…}, a tuple {"(": [items]}. Only the classes
# below are ever rebuilt — never pickle: a cache folder may come from someone else's checkout.
# The tool fingerprint changes with rule.py, so an index always matches the fields it is read with.

_STORED = {cls.__name__: cls for cls in (Finding, Fix, Edit, CellLocation)}


def _encode_finding(finding: Finding) -> dict[str, Any]:
    encoded = _to_json(finding)
    del encoded["path"]  # shown relative to the current folder, which may differ next time
    return encoded


def _decode_finding(path: str, item: dict[str, Any]) -> Finding:
    finding = _from_json({**item, "path": path})
    if not isinstance(finding, Finding):
        raise ValueError("not a finding")
    return finding


def _to_json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if type(value).__name__ not in _STORED:
            raise TypeError(f"cannot store a {type(value).__name__}")
        return {"$": type(value).__name__} | {
            field.name: _to_json(getattr(value, field.name)) for field in dataclasses.fields(value)
        }
    if isinstance(value, tuple):
        return {"(": [_to_json(item) for item in value]}
    if isinstance(value, list):
        return [_to_json(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot store a {type(value).__name__}")


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        if "(" in value:
            return tuple(_from_json(item) for item in value["("])
        cls = _STORED[value["$"]]  # KeyError: not ours
        return cls(**{name: _from_json(item) for name, item in value.items() if name != "$"})
    if isinstance(value, list):
        return [_from_json(item) for item in value]
    return value
