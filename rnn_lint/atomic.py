"""Write a file so that a reader sees either the old bytes or the new ones, never a mix.

Every write rnn-lint makes to a user's disk (a fixed source file, a report, a cache entry) goes
through here: the new bytes go to a temporary file in the same folder, are flushed and fsynced,
take the old file's permission bits, and replace it with ``os.replace`` (atomic on POSIX and on
Windows within one volume). A process killed half-way leaves at most a stray temporary file,
which is removed when the write fails in-process.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


def write_atomically(path: str | os.PathLike, data: bytes, *, durable: bool = True) -> None:
    """Replace ``path``'s content with ``data`` atomically, keeping its mode if it exists.

    ``durable=False`` skips the fsync: the replacement is still all-or-nothing for a reader, but
    a power cut may leave an empty file. Only for what can be rebuilt (cache entries, which are
    ignored when they do not parse); a user's file or report is always written durably.

    Raises ``OSError`` (the original file untouched) when anything goes wrong.
    """
    target = Path(path)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            if durable:
                os.fsync(stream.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        else:  # mkstemp makes 0600 files: give a new file the mode the umask would have given it
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
