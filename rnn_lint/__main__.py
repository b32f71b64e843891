"""``python -m rnn_lint``: the same as the ``rnn-lint`` command."""

from rnn_lint.cli import main

raise SystemExit(main())
