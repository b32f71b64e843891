"""Rules that exist only for the CLI tests, registered as a plugin through RNN_LINT_PLUGINS.

They look for plain names, so the tests need no recurrent-network code and do not depend on the
built-in rules; several offer fixes, two are broken on purpose.
"""

from __future__ import annotations

import libcst as cst

from rnn_lint import Rule, hookimpl
from rnn_lint.rule import NodeEdit, SuggestedFix


def _walk(node: cst.CSTNode):
    yield node
    for child in node.children:
        yield from _walk(child)


class _NameRule(Rule):
    """Flags every use of the name ``target``, offering to rename it to ``replacement``."""

    target: str
    replacement: str

    def check(self, facts):
        for node in _walk(facts.module):
            if isinstance(node, cst.Name) and node.value == self.target:
                fix = SuggestedFix(
                    f"rename to {self.replacement}", self.fix_applicability, (NodeEdit(node, self.replacement),)
                )
                yield self.report(node, fix=fix)


class PrintCall(Rule):
    """
    ## What it does
    Flags calls of `print`.

    ## Why is this bad?
    Test rule.

    ## Example
    ```python
    print(1)
    ```

    ## Use instead
    ```python
    log(1)
    ```
    """

    code = "TST101"
    name = "print-call"
    message = "print() called"
    needles = ("print",)

    def check(self, facts):
        for node in _walk(facts.module):
            if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "print":
                yield self.report(node)


class OldName(_NameRule):
    """Test rule with a safe fix."""

    code, name, message, needles = "TST201", "old-name", "old_name is deprecated", ("old_name",)
    target, replacement = "old_name", "new_name"
    fix_applicability = "safe"


class OlderName(_NameRule):
    """Test rule whose fix produces what TST201 fixes: two passes."""

    code, name, message, needles = "TST202", "older-name", "older_name is deprecated", ("older_name",)
    target, replacement = "older_name", "old_name"
    fix_applicability = "safe"


class RiskyName(_NameRule):
    """Test rule with an unsafe fix."""

    code, name, message, needles = "TST203", "risky-name", "risky_name changes behaviour", ("risky_name",)
    target, replacement = "risky_name", "safe_name"
    fix_applicability = "unsafe"


class Unwrap(Rule):
    """Test rule whose fix (replace `wrap(x)` by `x`) overlaps TST201's on `wrap(old_name)`."""

    code, name, message, needles = "TST204", "needless-wrap", "wrap() is not needed", ("wrap",)
    fix_applicability = "safe"

    def check(self, facts):
        for node in _walk(facts.module):
            if (
                isinstance(node, cst.Call)
                and isinstance(node.func, cst.Name)
                and node.func.value == "wrap"
                and len(node.args) == 1
            ):
                inner = facts.module.code_for_node(node.args[0].value)
                yield self.report(node, fix=SuggestedFix("unwrap", "safe", (NodeEdit(node, inner),)))


class BreakSyntax(_NameRule):
    """Test rule whose fix would leave a syntax error."""

    code, name, message, needles = "TST205", "break-syntax", "break_me is flagged", ("break_me",)
    target, replacement = "break_me", "("
    fix_applicability = "safe"


class Crash(Rule):
    """Test rule that raises on a file mentioning crash_me (the engine reports that as RNN000)."""

    code, name, message, needles = "TST999", "crash", "never reported", ("crash_me",)

    def check(self, facts):
        if any(isinstance(node, cst.Name) and node.value == "crash_me" for node in _walk(facts.module)):
            raise RuntimeError("this rule always crashes")
        return ()


class DetachedNode(Rule):
    """Test rule with a bug the engine cannot pin on the rule: it reports a node that is not part
    of the file (on a file mentioning detach_me), which fails later, when positions are computed."""

    code, name, message, needles = "TST998", "detached-node", "reports a node of no file", ("detach_me",)

    def check(self, facts):
        if any(isinstance(node, cst.Name) and node.value == "detach_me" for node in _walk(facts.module)):
            yield self.report(cst.Name("elsewhere"))


@hookimpl
def rnn_lint_rules():
    return [PrintCall, OldName, OlderName, RiskyName, Unwrap, BreakSyntax, Crash, DetachedNode]
