"""The on-disk cache: ``.rnn_lint_cache/`` at the project root, in the spirit of ruff's.

A small key-value store of JSON documents, one file per entry, grouped by namespace (per-file lint
results, the project index …). Keys are digests the caller computes from everything the value
depends on (content hash, tool version, selected rules, settings); this module adds the tool
version to the folder name, so a cache written by another version is never read. Every write is
atomic (``rnn_lint.atomic``), so concurrent runs and killed runs leave either a whole entry or none;
an entry that cannot be read or decoded is treated as missing, never trusted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from rnn_lint import __version__
from rnn_lint.atomic import write_atomically

CACHE_DIR_NAME = ".rnn_lint_cache"

#: Written into the cache folder so that git and backup tools leave it alone.
_GITIGNORE = b"# Automatically created by rnn-lint.\n*\n"
_CACHEDIR_TAG = (
    b"Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by rnn-lint.\n"
)


def _identity(status: os.stat_result) -> tuple[int, ...]:
    return status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns


def digest(*parts: str | bytes) -> str:
    """A stable key from the parts a value depends on (order matters)."""
    hasher = hashlib.blake2b(digest_size=20)
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "little"))
        hasher.update(data)
    return hasher.hexdigest()


class Cache:
    """Entries under ``directory/<version>/<namespace>/<key>.json``."""

    def __init__(self, directory: str | os.PathLike, version: str = __version__) -> None:
        self.directory = Path(directory)
        self.root = self.directory / f"v{version}"
        self._deferred: dict[tuple[str, str], Any] | None = None  # see ``defer_writes``

    def __getstate__(self) -> dict[str, Any]:
        return self.__dict__ | {"_deferred": None}  # another process never writes what this one defers

    def defer_writes(self) -> None:
        """From now on ``store`` keeps what it is given, to be encoded and written by
        ``write_deferred``: a run writes the project index's entries while another process
        analyses its files, not before (encoding them is about 20 ms on 10,000 files). The values
        must not change meanwhile; ``load`` sees them."""
        if self._deferred is None:
            self._deferred = {}

    def write_deferred(self) -> None:
        """Write what ``defer_writes`` kept, and write at once from now on."""
        deferred, self._deferred = self._deferred, None
        for (namespace, key), value in (deferred or {}).items():
            self.store(namespace, key, value)

    def load(self, namespace: str, key: str) -> Any | None:
        """The value stored under ``key``, or None when there is none or it cannot be read."""
        if self._deferred and (namespace, key) in self._deferred:
            return self._deferred[namespace, key]
        try:
            return json.loads(self._path(namespace, key).read_bytes())
        except (OSError, ValueError):
            return None

    def load_with_identity(self, namespace: str, key: str) -> tuple[Any | None, tuple[int, ...] | None]:
        """``load``, plus the identity of the file the value was read from (see ``identity``;
        None when there is no file)."""
        try:
            with open(self._path(namespace, key), "rb") as handle:
                identity = _identity(os.fstat(handle.fileno()))
                data = handle.read()
        except OSError:
            return None, None
        try:
            return json.loads(data), identity
        except ValueError:
            return None, identity

    def identity(self, namespace: str, key: str) -> tuple[int, ...] | None:
        """What tells whether the entry was written again since it was read: its file's device,
        inode, size and mtime (every store is a new file renamed into place); None when there is
        none."""
        try:
            return _identity(os.stat(self._path(namespace, key)))
        except OSError:
            return None

    def store(self, namespace: str, key: str, value: Any) -> bool:
        """Store ``value`` (JSON-serialisable) atomically; False when the disk refused (a cache
        that cannot be written only costs speed, never a run)."""
        if self._deferred is not None:
            self._deferred[namespace, key] = value
            return True
        return self.store_encoded(namespace, key, json.dumps(value, separators=(",", ":")).encode("utf-8"))

    def store_encoded(self, namespace: str, key: str, data: bytes) -> bool:
        """``store`` for a value already encoded as JSON."""
        path = self._path(namespace, key)
        try:
            if not self.directory.exists():
                self._create()
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, data, durable=False)
        except OSError:
            return False
        return True

    def clear(self) -> None:
        """Remove the whole cache folder (``rnn-lint clean``)."""
        shutil.rmtree(self.directory, ignore_errors=True)

    def _create(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        for name, content in ((".gitignore", _GITIGNORE), ("CACHEDIR.TAG", _CACHEDIR_TAG)):
            with contextlib.suppress(OSError):
                write_atomically(self.directory / name, content, durable=False)

    def _path(self, namespace: str, key: str) -> Path:
        return self.root / namespace / key[:2] / f"{key}.json"
