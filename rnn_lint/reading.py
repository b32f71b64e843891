"""Reading a file the user named or the walk found: only regular files are read.

A FIFO named on the command line (or as ``--config``) would block the run forever; a device or
a socket means nothing as source. They are refused with a reason instead (an RNN000 finding for
a file to lint, a configuration error for ``--config``).
"""

from __future__ import annotations

import os
import stat


class NotARegularFile(OSError):
    """A path that names a FIFO, a socket, a device or a folder: reading it could block forever
    (a FIFO) or mean nothing, so it is never read."""


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def read_regular_file(path: str | os.PathLike) -> bytes:
    """The bytes of ``path`` if it is a regular file (after symlinks); ``NotARegularFile``
    otherwise. Opened without blocking and checked on the open descriptor, so a FIFO never hangs
    the run and a file swapped for one between a check and the read is still refused."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
            raise NotARegularFile(f"not a regular file: it is {kind}")
        with os.fdopen(descriptor, "rb") as stream:
            descriptor = -1
            return stream.read()
    finally:
        if descriptor >= 0:
            os.close(descriptor)


def unreadable_reason(path: str | os.PathLike, error: OSError) -> str:
    """The RNN000 message for a path that could not be read."""
    if isinstance(error, NotARegularFile):
        return str(error)
    what = "folder" if os.path.isdir(path) else "file"
    return f"cannot read {what}: {error.strerror or error}"
