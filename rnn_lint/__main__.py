"""``python -m rnn_lint``: the same as the ``rnn-lint`` command."""

import os
import sys

# ``python -m`` puts the current folder first on ``sys.path``: a project's own ``token.py`` or
# ``types.py`` would then shadow the standard library modules the linter imports, and the run
# would crash in the user's code (the linter never imports it). The ``rnn-lint`` script has no
# such entry; this package and its modules are found through its own ``__path__`` from here on.
if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from rnn_lint.cli import main

raise SystemExit(main())
