from typing import Any

from rnn_lint import contract
from rnn_lint.facts.values import UNKNOWN, FloatNumber, Opaque, Sym, init_parameter, python_number
from rnn_lint.rule import RECURRENT_CODE, NodeEdit, Rule, SuggestedFix, is_test_file


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
    The fix is then unsafe. When the constructions disagree, those that certainly give one layer
    and a non-zero dropout, or one layer and a dropout written as a name whose value cannot be
    known (`dropout=args.dropout_ratio`), are named, with no fix (the others need the argument) —
    except a construction in a test file, or one whose model then loads a checkpoint (an
    evaluation or serving script: dropout is off there anyway). An unknown layer count names
    nothing.

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
        from rnn_lint.facts.project_semantics import in_plain_run, site_values  # and the project's views

        for site in facts.sites():
            construction = site[0]
            argument = construction.arguments.get("dropout")
            if argument is None or any(c.arguments.get("dropout") is not argument for c in site):
                continue
            # with a run-time choice of class, it must be inert whichever is chosen; a layer
            # count that is a command-line option's default is the plain run's (named as such)
            if not all(not c.is_cell and plain(in_plain_run(c.config.get("num_layers", UNKNOWN))) == 1 for c in site):
                # the constructions disagree: report those that certainly build it with one layer
                owner, inert = _inert_constructions(facts, site)
                if inert:
                    constant = python_number(construction.config.get("dropout", UNKNOWN))
                    what = "dropout" if constant is None else f"dropout={constant}"
                    yield self.report(argument, _message_for_some(what, construction, owner, inert))
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
    from rnn_lint.facts.project_semantics import built_with

    if given:  # the layer count (or the dropout) comes from where the class is built
        return (
            f"{what}: `{construction.describe()}` has one layer, {built_with(given)}; a recurrent module "
            "applies dropout only between stacked layers: use nn.Dropout on its output or num_layers > 1"
        )
    return (
        f"{what}: `{construction.describe()}` has one layer and applies dropout only between stacked "
        "layers; use nn.Dropout on its output or num_layers > 1"
    )


def _inert_constructions(facts, site) -> tuple[str, list[dict[str, Any]]]:
    """The constructions of the enclosing class (``Decoder(vocab, hidden, n_layers=1,
    dropout_p=0.2)`` in train.py) that give the module one layer and a non-zero dropout (or one
    written with a value that cannot be known), when its layer count is a parameter of that
    class's ``__init__`` and its dropout one too, or a number: (the class, each such
    construction as {parameter: SiteValue}). Constructions in test
    files, and those whose model gets weights from a checkpoint, do not count: those models are
    not trained (or not from there)."""
    construction = site[0]
    layers = construction.config.get("num_layers", UNKNOWN)
    if facts.project is None or any(c.is_cell or c.config.get("num_layers", UNKNOWN) is not layers for c in site):
        return "", []
    dropout = construction.config.get("dropout", UNKNOWN)
    owner = _init_parameter(layers)
    from_class = _init_parameter(dropout)
    constant = python_number(dropout) if from_class is None else None
    if owner is None or (from_class is not None and from_class[0] != owner[0]):
        return "", []
    if from_class is None and not constant:
        return "", []  # unknown, or 0
    parameters = (owner[1],) if from_class is None else (owner[1], from_class[1])
    inert = []
    for built in facts.project.constructions(owner[0], parameters) or ():
        if built.weights_loaded:
            continue  # an evaluation or serving script's model: dropout is off there anyway
        given = built.values
        count = given[owner[1]]
        if count is None or type(count.value) is not int or count.value != 1:
            continue
        if is_test_file(count.where[0].rpartition(":")[0]):  # its path from the project root
            continue
        value = constant if from_class is None else getattr(given[from_class[1]], "value", None)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if contract.inert_dropout(construction.kind, {"num_layers": 1, "dropout": value}):
                inert.append({name: found for name, found in given.items() if found is not None})
        elif from_class is not None and from_class[1] in built.written_unknown:
            # one layer, and a dropout written there whose value cannot be known
            # (``dropout=args.dropout_ratio``): inert whatever it is, as in a one-file run
            inert.append({name: found for name, found in given.items() if found is not None})
    return owner[0], inert


def _init_parameter(value) -> tuple[str, str] | None:
    """(class, parameter) when ``value`` is a parameter of a class's ``__init__``, as is."""
    if isinstance(value, Sym) and value.coeff == 1 and len(value.symbols) == 1:
        key = value.symbols[0]
    elif type(value) is Opaque:
        key = value.key
    else:
        return None
    owner = init_parameter(key)
    return owner if owner is not None and "." not in owner[0] else None


def _message_for_some(what: str, construction, owner: str, inert: list[dict[str, Any]]) -> str:
    from rnn_lint.facts.project_semantics import built_with

    more = f" (and {len(inert) - 1} more such constructions)" if len(inert) > 1 else ""
    return (
        f"{what} does nothing in the {owner} {built_with(list(inert[0].values()))}{more}: "
        f"`{construction.describe()}` then has one layer, and a recurrent module applies dropout only "
        "between stacked layers; use nn.Dropout on its output, or num_layers > 1 there"
    )


def _may_be_a_number(value) -> bool:
    """A dropout value the analysis does not know but that may be a probability (a parameter, an
    attribute of a config object, arithmetic): not a module or tensor passed by mistake."""
    return value is UNKNOWN or isinstance(value, (Opaque, Sym, FloatNumber))


def _source(node) -> str:
    import libcst as cst

    text = cst.Module([]).code_for_node(node)
    return text if len(text) <= 40 else text[:37] + "..."
