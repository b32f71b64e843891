"""Rules for the hostile-input tests, registered through RNN_LINT_PLUGINS=hostile_rules.

One kills the process analysing a file that mentions ``kill_me`` (as a segfault in a native
parser would); one is slow (``slow_name``, with a safe fix), so a run can be stopped half-way.
"""

from __future__ import annotations

import os
import signal
import time

import libcst as cst

from rnn_lint import Rule, hookimpl
from rnn_lint.rule import NodeEdit, SuggestedFix


class KillsItsProcess(Rule):
    """Test rule: dies with SIGSEGV on a file mentioning kill_me."""

    code, name, message, needles = "TST801", "kills-its-process", "never reported", ("kill_me",)

    def check(self, facts):
        os.kill(os.getpid(), signal.SIGSEGV)
        return ()


class SlowName(Rule):
    """Test rule: flags ``slow_name`` after a pause, offering to rename it to ``fast_name``."""

    code, name, message, needles = "TST802", "slow-name", "slow_name is slow", ("slow_name",)
    fix_applicability = "safe"

    def check(self, facts):
        time.sleep(float(os.environ.get("HOSTILE_RULE_PAUSE", "0.2")))
        for statement in facts.module.body:
            for node in _names(statement):
                if node.value == "slow_name":
                    fix = SuggestedFix("rename", "safe", (NodeEdit(node, "fast_name"),))
                    yield self.report(node, fix=fix)


def _names(node: cst.CSTNode):
    if isinstance(node, cst.Name):
        yield node
    for child in node.children:
        yield from _names(child)


@hookimpl
def rnn_lint_rules():
    return [KillsItsProcess, SlowName]
