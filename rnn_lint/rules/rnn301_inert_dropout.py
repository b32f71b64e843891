from rnn_lint import contract
from rnn_lint.facts.project_semantics import built_with, in_plain_run, site_values
from rnn_lint.facts.values import UNKNOWN, FloatNumber, Opaque, Sym
from rnn_lint.rule import RECURRENT_CODE, NodeEdit, Rule, SuggestedFix


class InertDropout(Rule):
    """
    ## What it does
    Flags `dropout=` on an `nn.RNN`, `nn.LSTM` or `nn.GRU` that certainly has a single layer
    (`num_layers` omitted or 1): with a non-zero value, and also with a value the linter cannot
    know (a constructor parameter, `config.dropout`), since one layer makes it inert whatever the
    value is. A literal `dropout=0` is left alone.

    Across files: when the layer count or the dropout is a constructor parameter, it takes the
    value that every construction of the class in the project gives it (`Decoder(..., n_layers=1,
    dropout=0.5)` in `train.py`, argparse defaults included), and the message names those sites.
    If the sites disagree, or one cannot be seen, nothing is reported. The fix is then unsafe.

    ## Why is this bad?
    A recurrent module applies `dropout` between stacked layers only, never to its output, so
    with one layer the argument does nothing at all. PyTorch merely warns at construction time,
    a warning that is easy to miss in a training log, and the model trains without the
    regularisation its author believes it has.

    ## Example
    ```python
    import torch.nn as nn

    encoder = nn.LSTM(128, 256, batch_first=True, dropout=0.3)
    ```

    ## Use instead
    ```python
    import torch.nn as nn

    encoder = nn.LSTM(128, 256, batch_first=True)
    output_dropout = nn.Dropout(0.3)  # apply it to the LSTM's output
    ```
    Or stack layers (`num_layers=2`) if dropout between them is what you meant.
    """

    code = "RNN301"
    name = "inert-dropout"
    pattern = RECURRENT_CODE
    message = "dropout does nothing on a one-layer recurrent module"
    fix_applicability = "safe"

    def check(self, facts):
        from rnn_lint.facts.model import plain  # loads libcst, which a run that parses nothing skips

        for site in facts.sites():
            construction = site[0]
            argument = construction.arguments.get("dropout")
            if argument is None or any(c.arguments.get("dropout") is not argument for c in site):
                continue
            # with a run-time choice of class, it must be inert whichever is chosen; a layer
            # count that is a command-line option's default is the plain run's (named as such)
            if not all(not c.is_cell and plain(in_plain_run(c.config.get("num_layers", UNKNOWN))) == 1 for c in site):
                continue
            # values that come from the project's construction sites (linting with the project)
            given = site_values(construction.config.get("num_layers"), construction.config.get("dropout"))
            fix = None
            if argument.keyword is not None:  # a positional one cannot go without moving the rest
                # Unsafe when other files decide: a construction elsewhere may stack layers later.
                applicability = "unsafe" if given else "safe"
                fix = SuggestedFix("Remove the dropout argument", applicability, (NodeEdit(argument, ""),))
            value = plain(in_plain_run(construction.config.get("dropout", UNKNOWN)))
            if value is not contract.UNKNOWN:
                if contract.inert_dropout(construction.kind, {"num_layers": 1, "dropout": value}):
                    yield self.report(argument, _message(f"dropout={value} does nothing", construction, given), fix)
                continue  # 0, or a value RNN302 reports as invalid
            if not _may_be_a_number(construction.config.get("dropout")):
                continue
            default = facts.default_holds(construction, "dropout")  # not when a subclass passes its own
            written = _source(argument.value) + ("" if default is contract.UNKNOWN else f" (default {default})")
            yield self.report(
                argument, _message(f"dropout={written} does nothing whatever its value", construction, given), fix
            )


def _message(what: str, construction, given=()) -> str:
    if given:  # the layer count (or the dropout) comes from where the class is built
        return (
            f"{what}: `{construction.describe()}` has one layer, {built_with(given)}; a recurrent module "
            "applies dropout only between stacked layers: use nn.Dropout on its output or num_layers > 1"
        )
    return (
        f"{what}: `{construction.describe()}` has one layer and applies dropout only between stacked "
        "layers; use nn.Dropout on its output or num_layers > 1"
    )


def _may_be_a_number(value) -> bool:
    """A dropout value the analysis does not know but that may be a probability (a parameter, an
    attribute of a config object, arithmetic): not a module or tensor passed by mistake."""
    return value is UNKNOWN or isinstance(value, (Opaque, Sym, FloatNumber))


def _source(node) -> str:
    import libcst as cst

    text = cst.Module([]).code_for_node(node)
    return text if len(text) <= 40 else text[:37] + "..."
