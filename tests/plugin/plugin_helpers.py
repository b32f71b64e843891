"""What pytester runs need to load the plugin wherever the suite runs.

Installed (``pip install -e .``), pytest loads ``pytest_rnn.plugin`` through its ``pytest11``
entry point, and naming it again with ``-p`` would register it twice. On a machine where the
package is only on the path (the GPU check runs from a bare checkout), or where entry points are
switched off (PYTEST_DISABLE_PLUGIN_AUTOLOAD), it must be named.
"""

from __future__ import annotations

import os
from importlib import metadata


def _autoloaded() -> bool:
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        return False
    return any(entry.value == "pytest_rnn.plugin" for entry in metadata.entry_points(group="pytest11"))


def _importable(name: str) -> bool:
    try:
        __import__(name)
    except ImportError:
        return False
    return True


LOAD_PLUGIN: tuple[str, ...] = () if _autoloaded() else ("-p", "pytest_rnn.plugin")
#: pytest-xdist, likewise, when entry points are switched off.
LOAD_XDIST: tuple[str, ...] = () if not os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD") else ("-p", "xdist.plugin")
HAS_LIBCST = _importable("libcst")
HAS_TORCH = _importable("torch")
