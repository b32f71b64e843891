"""Values that flow through more than one call: a site's argument that is a parameter of the
function (or class ``__init__``) it is written in takes the value every caller of that function
gives it.

    # models/factory.py                      # train.py
    def build(n_layers):                     model = build(1)
        return Decoder(64, n_layers=n_layers)

``Decoder``'s ``n_layers`` is 1 here: the summary records the argument as ``["param",
"n_layers"]``, and the index asks this module for it. An argparse namespace handed down
(``build(args)`` … ``Decoder(n_layers=args.n_layers)``, or ``Decoder(args)`` whose ``__init__``
reads ``args.n_layers``) is followed the same way, to the default of the file that parsed it.
Every caller must be seen and agree, as for a construction site; the function must not be
handed around as a value (its calls could not all be seen).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rnn_lint.project.index import UNKNOWN_VALUE, Symbol, argument_given

if TYPE_CHECKING:
    from rnn_lint.project.index import ProjectIndex

#: How many enclosing functions a value is followed through (``main(args)`` → ``build(args)``
#: → ``Decoder(...)`` is two).
MAX_DEPTH = 4


def given_value(
    index: ProjectIndex, path: str, call: dict[str, Any], params: dict[str, Any], name: str, attr: str | None = None
) -> tuple[Any, str]:
    """What ``call`` (in file ``path``, of a function or class with parameters ``params``) gives
    its parameter ``name`` — or, with ``attr``, that value's attribute (``Encoder(args)`` …
    ``args.n_layers``: the default of the file that parsed ``args``) — with its note;
    ``(UNKNOWN_VALUE, "")`` when it cannot be known."""
    return _given(index, path, call, params, name, attr, 0)


def _parameter(index: ProjectIndex, path: str, scope: str, name: str, attr: str | None, depth: int) -> tuple[Any, str]:
    unknown = (UNKNOWN_VALUE, "")
    if depth >= MAX_DEPTH:
        return unknown
    found = _callers(index, path, scope)
    if found is None:
        return unknown
    label, params, callers = found
    values: list[tuple[Any, str, str]] = []
    for caller_path, caller in callers:
        value, note = _given(index, caller_path, caller, params, name, attr, depth + 1)
        if value is UNKNOWN_VALUE:
            return unknown
        values.append((value, note, index.place(caller_path, caller["line"])))
    first = values[0][0]
    if not all(type(value) is type(first) and value == first for value, _, _ in values):
        return unknown
    notes = sorted({note for _, note, _ in values if note})
    places = list(dict.fromkeys(place for _, _, place in values))
    passed = f"{label} at {' and '.join(places[:3])}{', …' if len(places) > 3 else ''}"
    # "the --n_layers default, passed to main() at train.py:30, then to build() at train.py:12"
    if not notes:
        return first, f"passed to {passed}"
    link = "then to" if any("passed to" in note for note in notes) else "passed to"
    return first, f"{', '.join(notes)}, {link} {passed}"


def _callers(
    index: ProjectIndex, path: str, scope: str
) -> tuple[str, dict[str, Any], list[tuple[str, dict[str, Any]]]] | None:
    """The function a scope names (a module function, or a class's ``__init__``), its parameters
    and every call of it; None when some call cannot be seen."""
    parts = scope.split(".")
    if len(parts) == 2:
        function = Symbol("function", path, parts[1])
        info = index.function_summary(function)
        if info is None or function in index.referenced_functions() or not index.searched_for(function):
            return None
        callers = [(p, c) for p, _i, c in index.calls_of(function)]
        label, params = f"{parts[1]}()", info["params"]
    elif len(parts) == 3 and parts[2] == "__init__":
        cls = Symbol("class", path, parts[1])
        info = index.class_summary(cls)
        sites = index.sites(cls)
        if info is None or info["params"] is None or sites is None:
            return None
        callers, label, params = sites, f"{parts[1]}()", info["params"]
    else:
        return None  # a method, a nested function: its callers are not recorded by name
    return (label, params, callers) if callers else None


def _given(
    index: ProjectIndex,
    path: str,
    call: dict[str, Any],
    params: dict[str, Any],
    name: str,
    attr: str | None,
    depth: int,
) -> tuple[Any, str]:
    """What ``call`` gives parameter ``name`` (or that value's ``attr``)."""
    unknown = (UNKNOWN_VALUE, "")
    given = argument_given(call, params, name)
    if given is None:
        default = params["defaults"].get(name)
        if call["star"] or attr is not None or default is None or default[0] != "const":
            return unknown
        return default[1], "its default"
    if given[0] == "param":
        inner_attr = given[2] if len(given) > 2 else None
        if inner_attr is not None and attr is not None:
            return unknown  # build(args.sub) … args.sub.n_layers: not followed
        return _parameter(index, path, call.get("scope", "<module>"), given[1], inner_attr or attr, depth)
    if attr is not None:
        # this file's parsed arguments, or those an options module's get_args() returned here
        options = None
        if given[0] == "namespace":
            options = path
        elif given[0] == "call":
            options = index.namespace_from(path, given[1])
        return index.option_default(options, attr)
    return index.value(path, given)
