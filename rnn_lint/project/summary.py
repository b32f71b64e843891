"""What one file tells the rest of the project, read cheaply with the standard ``ast`` module.

A summary is a plain JSON-able dict, so it can be cached by the file's content hash and never
re-read while the file does not change. It holds only what other files need:

- ``imports``: local name → where it comes from (``[module, name, level]``; ``name`` is None for
  ``import a.b as c``), and the modules imported with ``*``;
- ``classes``: name → line, bases (dotted, as written), ``__init__`` parameters with their
  defaults and the attributes of them it reads (``args.n_layers``), the recurrent classes
  assigned to ``self`` attributes (``self.rnn_cell = nn.LSTM``),
  the callees constructed into ``self`` attributes (held submodules), whether its methods touch
  parameters (an initialisation of its own);
- ``functions``: module-level functions, whether they touch parameters (an init helper) or load
  weights (a restore helper), and which recurrent class they return by the value of a parameter
  (``returns_class``: ``def make_rnn(kind): return nn.LSTM if kind == "lstm" else nn.GRU``);
- ``calls``: every call of a name the project may define (not builtins, not ``torch.*``), with its
  argument values as far as this file knows them: literals, module constants, dicts of literals,
  ``argparse`` defaults read through ``args.x`` or ``getattr(args, "x", default)``; names bound to
  other calls are kept as references so the index can follow instances (``Seq2Seq(enc, dec)``);
- ``effects``: weights loaded into, or initialisation applied to, an instance bound to a call
  (``model.load_state_dict(...)``, ``model.apply(fn)``, ``init_weights(model)``, a loop over
  ``model.parameters()``);
- ``argparse``: each ``add_argument`` destination → its default (unknown once code assigns it);
- ``class_tables``: module dicts of recurrent classes (``RNNS = {"lstm": nn.LSTM, "gru": nn.GRU}``);
- ``references``: names used as values rather than called (a class handed around, subclassed or
  looked up with ``getattr``): their construction sites cannot all be seen.

Values are ``["const", v, note]`` (note: "" or where it came from, e.g. "the --layers default"),
``["ref", dotted]`` (an imported or unresolved name, resolved by the index), ``["call", i]`` (the
value of call number i of this file), ``["param", name]`` or ``["param", name, attr]`` (a
parameter of the enclosing module function or class ``__init__``, or an attribute of one: the
value its callers give, followed by ``project/flow.py``), ``["namespace"]`` (this file's argparse
namespace, whose defaults are ``argparse``) or ``["unknown"]``.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Iterator
from typing import Any

UNKNOWN: list[Any] = ["unknown"]

#: Methods that load trained weights into the object they are called on.
LOAD_METHODS = frozenset({"load_state_dict", "from_pretrained", "load_from_checkpoint", "load_weights", "restore"})
#: Methods returning the module itself (``model = Net().to(device)`` is still the Net).
SELF_METHODS = frozenset({"to", "cuda", "cpu", "train", "eval", "float", "double", "half", "requires_grad_", "type"})
#: Iterating over these walks every parameter (or submodule): an initialisation loop.
PARAMETER_WALKS = frozenset({"parameters", "named_parameters", "modules", "named_modules", "children"})
#: In-place methods that set a parameter's values (not an optimiser's update, which reads .grad).
INIT_METHODS = frozenset(
    {
        "fill_",
        "zero_",
        "uniform_",
        "normal_",
        "copy_",
        "constant_",
        "ones_",
        "zeros_",
        "xavier_uniform_",
        "xavier_normal_",
        "kaiming_uniform_",
        "kaiming_normal_",
        "orthogonal_",
        "eye_",
        "trunc_normal_",
        "sparse_",
        "dirac_",
    }
)
_RECURRENT = frozenset({"RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"})
#: Calls whose result is the model they are given (weights shared): kept as holders.
MODEL_WRAPPERS = frozenset({"DataParallel", "DistributedDataParallel", "DDP", "compile", "FullyShardedDataParallel"})
#: Top-level packages that are never the project's own (calls into them are not recorded).
EXTERNAL_PACKAGES = frozenset(
    {
        "torch",
        "torchvision",
        "torchaudio",
        "torchtext",
        "numpy",
        "scipy",
        "pandas",
        "sklearn",
        "matplotlib",
        "tqdm",
        "transformers",
        "os",
        "sys",
        "math",
        "re",
        "json",
        "time",
        "random",
        "logging",
        "argparse",
        "collections",
        "itertools",
        "functools",
        "typing",
        "pathlib",
        "pickle",
        "copy",
        "warnings",
        "datetime",
        "subprocess",
        "shutil",
        "glob",
        "io",
        "string",
        "unicodedata",
        "codecs",
        "csv",
        "h5py",
        "spacy",
        "nltk",
        "yaml",
        "abc",
        "dataclasses",
        "enum",
        "contextlib",
        "inspect",
        "operator",
        "heapq",
        "bisect",
        "struct",
        "threading",
        "multiprocessing",
        "socket",
        "traceback",
        "types",
        "unittest",
        "pytest",
        "PIL",
        "cv2",
    }
)
#: What an initialiser that can reach a recurrent module's biases mentions.
_RECURRENT_WORDS = re.compile(r"RNN|LSTM|GRU|parameters\(|_all_weights|_flat_weights|bias_ih|bias_hh")


def _at_word_start(word: str) -> str:
    """``\\bword`` spelt so that the pattern starts with a character (``w(?<!\\ww)ord``): ``re``
    then skips, in C, the places that cannot start it, instead of trying ``\\b`` at each one."""
    return re.escape(word[0]) + r"(?<!\w" + re.escape(word[0]) + ")" + re.escape(word[1:])


#: The text any initialising code contains (tested before walking its tree).
_INIT_HINT = re.compile(
    _at_word_start("init")
    + r"\.|\.(?:weight|bias|data)\b|"
    + _at_word_start("weight_")
    + "|"
    + _at_word_start("bias_")
    + r"|\.apply\(|load_state_dict|"
    + "|".join(_at_word_start(name[:-1]) + r"_\(" for name in sorted(INIT_METHODS))
)
_TYPE_TESTS = frozenset({"isinstance", "issubclass", "type", "print", "repr", "str", "super"})
_NOT_PROJECT = frozenset(dir(builtins))


def command_line_note(flag: str) -> str:
    """The note of a value that is an ``argparse`` option's default: "the --layers default"."""
    return f"the {flag} default"


def is_command_line_note(note: str) -> bool:
    """Whether a value's note says it is an option's default, which a run may override (a note
    passed through callers keeps it first: "the --layers default, passed to main() at …")."""
    return note.startswith("the ") and " default" in note


def summarise(source: str) -> dict[str, Any] | None:
    """The summary of ``source``; None when it cannot be parsed (it then tells nothing)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    try:
        return _Summariser(source).run(tree)
    except RecursionError:
        return None


class _Summariser:
    def __init__(self, source: str) -> None:
        self.source = source
        self._lines: list[str] | None = None
        self.imports: dict[str, list[Any]] = {}
        self.star_imports: list[list[Any]] = []
        self.constants: dict[str, Any] = {}
        self.assigned: dict[str, int] = {}  # module-level name → how many assignments
        self.dicts: dict[str, dict[str, Any]] = {}
        #: module-level names bound once to a dict display or ``dict(k=v, …)``: its entries' nodes,
        #: read at each ``**name`` where they are spread (``args.x`` means something only then)
        self.dict_entries: dict[str, dict[str, ast.expr]] = {}
        #: the same, per function scope, for names its body binds once and never changes, and
        #: every name it binds or changes (a module dict it shadows): found at the first spread
        self.local_dicts: dict[str, tuple[dict[str, dict[str, ast.expr]], set[str]]] = {}
        self.scope_bodies: dict[str, list[ast.stmt]] = {}
        self.class_dicts: dict[str, dict[str, str]] = {}  # module dicts of recurrent classes
        self.arg_defaults: dict[str, list[Any]] = {}  # argparse dest → value
        self.arg_names: set[str] = set()  # names bound to parse_args()
        self.args_mutated: set[str] = set()  # dests assigned after parsing (args.x = ...)
        self._assigned_attributes: set[str] | None = None  # see ``_attributes_assigned``
        self.tree: ast.Module | None = None
        self.classes: dict[str, dict[str, Any]] = {}
        self.functions: dict[str, dict[str, Any]] = {}
        self.calls: list[dict[str, Any]] = []
        self.effects: list[dict[str, Any]] = []
        self.references: set[str] = set()
        self.local_functions: set[str] = set()
        self.local_classes: set[str] = set()
        #: scope → what each of its ``return`` statements returns (a call's value, or unknown)
        self.returned: dict[str, list[list[Any]]] = {}
        self.where = "<module>"
        #: parameters of the module function (or class ``__init__``) being walked that its body
        #: never rebinds: an argument naming one is the value its callers give (``["param", …]``)
        self.passed = _Passed()
        self.passing = False  # the arguments being read are a project call's
        self.conditional = 0  # how many branches (if/while/except) the code met now is inside
        #: the conditions of the branches the code met now is inside (``_condition``), innermost
        #: last, and each load or initialisation met under one: (kind, instance, line, conditions)
        self.guards: list[Any] = []
        self.guarded: list[tuple[str, int, int, tuple[Any, ...]]] = []
        #: the method being walked is one ``__init__`` does not run (``load_model``, ``evaluate``)
        self.optional_method = False
        #: names of the scope being walked bound only to (a copy of) a model's own state_dict(),
        #: and module functions returning one: restoring it is early stopping, no checkpoint
        self.own_states: frozenset[str] = frozenset()
        self.tracks_state = False
        self.own_state_functions: frozenset[str] = frozenset()
        #: files this one saves a model's own state to (``torch.save(model.state_dict(), path)``)
        #: → the first line that does: loading one back later restores the run's own weights
        self.saved_states: dict[str, int] = {}

    def _segment(self, node: ast.stmt) -> str:
        """The text of a statement's lines (``ast.get_source_segment`` splits the whole source
        at every call)."""
        if self._lines is None:
            self._lines = self.source.splitlines(keepends=True)
        end = node.end_lineno or node.lineno
        return "".join(self._lines[node.lineno - 1 : end])

    # ------------------------------------------------------------------------------------
    def run(self, tree: ast.Module) -> dict[str, Any]:
        self.tree = tree
        self._declare(tree.body)
        if self.dict_entries:
            changed = _changed_names(tree)
            self.dict_entries = {
                name: entries
                for name, entries in self.dict_entries.items()
                if self.assigned.get(name) == 1 and name not in changed
            }
        self._argparse(tree)
        # (found only in a file that can hold them: walking every scope cost a summary a third)
        self.tracks_state = "state_dict" in self.source
        self.own_state_functions = _functions_returning_own_state(tree.body) if self.tracks_state else _NONE
        self.saved_states = _saved_states(tree) if self.tracks_state and "torch.save" in self.source else {}
        module_bindings: dict[str, int] = {}
        self._scope(tree.body, "<module>", module_bindings)
        for node in tree.body:
            self._definitions(node)
        return {
            "imports": self.imports,
            "star_imports": self.star_imports,
            "constants": {name: value for name, value in self.constants.items() if self.assigned.get(name) == 1},
            "classes": self.classes,
            "functions": self.functions,
            "calls": self.calls,
            "effects": self.effects,
            "references": sorted(self.references),
            "class_tables": {name: table for name, table in self.class_dicts.items() if self.assigned.get(name) == 1},
            "instances": self._instances(module_bindings),
            "argparse": {
                dest: (UNKNOWN if dest in self.args_mutated or "*" in self.args_mutated else value)
                for dest, value in self.arg_defaults.items()
            },
        }

    def _declare(self, body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.imports[alias.asname] = [alias.name, None, 0]
                    else:
                        head = alias.name.split(".", 1)[0]
                        self.imports[head] = [head, None, 0]
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if alias.name == "*":
                        self.star_imports.append([node.module or "", node.level])
                    else:
                        self.imports[alias.asname or alias.name] = [node.module or "", alias.name, node.level]
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        self.assigned[target.id] = self.assigned.get(target.id, 0) + 1
                        if node.value is not None:
                            value = _literal(node.value)
                            if value is not None:
                                self.constants[target.id] = value
                            elif isinstance(node.value, ast.Dict):
                                self.dicts[target.id] = self._dict_literal(node.value)
                                classes = _class_table(node.value, self.imports)
                                if classes is not None:  # RNNS = {"lstm": nn.LSTM, "gru": nn.GRU}
                                    self.class_dicts[target.id] = classes
                            entries = _dict_entries(node.value)
                            if entries is not None:
                                self.dict_entries[target.id] = entries
            elif isinstance(node, (ast.If, ast.Try, ast.With)):
                for block in _blocks(node):
                    self._declare(block)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.local_functions.add(node.name)
            elif isinstance(node, ast.ClassDef):
                self.local_classes.add(node.name)

    def _dict_literal(self, node: ast.Dict) -> dict[str, Any]:
        out = {}
        for key, value in zip(node.keys, node.values):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                literal = _literal(value)
                out[key.value] = ["const", literal, ""] if literal is not None else UNKNOWN
        return out

    def _argparse(self, tree: ast.Module) -> None:
        """``add_argument("--layers", type=int, default=1)`` anywhere in the file, and the names
        that hold ``parser.parse_args()``."""
        if "parse_args" not in self.source and "parse_known_args" not in self.source:
            return
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr == "add_argument":
                    self._add_argument(node)
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
                if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
                    if value.func.attr in ("parse_args", "parse_known_args") and _parses_defaults(value):
                        name = target.elts[0] if isinstance(target, ast.Tuple) and target.elts else target
                        if isinstance(name, ast.Name):
                            self.arg_names.add(name.id)
            self.args_mutated.update(_attributes_assigned_by(node))

    def _add_argument(self, node: ast.Call) -> None:
        flags = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        dest: str | None = None
        if "dest" in keywords and isinstance(keywords["dest"], ast.Constant):
            dest = str(keywords["dest"].value)
        else:
            long = [f for f in flags if f.startswith("--")]
            plain = [f for f in flags if not f.startswith("-")]
            chosen = long[0][2:] if long else plain[0] if plain else flags[0].lstrip("-") if flags else None
            dest = chosen.replace("-", "_") if chosen else None
        if not dest:
            return
        flag = next((f for f in flags if f.startswith("--")), flags[0] if flags else dest)
        note = command_line_note(flag)
        action = keywords.get("action")
        action_name = action.value if isinstance(action, ast.Constant) else None
        if "default" in keywords:
            literal = _literal(keywords["default"])
            value = ["const", literal, note] if literal is not None else UNKNOWN
            if literal is None and isinstance(keywords["default"], ast.Constant) and keywords["default"].value is None:
                value = ["const", None, note]
        elif action_name == "store_true":
            value = ["const", False, note]
        elif action_name == "store_false":
            value = ["const", True, note]
        elif action is None and "nargs" not in keywords and flags and flags[0].startswith("-"):
            value = ["const", None, note]
        else:
            value = UNKNOWN
        if dest in self.arg_defaults and self.arg_defaults[dest] != value:
            value = UNKNOWN  # two parsers disagree
        self.arg_defaults[dest] = value

    def _initialises(
        self, node: ast.AST, plain: frozenset[str] = frozenset(), loads: bool = True, training_step: bool = False
    ) -> bool:
        return _initialises(node, self.imports, self.star_imports, plain, loads, training_step)

    # ------------------------------------------------------------------------------------
    def _definitions(self, node: ast.stmt) -> None:
        if isinstance(node, ast.ClassDef):
            self.classes[node.name] = self._class(node)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            text = self._segment(node) or ""
            hinted = _INIT_HINT.search(text) is not None
            names_loading = any(word in text for word in LOAD_METHODS)
            touches = hinted and self._initialises(node)
            # (``loss.data[0]`` in a training step reads a value: only code that sets one counts)
            may_set = names_loading or (hinted and self._initialises(node, training_step=True))
            self.functions[node.name] = {
                "line": node.lineno,
                "params": _params(node, skip_self=False),
                "touches_weights": touches,
                # an initialiser that can reach an LSTM's biases: it names recurrent modules or
                # walks every parameter (weights_init for Conv/BatchNorm only cannot)
                "inits_recurrent": touches and (_RECURRENT_WORDS.search(text) is not None),
                "loads": names_loading and _loads_every_time(node, self.own_state_functions, self.saved_states),
                "builds_recurrent": _recurrent_text(text),
                "returns": self._returns(node),
                "returns_namespace": self._returns_namespace(node),
                "leaves_weights": None if may_set else _leaves_weights(node, self.imports),
                "returns_class": _class_choice(node, self.imports, self.class_dicts)
                if any(word in text for word in ("RNN", "LSTM", "GRU"))
                else None,
            }
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            for block in _blocks(node):
                for statement in block:
                    self._definitions(statement)

    def _instances(self, bindings: dict[str, int]) -> dict[str, int]:
        """Module names bound once, to a call's value (``encoder = Encoder(...)``), that no
        function rebinds (``global encoder``): another module importing the name gets that
        instance."""
        found = {name: index for name, index in bindings.items() if self.assigned.get(name) == 1 and "." not in name}
        if found and "global" in self.source:
            rebound = {name for statement in _GLOBALS.findall(self.source) for name in re.findall(r"\w+", statement)}
            found = {name: index for name, index in found.items() if name not in rebound}
        return found

    def _returns_namespace(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        """Whether every ``return`` of a function gives this file's parsed arguments
        (``return parser.parse_args()``, or a name bound to them): an options module's
        ``get_args()``, whose callers' ``args.n_layers`` are this file's argparse defaults."""
        if not self.arg_defaults:
            return False
        returned = [sub.value for sub in ast.walk(node) if isinstance(sub, ast.Return)]
        return bool(returned) and all(
            (isinstance(value, ast.Name) and value.id in self.arg_names)
            or (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Attribute)
                and value.func.attr == "parse_args"
                and _parses_defaults(value)
            )
            for value in returned
        )

    def _returns(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[int] | None:
        """The calls a module function returns (``return Encoder(...)``, ``return model`` bound
        to one, ``return model.to(device)``), when every ``return`` of its own returns one; None
        otherwise, and for a generator."""
        values = self.returned.get(f"<module>.{node.name}")
        if not values or any(value[0] != "call" for value in values):
            return None
        if any(isinstance(sub, (ast.Yield, ast.YieldFrom)) for sub in ast.walk(node)):
            return None
        return sorted({value[1] for value in values})

    def _class(self, node: ast.ClassDef) -> dict[str, Any]:
        init = next(
            (s for s in node.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == "__init__"),
            None,
        )
        attributes: dict[str, list[str]] = {}
        held: list[str] = []
        stored: dict[str, str] = {}  # self.attr → the __init__ parameter it keeps (``self.encoder = encoder``)
        #: self.attr → whether every assignment to it builds one of ``_PLAIN_LAYERS``
        plain_built: dict[str, bool] = {}
        read: set[tuple[str, str]] = set()  # (name, attr) of each ``name.attr`` read in __init__
        written: set[tuple[str, str]] = set()  # … and assigned there (its value is then not the caller's)
        if init is not None:
            for sub in ast.walk(init):
                if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name):
                    (read if isinstance(sub.ctx, ast.Load) else written).add((sub.value.id, sub.attr))
                elif isinstance(sub, ast.Assign):
                    for target in sub.targets:
                        if (
                            isinstance(target, ast.Attribute)
                            and isinstance(target.value, ast.Name)
                            and target.value.id == "self"
                        ):
                            kept = _kept_parameter(sub.value)
                            if kept is not None:
                                stored[target.attr] = kept
                            plain_built[target.attr] = plain_built.get(target.attr, True) and (
                                _is_plain_layer(sub.value) or _is_none(sub.value)  # (None: no layer at all)
                            )
                            kind = _recurrent_class(sub.value, self.imports)
                            if kind is not None:
                                attributes.setdefault(target.attr, [])
                                if kind not in attributes[target.attr]:
                                    attributes[target.attr].append(kind)
                            else:
                                attributes[target.attr] = attributes.get(target.attr, []) + ["?"]
                            for call in ast.walk(sub.value):
                                if isinstance(call, ast.Call):
                                    name = _dotted(call.func)
                                    if name and name.split(".", 1)[0] not in ("self", "nn", "torch"):
                                        held.append(name)
        # what sets only the weight of such a layer (``self.encoder = nn.Embedding(...)``, then
        # ``self.encoder.weight = nn.Parameter(vectors)``) cannot reach a subclass's LSTM
        # (TextClassificationBenchmark's base)
        plain = frozenset(f"self.{attr}" for attr, is_plain in plain_built.items() if is_plain)
        # A method that only loads (``from_pretrained``, a ``load_state_dict`` override) sets the
        # weights of the instances it is called on, and a call is an effect the index sees
        # (``loading_methods``): it touches them all only when ``__init__`` runs it. One that
        # initialises may be called from anywhere (a trainer's ``model.reset_parameters()``).
        run_by_init = _run_by_init(node) if init is not None else set()
        touches = any(
            isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef))
            and statement.name != "forward"
            and _INIT_HINT.search(self._segment(statement)) is not None
            and self._initialises(statement, plain)
            and (statement.name in run_by_init or self._initialises(statement, plain, loads=False))
            for statement in node.body
        )
        params = _params(init, skip_self=True) if init is not None else None
        names = set() if params is None else {*params["positional"], *params["keyword_only"]}
        called = set(_CALLED_ATTRIBUTE.findall(self._segment(node))) if stored else set()
        return {
            "line": node.lineno,
            # methods that load weights each time they run (``def load_model(self, path)``): an
            # instance they are called on is loaded (``Model().load_model(path)``)
            "loading_methods": sorted(
                method.name
                for method in node.body
                if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef))
                and method.name != "__init__"
                and _LOADER_METHOD_HINT.search(method.name)
                and _loads_every_time(method, self.own_state_functions, self.saved_states)
            ),
            "bases": [name for name in (_dotted(_unsubscripted(base)) for base in node.bases) if name],
            "opaque_bases": any(_dotted(_unsubscripted(base)) is None for base in node.bases),
            "has_init": init is not None,
            "params": params,
            # the parameters kept in an attribute the class calls (``self.encoder(src)``): where
            # a model passed in runs (what ``ProjectIndex._holders`` looks for)
            "called_params": sorted(
                {
                    param
                    for attr, param in stored.items()
                    if attr in called
                    and params is not None
                    and param in [*params["positional"], *params["keyword_only"]]
                }
            ),
            # the attributes of its parameters that __init__ reads (``args.n_layers``): what its
            # constructions give there is asked of the project (``ProjectIndex.parameter_sites``)
            "parameter_attributes": sorted(f"{name}.{attr}" for name, attr in read - written if name in names),
            "recurrent_attributes": {attr: kinds for attr, kinds in attributes.items() if "?" not in kinds and kinds},
            "held": sorted(set(held)),
            "touches_weights": touches,
            "holds_recurrent": bool(_recurrent_text(self._segment(node) or "")),
        }

    # ------------------------------------------------------------------------------------
    def _scope(self, body: list[ast.stmt], scope: str, bindings: dict[str, int], passed: _Passed | None = None) -> None:
        """Walk a block in order: calls, what names hold, effects on those names. Nested function
        and class bodies are scopes of their own (``self.x`` is shared by a class's methods)."""
        outer, self.conditional = self.conditional, 0  # a function's body runs whole once called
        outer_guards, self.guards, outer_guarded, self.guarded = self.guards, [], self.guarded, []
        outer_passed, self.passed = self.passed, passed or _Passed()
        own_states = _own_state_names(body, self.own_state_functions, self.saved_states) if self.tracks_state else _NONE
        outer_states, self.own_states = self.own_states, own_states
        if scope != "<module>":
            self.scope_bodies[scope] = body  # read only if a ``**name`` is spread there
        try:
            self._scope_body(body, scope, bindings)
            self._on_every_path(body)
        finally:
            self.conditional = outer
            self.guards, self.guarded = outer_guards, outer_guarded
            self.passed = outer_passed
            self.own_states = outer_states

    def _scope_body(self, body: list[ast.stmt], scope: str, bindings: dict[str, int]) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                passed = _Passed(node, text=self._segment(node)) if scope == "<module>" else None
                self._scope(node.body, f"{scope}.{node.name}", {}, passed)
                continue
            if isinstance(node, ast.ClassDef):
                shared: dict[str, int] = {}
                run_by_init = _run_by_init(node)
                for statement in node.body:
                    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        constructor = scope == "<module>" and statement.name == "__init__"
                        passed = _Passed(statement, node, self._segment(statement)) if constructor else None
                        outer, self.optional_method = self.optional_method, statement.name not in run_by_init
                        try:
                            self._scope(statement.body, f"{scope}.{node.name}.{statement.name}", shared, passed)
                        finally:
                            self.optional_method = outer
                    else:
                        self._statement(statement, f"{scope}.{node.name}", shared)
                continue
            self._statement(node, scope, bindings)

    def _statement(self, node: ast.stmt, scope: str, bindings: dict[str, int]) -> None:
        self.where = scope  # the scope the calls met now are in
        if isinstance(node, (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try)):
            if isinstance(node, (ast.For, ast.AsyncFor)):
                walked = self._walked(node.iter, bindings)
                if walked is not None and _INIT_HINT.search(self._segment(node)) and self._initialises(node):
                    self._effect("init", walked, node.lineno)
                self._expression(node.iter, bindings)
            elif isinstance(node, (ast.If, ast.While)):
                self._expression(node.test, bindings)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    self._expression(item.context_expr, bindings)
            conditional = (isinstance(node, ast.If) and not _is_main_guard(node.test)) or isinstance(node, ast.While)
            for position, block in enumerate(_blocks(node)):
                # ``if args.resume: model.load_state_dict(...)``: the model may as well start afresh;
                # so may a ``try:`` body whose ``except`` carries on without it
                maybe = conditional or (
                    isinstance(node, ast.Try)
                    and (any(block is h.body for h in node.handlers) or (block is node.body and _carries_on(node)))
                )
                self.conditional += maybe
                if maybe:
                    self.guards.append(_condition(node, position))
                try:
                    for statement in block:
                        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                            self._scope([statement], scope, {})
                        else:
                            self._statement(statement, scope, bindings)
                    self._on_every_path(block)
                finally:
                    self.conditional -= maybe
                    if maybe:
                        self.guards.pop()
            return
        if isinstance(node, ast.Return):
            returned = self._expression(node.value, bindings) if node.value is not None else None
            self.returned.setdefault(scope, []).append(returned or UNKNOWN)
            return
        if isinstance(node, ast.Assign):
            value = self._expression(node.value, bindings)
            for target in node.targets:
                name = _binding_name(target)
                if name is None:
                    continue
                if value is not None and value[0] == "call":
                    bindings[name] = value[1]
                else:
                    bindings.pop(name, None)
            return
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self._expression(child, bindings)

    def _expression(self, node: ast.expr, bindings: dict[str, int]) -> list[Any] | None:
        """Record the calls in ``node``; the value of ``node`` when it is a recorded call (or a
        name bound to one)."""
        if isinstance(node, ast.Call):
            return self._call(node, bindings)
        if isinstance(node, (ast.Name, ast.Attribute)):
            name = _binding_name(node)
            if name is not None and name in bindings:
                return ["call", bindings[name]]
            self._reference(node)
            return None
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self._expression(child, bindings)
            elif isinstance(child, ast.keyword):
                self._expression(child.value, bindings)
            elif isinstance(child, ast.comprehension):
                self._expression(child.iter, bindings)
        return None

    def _reference(self, node: ast.expr) -> None:
        """A name used as a value; only names that may be the project's (imported, or defined at
        the top of this file) are kept."""
        name = _dotted(node)
        if name is None:
            return
        if not self._foreign(name.split(".", 1)[0]):
            self.references.add(name)

    def _foreign(self, head: str) -> bool:
        """Whether a name cannot be the project's: imported from a well-known library, or a local
        variable (not imported, not defined at the top of this file, no ``import *`` to bring it)."""
        if head in self.local_classes or head in self.local_functions:
            return False
        if head in self.imports:
            module, _name, level = self.imports[head]
            return level == 0 and module.split(".", 1)[0] in EXTERNAL_PACKAGES
        return not any(level or module.split(".", 1)[0] not in EXTERNAL_PACKAGES for module, level in self.star_imports)

    def _loads_weights(self, node: ast.Call) -> bool:
        """``_loads_weights`` with what this scope knows of the model's own state."""
        return _loads_weights(node, self.own_states, self.own_state_functions, self.saved_states)

    def _call(self, node: ast.Call, bindings: dict[str, int]) -> list[Any] | None:
        func = node.func
        # model = Net(...).to(device): still the Net
        if isinstance(func, ast.Attribute):
            receiver_name = _binding_name(func.value)
            receiver = (
                ["call", bindings[receiver_name]]
                if receiver_name in bindings
                else self._call(func.value, bindings)
                if isinstance(func.value, ast.Call)
                else None
            )
            if func.attr in LOAD_METHODS:
                if receiver is not None and self._loads_weights(node):
                    self._effect("load", receiver[1], node.lineno)
                elif isinstance(func.value, (ast.Name, ast.Attribute)) and func.attr == "from_pretrained":
                    name = _dotted(func.value)
                    if name:
                        self.effects.append(
                            {"kind": "load", "callee": name, "line": node.lineno, "conditional": self.conditional > 0}
                        )
                self._arguments(node, bindings)
                return receiver
            if func.attr == "apply" and receiver is not None:
                function = _dotted(node.args[0]) if len(node.args) == 1 else None
                if function is not None and not self._foreign(function.split(".", 1)[0]):
                    # model.apply(init_fn): an initialisation when init_fn can reach the LSTMs
                    self.effects.append(
                        {
                            "kind": "helper",
                            "call": receiver[1],
                            "callee": function,
                            "line": node.lineno,
                            "conditional": self._may_not_run(receiver[1]),
                        }
                    )
                else:
                    self._effect("init", receiver[1], node.lineno)
                self._arguments(node, bindings)
                return receiver
            if func.attr in SELF_METHODS and receiver is not None:
                self._arguments(node, bindings)
                return receiver
            if receiver is not None:
                if _LOADER_METHOD_HINT.search(func.attr):  # model.load_model(path): the index reads the method
                    self.effects.append(
                        {
                            "kind": "method",
                            "call": receiver[1],
                            "method": func.attr,
                            "line": node.lineno,
                            "conditional": self._may_not_run(receiver[1]),
                        }
                    )
                self._arguments(node, bindings)
                return None
        callee = _dotted(func)
        head = callee.split(".", 1)[0] if callee else ""
        if head in _NOT_PROJECT and head not in self.imports and head not in self.local_functions:
            if head == "getattr" and len(node.args) >= 2:
                self._reference(node.args[0])
            if head not in _TYPE_TESTS:  # isinstance(x, Encoder) neither builds nor hands out the class
                self._arguments(node, bindings)
            else:  # but print(evaluate(model, loader)) calls evaluate
                for arg in node.args:
                    if isinstance(arg, ast.Call):
                        self._call(arg, bindings)
            return None
        # a parameter's value is looked for only in a call of the project's (torch.nn.LSTM(n_layers)
        # is recorded by no one): working out which parameters flow costs a walk of the function
        outer, self.passing = (
            self.passing,
            callee is not None and (not self._foreign(head) or callee.rsplit(".", 1)[-1] in MODEL_WRAPPERS),
        )
        try:
            args, kwargs, star = self._arguments(node, bindings)
        finally:
            self.passing = outer
        if callee is None:
            self._expression(func, bindings)
            return None
        # an instance handed to a helper: a loader (load_checkpoint(model, path)) or an initialiser
        foreign = self._foreign(head)
        for value in [*args, *kwargs.values()]:
            if value[0] == "call":
                if foreign and is_loader_name(callee):
                    # load_checkpoint(model, path) of a package: its body cannot be read, its name says
                    self._effect("load", value[1], node.lineno)
                elif not foreign:
                    self.effects.append(
                        {
                            "kind": "helper",
                            "call": value[1],
                            "callee": callee,
                            "line": node.lineno,
                            "conditional": self._may_not_run(value[1]),
                        }
                    )
        if foreign and callee.rsplit(".", 1)[-1] not in MODEL_WRAPPERS:
            return None  # torch.zeros(...), np.array(...): no call of the project's
        index = len(self.calls)
        self.calls.append(
            {"callee": callee, "line": node.lineno, "args": args, "kwargs": kwargs, "star": star, "scope": self.where}
        )
        return ["call", index]

    def _arguments(
        self, node: ast.Call, bindings: dict[str, int]
    ) -> tuple[list[list[Any]], dict[str, list[Any]], bool]:
        args: list[list[Any]] = []
        kwargs: dict[str, list[Any]] = {}
        star = False
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                self._expression(arg.value, bindings)
                star = True
                continue
            args.append(self._value(arg, bindings))
        for keyword in node.keywords:
            if keyword.arg is None:
                spread = self._spread(keyword.value, bindings)
                if spread is None:
                    self._expression(keyword.value, bindings)
                    star = True
                else:
                    kwargs.update(spread)
                continue
            kwargs[keyword.arg] = self._value(keyword.value, bindings)
        return args, kwargs, star

    def _spread(self, node: ast.expr, bindings: dict[str, int]) -> dict[str, list[Any]] | None:
        """``**config`` of a dict the function (or this module) binds once — a display or
        ``dict(k=v, …)``, its values read here as any argument (``args.n_layers``, a constant, a
        parameter) — or written in place."""
        entries = None
        if isinstance(node, ast.Name):
            local, bound = self._local_dicts(self.where)
            entries = local.get(node.id)
            if entries is None and node.id in self.dict_entries and node.id not in bound:
                entries = self.dict_entries[node.id]
        else:
            entries = _dict_entries(node)
        if entries is None:
            return None
        return {key: self._value(value, bindings) for key, value in entries.items()}

    def _local_dicts(self, scope: str) -> tuple[dict[str, dict[str, ast.expr]], set[str]]:
        found = self.local_dicts.get(scope)
        if found is None:
            body = self.scope_bodies.get(scope)
            found = self.local_dicts[scope] = _unchanged_dicts(body) if body is not None else ({}, set())
        return found

    def _value(self, node: ast.expr, bindings: dict[str, int]) -> list[Any]:
        literal = _literal(node)
        if literal is not None or (isinstance(node, ast.Constant) and node.value is None):
            return ["const", literal, ""]
        if isinstance(node, ast.Name):
            if node.id in bindings:
                return ["call", bindings[node.id]]
            if self.passing and self.passed.flows(node.id):
                return ["param", node.id]  # build(n_layers): what build's callers give
            if node.id in self.arg_names:
                return ["namespace"]  # build(args): this file's argparse defaults (summary["argparse"])
            if node.id in self.constants and self.assigned.get(node.id) == 1:
                return ["const", self.constants[node.id], ""]
            if node.id in self.imports:
                return ["ref", node.id]
            self._reference(node)
            return UNKNOWN
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id in self.arg_names:
                return self._argparse_value(node.attr)
            if self.passing and self.passed.flows(node.value.id):
                return ["param", node.value.id, node.attr]  # def build(args): args.n_layers
            alias = self.passed.alias(node.value.id, node.attr) if self.passing else None
            if alias is not None:
                return ["param", alias]  # self.n_layers = n_layers … Decoder(n_layers=self.n_layers)
            if node.value.id in self.imports:
                return ["ref", f"{node.value.id}.{node.attr}"]
            made = self.calls[bindings[node.value.id]]["callee"] if node.value.id in bindings else ""
            assigned = self._attributes_assigned() if made.split(".", 1)[0] in self.imports else {"*"}
            if node.attr not in assigned and "*" not in assigned:
                # args = get_args() … Decoder(n_layers=args.n_layers): the options module's
                # default when that call returns its parsed arguments (``ProjectIndex.value``)
                return ["attribute", bindings[node.value.id], node.attr]
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id in self.dicts
            and self.assigned.get(node.value.id) == 1
            and isinstance(node.slice, ast.Constant)
        ):
            return self.dicts[node.value.id].get(str(node.slice.value), UNKNOWN)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and len(node.args) == 3
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id in self.arg_names
            and isinstance(node.args[1], ast.Constant)
        ):
            dest = str(node.args[1].value)
            if dest in self.arg_defaults:
                return self._argparse_value(dest)
            literal = _literal(node.args[2])
            return ["const", literal, ""] if literal is not None else UNKNOWN
        value = self._expression(node, bindings)
        return value if value is not None else UNKNOWN

    def _attributes_assigned(self) -> set[str]:
        """The attributes this file assigns on a name (``args.n_layers = 2``; "*" for a
        ``setattr``): an attribute so changed may no longer hold a default."""
        if self._assigned_attributes is None:
            self._assigned_attributes = {attr for node in ast.walk(self.tree) for attr in _attributes_assigned_by(node)}
        return self._assigned_attributes

    def _argparse_value(self, dest: str) -> list[Any]:
        if dest in self.args_mutated or "*" in self.args_mutated:
            return UNKNOWN
        return self.arg_defaults.get(dest, UNKNOWN)

    def _walked(self, node: ast.expr, bindings: dict[str, int]) -> int | None:
        """``model.parameters()`` (or ``named_parameters``/``modules``) of a bound instance."""
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in PARAMETER_WALKS:
            name = _binding_name(node.func.value)
            if name is not None and name in bindings:
                return bindings[name]
        return None

    def _effect(self, kind: str, call: int, line: int) -> None:
        self.effects.append({"kind": kind, "call": call, "line": line, "conditional": self._may_not_run(call)})
        if self.conditional > 0 and kind in ("load", "init"):
            self.guarded.append((kind, self._unwrapped(call), line, tuple(self.guards)))

    def _unwrapped(self, call: int) -> int:
        """The model a wrapper call wraps (``nn.DataParallel(model)``), else the call itself."""
        while True:
            made = self.calls[call]
            if made["callee"].rsplit(".", 1)[-1] not in MODEL_WRAPPERS or not made["args"]:
                return call
            if made["args"][0][0] != "call":
                return call
            call = made["args"][0][1]

    def _on_every_path(self, block: list[ast.stmt]) -> None:
        """Sibling ``if``s of ``block`` whose conditions together cover every case, each loading
        or initialising the same instance (cove's copy of OpenNMT-py: ``if opt.train_from:``
        load, ``if opt.train_from_state_dict:`` load, ``if not opt.train_from_state_dict and not
        opt.train_from:`` draw every parameter): it gets its weights whichever runs, at the
        block's level — when no name the conditions read is assigned in the block."""
        depth = len(self.guards)
        deeper = [entry for entry in self.guarded if len(entry[3]) > depth]
        if not deeper:
            return
        assigned: set[str] | None = None
        for instance in sorted({entry[1] for entry in deeper}):
            entries = [entry for entry in deeper if entry[1] == instance]
            cases = [("and", entry[3][depth:]) for entry in entries]
            if not _covers_every_case(cases):
                continue
            if assigned is None:
                assigned = _assigned_names(block)
            if any(name in assigned for case in cases for name in _names_read(case)):
                continue
            self.guarded = [entry for entry in self.guarded if entry not in entries]
            kind = "load" if all(entry[0] == "load" for entry in entries) else "init"
            self._effect(kind, instance, min(entry[2] for entry in entries))

    def _may_not_run(self, call: int) -> bool:
        """Whether an effect on the instance ``call`` built may not happen: it is under a branch,
        or in a method that ``__init__`` does not run while the instance was built elsewhere (a
        ``load_model`` method that only some callers call, on ``self.encoder``)."""
        if self.conditional > 0:
            return True
        return self.optional_method and self.calls[call]["scope"] != self.where


# --------------------------------------------------------------------------------------------


#: A method or helper whose name says it may set or load weights (``init_hidden`` too, to err
#: on the side of silence).
_SETTING_NAME = re.compile(r"init|reset|load|restore|weight|bias|pretrained|checkpoint", re.IGNORECASE)
#: Builtins that only read what they are given.
_READING_BUILTINS = frozenset(
    {
        "print", "len", "isinstance", "type", "id", "repr", "str", "sum", "list", "tuple", "iter",
        "enumerate", "zip", "range", "min", "max", "sorted", "float", "int", "round", "abs", "next",
        "getattr", "hasattr", "map", "filter", "dict", "set", "format", "any", "all", "reversed",
    }
)  # fmt: skip


def _leaves_weights(
    function: ast.FunctionDef | ast.AsyncFunctionDef, imports: dict[str, list[Any]]
) -> dict[str, list[list[Any]]]:
    """What a module function that neither initialises nor loads anything (see
    ``_Summariser._definitions``) does to the models it is handed (a training loop,
    ``evaluate(model, loader)``, ``translate_sentence(model, ...)``): for each of its parameters
    that it sets none of the weights of, the other project functions it hands that parameter to
    (the index asks them the same). A parameter is left out when something may set its weights:
    a method whose name says so (``model.init_weights()``), or code that cannot be read (another
    package's function). It may be called, have any other method called (``model.eval()``,
    ``model.encoder(x)``), or be given to a builtin that reads it or to torch; given to a project
    function, it is recorded as [the function's name, the position or keyword it is given at]."""
    args = function.args
    params = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
    callees: dict[str, list[list[Any]]] = {name: [] for name in params}
    for node in ast.walk(function):
        for param in _aliased(node, params):
            callees.pop(param, None)  # m = model, [model], {"net": model}: followed no further
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in params:
            if _SETTING_NAME.search(func.attr):
                callees.pop(func.value.id, None)  # model.init_weights(), model.reset_parameters()
            continue  # model.eval(), model.encoder(x): a submodule run
        handed: list[tuple[Any, ast.expr]] = [
            (None if isinstance(a, ast.Starred) else position, a.value if isinstance(a, ast.Starred) else a)
            for position, a in enumerate(node.args)
        ] + [(k.arg, k.value) for k in node.keywords]
        given = {value.id: where for where, value in handed if isinstance(value, ast.Name) and value.id in callees}
        if not given:
            continue
        name = _dotted(func)
        head = (name or "").split(".", 1)[0]
        if name is None or _SETTING_NAME.search(name.rsplit(".", 1)[-1]):
            for param in given:
                callees.pop(param, None)
        elif name in params or (name in _READING_BUILTINS and name not in imports):
            continue  # model(x), len(loader)
        elif head in ("torch", "nn", "F") or (head in imports and (imports[head][0] or "").startswith("torch")):
            if name.rsplit(".", 1)[-1] in INIT_METHODS:
                for param in given:
                    callees.pop(param, None)
        else:
            for param, where in given.items():
                if where is None:  # f(*model): where it lands cannot be told
                    callees.pop(param, None)
                elif param in callees:
                    callees[param].append([name, where])  # another function: the index asks it the same
    return {param: sorted(handed_to, key=str) for param, handed_to in sorted(callees.items())}


def _attributes_assigned_by(node: ast.AST) -> Iterator[str]:
    """The attributes ``node`` assigns on a name (``args.n_layers = 2``); "*" for a ``setattr``."""
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
        for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
                yield target.attr
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr":
        yield "*"


def _aliased(node: ast.AST, params: set[str]) -> set[str]:
    """The parameters ``node`` binds to another name or puts in a container (``m = model``,
    ``m = model.to(device)``, ``enc = model.encoder``, ``[model]``); ``model = model.to(device)``
    keeps its name, and ``out = model(x)`` or ``h = model.encoder(x)`` binds a result."""

    def named(value: ast.AST) -> str | None:
        while True:
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
                if value.func.attr not in SELF_METHODS:
                    return None  # model.encoder(x): what the module returns
                value = value.func.value  # model.to(device).train()
            elif isinstance(value, ast.Attribute):
                value = value.value  # model.encoder: a submodule
            else:
                break
        return value.id if isinstance(value, ast.Name) and value.id in params else None

    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
        name = named(node.value)
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if name is not None and not all(isinstance(t, ast.Name) and t.id == name for t in targets):
            return {name}
    elif isinstance(node, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
        items = node.values if isinstance(node, ast.Dict) else node.elts
        return {item.id for item in items if isinstance(item, ast.Name) and item.id in params}
    return set()


def _parses_defaults(call: ast.Call) -> bool:
    """``parser.parse_args()`` (the command line, whose options are the defaults when none is
    given), ``parse_args(argv)`` (a ``main(argv=None)`` passing it on) or ``parse_args([])`` /
    ``parse_args(args=[])`` (a notebook's): not a list written to set options
    (``parse_args(["--layers", "2"])``, ``parse_args("--layers 2".split())``)."""
    given = [*call.args, *(keyword.value for keyword in call.keywords if keyword.arg == "args")]
    return all(
        isinstance(value, ast.Name) or (isinstance(value, (ast.List, ast.Tuple)) and not value.elts) for value in given
    )


def _recurrent_text(text: str) -> bool:
    from rnn_lint.rule import RECURRENT_CODE

    return ("RNN" in text or "LSTM" in text or "GRU" in text) and RECURRENT_CODE.search(text) is not None


def _literal(node: ast.expr) -> Any:
    """A literal number, string or bool (with a unary minus); None when it is anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bool)):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _literal(node.operand)
        if isinstance(inner, (int, float)) and not isinstance(inner, bool):
            return -inner
    return None


def _params(function: ast.FunctionDef | ast.AsyncFunctionDef, skip_self: bool) -> dict[str, Any]:
    """Positional names in order, keyword-only names, defaults (as values) and whether
    ``*args``/``**kwargs`` take the rest."""
    arguments = function.args
    positional = [a.arg for a in [*arguments.posonlyargs, *arguments.args]]
    if skip_self and positional:
        positional = positional[1:]
    defaults: dict[str, Any] = {}
    names = [a.arg for a in [*arguments.posonlyargs, *arguments.args]]
    with_default = names[len(names) - len(arguments.defaults) :]  # defaults belong to the last ones
    pairs = list(zip(with_default, arguments.defaults))
    pairs += [(a.arg, d) for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults) if d is not None]
    for name, default in pairs:
        literal = _literal(default)
        if literal is not None or (isinstance(default, ast.Constant) and default.value is None):
            defaults[name] = ["const", literal, ""]
        else:
            defaults[name] = UNKNOWN
    return {
        "positional": positional,
        "keyword_only": [a.arg for a in arguments.kwonlyargs],
        "defaults": defaults,
        "var_positional": arguments.vararg is not None,
        "var_keyword": arguments.kwarg is not None,
    }


def _class_choice(
    function: ast.FunctionDef | ast.AsyncFunctionDef, imports: dict[str, list[Any]], tables: dict[str, dict[str, str]]
) -> dict[str, Any] | None:
    """What a factory returning a recurrent *class* returns, by the value of one parameter:
    ``{"param", "position", "default", "transform", "cases": [[literals, kind], ...],
    "otherwise"}`` (the first case whose literals hold the parameter's value, else
    ``otherwise``; None for an error). Recognised bodies (a docstring aside): ``return nn.LSTM``;
    ``return nn.LSTM if kind == "lstm" else nn.GRU``; ``return RNNS[kind]`` (a dict of classes);
    an ``if``/``elif`` chain on ``kind == "..."`` (or ``kind.lower()``, ``kind in (...)``) whose
    branches each return a class or raise, or each bind one name to a class that is returned
    after the chain. None for any other function."""
    body = [
        s
        for s in function.body
        if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) and isinstance(s.value.value, str))
    ]
    params = _params(function, skip_self=False)
    names = set(params["positional"]) | set(params["keyword_only"])
    choice = _Choice(names, imports, tables)
    try:
        if len(body) == 1 and isinstance(body[0], ast.Return) and body[0].value is not None:
            choice.returned(body[0].value)
        elif (
            len(body) == 2
            and isinstance(body[0], ast.If)
            and isinstance(body[1], ast.Return)
            and isinstance(body[1].value, ast.Name)
        ):
            choice.chain(body[0], [], assigned=body[1].value.id)  # rnn = nn.LSTM … return rnn
        elif body and isinstance(body[0], ast.If) and len(body) <= 2:
            choice.chain(body[0], body[1:])
        else:
            return None
    except _NotAChoice:
        return None
    if choice.param is None and choice.cases:
        return None
    position = params["positional"].index(choice.param) if choice.param in params["positional"] else None
    default = params["defaults"].get(choice.param) if choice.param else None
    return {
        "param": choice.param,
        "position": position,
        "default": default[1] if default and default[0] == "const" else None,
        "transform": choice.transform,
        "cases": choice.cases,
        "otherwise": choice.otherwise,
    }


class _NotAChoice(Exception):
    pass


class _Choice:
    """Reads a factory's body into cases on one parameter (``_class_choice``)."""

    def __init__(self, names: set[str], imports: dict[str, list[Any]], tables: dict[str, dict[str, str]]) -> None:
        self.names = names
        self.imports = imports
        self.tables = tables
        self.param: str | None = None
        self.transform: str | None = None
        self.cases: list[list[Any]] = []
        self.otherwise: str | None = None

    def returned(self, node: ast.expr) -> None:
        """``return <node>``: a class, a conditional expression of classes, a table lookup."""
        if isinstance(node, ast.IfExp):
            literals, equal = self._test(node.test)
            first, second = (node.body, node.orelse) if equal else (node.orelse, node.body)
            self.cases.append([literals, self._kind(first)])
            self.returned(second)
            return
        if isinstance(node, ast.Subscript):
            table = self._table(node.value)
            self._subject(node.slice)
            self.cases.extend([[key], kind] for key, kind in table.items())
            self.otherwise = None  # a KeyError
            return
        self.otherwise = self._kind(node)

    def chain(self, node: ast.If, after: list[ast.stmt], assigned: str | None = None) -> None:
        """An ``if``/``elif`` chain whose branches each ``return`` a class, or (``assigned``) each
        bind that one name to a class, returned after the chain."""
        while True:
            literals, equal = self._test(node.test)
            if not equal or len(node.body) != 1:
                raise _NotAChoice
            self.cases.append([literals, self._chosen(node.body[0], assigned)])
            if len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If):
                node = node.orelse[0]  # elif: what follows the chain still follows it
                continue
            if node.orelse and after:
                raise _NotAChoice
            rest = node.orelse or after
            if not rest or (len(rest) == 1 and isinstance(rest[0], ast.Raise)):
                self.otherwise = None  # falls off the end (None, an unbound name) or raises: no class
            elif len(rest) == 1:
                self.otherwise = self._chosen(rest[0], assigned)
            else:
                raise _NotAChoice
            return

    def _chosen(self, statement: ast.stmt, assigned: str | None) -> str:
        """The class a branch's one statement returns (or binds to ``assigned``)."""
        if assigned is None and isinstance(statement, ast.Return):
            return self._kind(statement.value)
        if (
            assigned is not None
            and isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
            and statement.targets[0].id == assigned
        ):
            return self._kind(statement.value)
        raise _NotAChoice

    def _kind(self, node: ast.expr | None) -> str:
        kind = _recurrent_class(node, self.imports) if node is not None else None
        if kind is None:
            raise _NotAChoice
        return kind

    def _table(self, node: ast.expr) -> dict[str, str]:
        if isinstance(node, ast.Dict):
            table = _class_table(node, self.imports)
        elif isinstance(node, ast.Name):
            table = self.tables.get(node.id)
        else:
            table = None
        if table is None:
            raise _NotAChoice
        return table

    def _test(self, test: ast.expr) -> tuple[list[str], bool]:
        """``kind == "lstm"`` → (["lstm"], True); ``!=`` → False; ``kind in ("lstm", "LSTM")``."""
        if not isinstance(test, ast.Compare) or len(test.ops) != 1:
            raise _NotAChoice
        left, op, right = test.left, test.ops[0], test.comparators[0]
        if isinstance(left, ast.Constant) and isinstance(op, (ast.Eq, ast.NotEq)):
            left, right = right, left
        self._subject(left)
        if isinstance(op, (ast.Eq, ast.NotEq)) and isinstance(right, ast.Constant) and isinstance(right.value, str):
            return [right.value], isinstance(op, ast.Eq)
        if isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, (ast.Tuple, ast.List, ast.Set)):
            literals = [e.value for e in right.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            if len(literals) != len(right.elts):
                raise _NotAChoice
            return literals, isinstance(op, ast.In)
        raise _NotAChoice

    def _subject(self, node: ast.expr) -> None:
        """The parameter tested: ``kind``, ``kind.lower()`` or ``kind.upper()``, the same one
        throughout."""
        transform = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and not node.args and not node.keywords:
            if node.func.attr not in ("lower", "upper"):
                raise _NotAChoice
            transform, node = node.func.attr, node.func.value
        if not isinstance(node, ast.Name) or node.id not in self.names:
            raise _NotAChoice
        if self.param is not None and (self.param, self.transform) != (node.id, transform):
            raise _NotAChoice
        self.param, self.transform = node.id, transform


def _class_table(node: ast.Dict, imports: dict[str, list[Any]]) -> dict[str, str] | None:
    """``{"lstm": nn.LSTM, "gru": nn.GRU}``: string keys, recurrent classes for values."""
    table: dict[str, str] = {}
    for key, value in zip(node.keys, node.values):
        kind = _recurrent_class(value, imports)
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)) or kind is None:
            return None
        table[key.value] = kind
    return table or None


class _Passed:
    """The parameters of the module function (or class ``__init__``) being walked whose value is
    whatever each caller passes, and (in ``__init__``) the attributes that only hold one. Worked
    out when first asked: most functions never pass a parameter on to a project call."""

    def __init__(
        self,
        function: ast.FunctionDef | ast.AsyncFunctionDef | None = None,
        cls: ast.ClassDef | None = None,
        text: str = ":=",
    ) -> None:
        self.function = function
        self.cls = cls
        self.walrus = ":=" in text
        arguments = function.args if function is not None else None
        names = [a.arg for a in [*arguments.posonlyargs, *arguments.args]] if arguments else []
        self.me = names[0] if cls is not None and names else None
        self.names = frozenset(names[1:] if cls is not None else names) | frozenset(
            a.arg for a in (arguments.kwonlyargs if arguments else [])
        )
        self._flowing: frozenset[str] | None = None
        self._aliases: dict[tuple[str, str], str] | None = None

    def flowing(self) -> frozenset[str]:
        if self._flowing is None:
            self._flowing = (
                _flowing_parameters(self.function, self.cls is not None, self.walrus) if self.function else frozenset()
            )
        return self._flowing

    def flows(self, name: str) -> bool:
        return name in self.names and name in self.flowing()

    def alias(self, owner: str, attr: str) -> str | None:
        if self.cls is None or owner != self.me:
            return None
        if self._aliases is None:
            self._aliases = _attribute_aliases(self.cls, self.function, self.flowing())
        return self._aliases.get((owner, attr))


def _attribute_aliases(
    cls: ast.ClassDef, init: ast.FunctionDef | ast.AsyncFunctionDef, flowing: frozenset[str]
) -> dict[tuple[str, str], str]:
    """``self.attr`` → ``param`` where ``__init__`` stores a flowing parameter in the attribute
    (``self.n_layers = n_layers``) and nothing in the class stores anything else there."""
    names = [a.arg for a in [*init.args.posonlyargs, *init.args.args]]
    if not names or not flowing:
        return {}
    me = names[0]
    candidates: dict[str, str] = {}
    for statement in init.body:
        if (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Attribute)
            and isinstance(statement.targets[0].value, ast.Name)
            and statement.targets[0].value.id == me
            and isinstance(statement.value, ast.Name)
            and statement.value.id in flowing
        ):
            candidates[statement.targets[0].attr] = statement.value.id
    if not candidates:
        return {}
    stores: dict[str, int] = {}
    _count_attribute_stores(cls.body, stores)
    return {(me, attr): param for attr, param in candidates.items() if stores.get(attr) == 1}


def _count_attribute_stores(body: list[ast.stmt], stores: dict[str, int]) -> None:
    """How many statements (nested ones too) store into each ``<name>.attr``; a comprehension or
    ``:=`` cannot target an attribute."""
    for statement in body:
        for target in _store_targets(statement):
            for part in ast.walk(target):
                if isinstance(part, ast.Attribute) and isinstance(part.value, ast.Name):
                    stores[part.attr] = stores.get(part.attr, 0) + 1
        for inner in _nested_bodies(statement):
            _count_attribute_stores(inner, stores)


def _store_targets(statement: ast.stmt) -> list[ast.AST]:
    """What an assignment, ``del``, loop or ``with … as`` statement stores into."""
    if isinstance(statement, (ast.Assign, ast.Delete)):
        return list(statement.targets)
    if isinstance(statement, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor)):
        return [statement.target]
    if isinstance(statement, (ast.With, ast.AsyncWith)):
        return [item.optional_vars for item in statement.items if item.optional_vars is not None]
    return []


def _nested_bodies(statement: ast.stmt) -> Iterator[list[ast.stmt]]:
    """The statement lists a compound statement holds: its bodies, ``else``/``finally``, its
    ``except`` handlers' and ``case`` clauses' bodies."""
    for handler in getattr(statement, "handlers", ()):
        yield handler.body
    for field in ("body", "orelse", "finalbody"):
        inner = getattr(statement, field, None)
        if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
            yield inner
    for case in getattr(statement, "cases", ()):
        yield case.body


def _flowing_parameters(
    function: ast.FunctionDef | ast.AsyncFunctionDef, skip_self: bool = False, walrus: bool = True
) -> frozenset[str]:
    """The parameters a function's body never rebinds (no assignment, loop target, ``with …
    as``, ``except … as``, import, ``def``/``class`` of the name, ``del``, ``global``, in nested
    code too): their value is whatever each caller passes."""
    arguments = function.args
    names = [a.arg for a in [*arguments.posonlyargs, *arguments.args]]
    if skip_self:
        names = names[1:]
    names += [a.arg for a in arguments.kwonlyargs]
    rebound = _rebound(function.body)
    if walrus:  # ``(n := ...)`` binds inside an expression: only a walk of everything finds it
        rebound.update(
            sub.target.id
            for sub in ast.walk(function)
            if isinstance(sub, ast.NamedExpr) and isinstance(sub.target, ast.Name)
        )
    return frozenset(names) - rebound


def _rebound(body: list[ast.stmt]) -> set[str]:
    """Every name the statements (and those nested in them) bind, read off the statements alone
    (expressions bind nothing but through ``:=``, which ``_flowing_parameters`` looks for)."""
    found: set[str] = set()
    for statement in body:
        targets = _store_targets(statement)
        if isinstance(statement, (ast.Global, ast.Nonlocal)):
            found.update(statement.names)
        elif isinstance(statement, (ast.Import, ast.ImportFrom)):
            found.update((alias.asname or alias.name).split(".", 1)[0] for alias in statement.names)
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(statement.name)
        elif isinstance(statement, ast.Match):
            targets = [statement]  # its patterns capture names: every name in it counts
        for target in targets:
            found.update(sub.id for sub in ast.walk(target) if isinstance(sub, ast.Name))
            found.update(sub.name for sub in ast.walk(target) if isinstance(sub, ast.MatchAs) and sub.name)
            found.update(sub.name for sub in ast.walk(target) if isinstance(sub, ast.MatchStar) and sub.name)
        found.update(handler.name for handler in getattr(statement, "handlers", ()) if handler.name)
        for inner in _nested_bodies(statement):
            found |= _rebound(inner)
    return found


def _dict_entries(node: ast.expr) -> dict[str, ast.expr] | None:
    """``{"n_layers": 1, …}`` or ``dict(n_layers=1, …)``: key → value node; None for anything
    else (a key that is not a string literal, ``**other``, a positional argument)."""
    if isinstance(node, ast.Dict):
        if not all(isinstance(key, ast.Constant) and isinstance(key.value, str) for key in node.keys):
            return None
        return {key.value: value for key, value in zip(node.keys, node.values)}
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict" and not node.args:
        if any(keyword.arg is None for keyword in node.keywords):
            return None
        return {keyword.arg: keyword.value for keyword in node.keywords}  # type: ignore[misc]
    return None


def _changed_names(tree: ast.Module) -> set[str]:
    """The names changed in place anywhere (``_changed_in_place``) or declared ``global`` (a
    function may rebind them)."""
    changed: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            changed.update(node.names)
        else:
            name = _changed_in_place(node)
            if name is not None:
                changed.add(name)
    return changed


def _changed_in_place(node: ast.AST) -> str | None:
    """The name ``node`` changes in place: ``name[k] = …``, ``del name[k]``, ``name.update(…)`` …"""
    if isinstance(node, ast.Subscript) and not isinstance(node.ctx, ast.Load):
        return node.value.id if isinstance(node.value, ast.Name) else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if isinstance(node.func.value, ast.Name) and node.func.attr in _DICT_CHANGES:
            return node.func.value.id
    return None


#: Methods that change a dict in place.
_DICT_CHANGES = frozenset({"update", "pop", "popitem", "setdefault", "clear", "__setitem__", "__delitem__"})


def _unchanged_dicts(body: list[ast.stmt]) -> tuple[dict[str, dict[str, ast.expr]], set[str]]:
    """(the names a body binds exactly once, to a dict ``_dict_entries`` reads, and never changes
    — no ``d[k] = …``, ``del d[k]``, ``d.update(…)`` —, every name it binds or changes); nested
    bodies count as the body."""
    stores: dict[str, int] = {}
    changed: set[str] = set()
    entries: dict[str, dict[str, ast.expr]] = {}
    for statement in body:
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                stores[node.id] = stores.get(node.id, 0) + 1
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                found = _dict_entries(node.value)
                if found is not None:
                    entries[node.targets[0].id] = found
            else:
                name = _changed_in_place(node)
                if name is not None:
                    changed.add(name)
    unchanged = {name: found for name, found in entries.items() if stores.get(name) == 1 and name not in changed}
    return unchanged, set(stores) | changed


#: Layers that hold no recurrent module: setting their weights initialises no LSTM.
_PLAIN_LAYERS = frozenset(
    {"Embedding", "EmbeddingBag", "Linear", "Conv1d", "Conv2d", "Conv3d", "LayerNorm", "BatchNorm1d", "BatchNorm2d"}
)


def _is_plain_layer(value: ast.expr) -> bool:
    """``nn.Embedding(...)`` and the other ``_PLAIN_LAYERS``, built from ``torch.nn``."""
    layer = _dotted(value.func) if isinstance(value, ast.Call) else None
    return layer is not None and layer.startswith(("nn.", "torch.nn.")) and layer.rsplit(".", 1)[-1] in _PLAIN_LAYERS


def _is_none(value: ast.expr) -> bool:
    return isinstance(value, ast.Constant) and value.value is None


def _initialises(
    node: ast.AST,
    imports: dict[str, list[Any]],
    star_imports: list[list[Any]],
    plain: frozenset[str] = frozenset(),
    loads: bool = True,
    training_step: bool = False,
) -> bool:
    """Whether code sets parameter values: ``nn.init.*`` (or an initialiser imported from
    ``torch.nn.init`` and called by its bare name, ``uniform_(p, -0.1, 0.1)``), an in-place fill
    of a named tensor (``p.data.zero_()``, ``bias[h:2*h].fill_(1)``; not of one a call just made,
    ``x.new(b).uniform_(0, 1)``), an assignment to ``.weight``/``.bias``/
    ``.data``, ``.apply(fn)``, ``load_state_dict`` (unless ``loads`` is False) — and is not a
    training step (which calls ``backward``/``step``: its in-place updates are the optimiser's,
    not an initialisation; with ``training_step``, a training step that also sets values
    counts)."""
    sets = False
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            name = _dotted(sub.func) or ""
            method = sub.func.attr if isinstance(sub.func, ast.Attribute) else ""
            if method in ("backward", "step", "zero_grad") and not training_step:
                return False
            bare_initialiser = isinstance(sub.func, ast.Name) and _from_torch_init(sub.func.id, imports, star_imports)
            # ``x.new(b).uniform_(0, 1)``, ``torch.empty(n).normal_()``: a tensor made on the spot
            # (scheduled sampling, noise), not a parameter
            filled = method in INIT_METHODS and not isinstance(sub.func.value, ast.Call)
            loads_module = loads and method == "load_state_dict" and not is_training_state(_dotted(sub.func.value))
            if _on_plain_layer(sub, plain):
                continue  # nn.init.normal_(self.encoder.weight), self.encoder.weight.data.uniform_()
            if ".init." in f".{name}" or filled or method == "apply" or loads_module:
                sets = True
            sets = sets or bare_initialiser
        elif isinstance(sub, (ast.Assign, ast.AugAssign)):
            targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
            for target in targets:
                while isinstance(target, ast.Subscript):
                    target = target.value
                if isinstance(target, ast.Attribute) and (
                    target.attr in ("weight", "bias", "data") or target.attr.startswith(("weight_", "bias_"))
                ):
                    if not _within(_dotted(target.value), plain):
                        sets = True
    return sets


def _within(name: str | None, plain: frozenset[str]) -> bool:
    """Whether ``name`` is one of the ``plain`` layers or something of one (``self.encoder.weight``)."""
    return name is not None and any(name == layer or name.startswith(layer + ".") for layer in plain)


def _on_plain_layer(call: ast.Call, plain: frozenset[str]) -> bool:
    """An initialiser call that sets values only in a plain layer: ``nn.init.normal_(self.encoder.weight)``
    (its first argument is one) or ``self.encoder.weight.data.uniform_()`` (its receiver is)."""
    if not plain or not isinstance(call.func, ast.Attribute):
        return False
    if ".init." in f".{_dotted(call.func) or ''}":
        return bool(call.args) and _within(_dotted(call.args[0]), plain)
    return call.func.attr in INIT_METHODS and _within(_dotted(call.func.value), plain)


def _from_torch_init(name: str, imports: dict[str, list[Any]], star_imports: list[list[Any]]) -> bool:
    """Whether the bare ``name`` is one of ``torch.nn.init``'s functions, imported from it by name
    (``from torch.nn.init import uniform_`` or ``… as u``) or with ``from torch.nn.init import *``."""
    imported = imports.get(name)
    if imported is not None:
        module, attribute, level = imported
        return level == 0 and module == "torch.nn.init" and attribute is not None
    return name in INIT_METHODS and ["torch.nn.init", 0] in star_imports


def _recurrent_class(node: ast.expr, imports: dict[str, list[Any]]) -> str | None:
    """``nn.LSTM`` / ``torch.nn.GRU`` / ``LSTM`` imported from torch.nn, as a class (not called)."""
    name = _dotted(node)
    if name is None:
        return None
    parts = name.split(".")
    if parts[-1] not in _RECURRENT:
        return None
    head = imports.get(parts[0])
    if head is None:
        return None
    origin = ".".join(filter(None, [head[0], head[1]])) if head[1] else head[0]
    full = ".".join([origin, *parts[1:]])
    return parts[-1] if full == f"torch.nn.{parts[-1]}" or full == f"torch.nn.modules.rnn.{parts[-1]}" else None


#: ``global a, b``: names a function may rebind at module level.
_GLOBALS = re.compile(r"\bglobal[ \t]+([^\n;#]*)")
#: ``self.encoder(`` or ``self.encoder.forward(``: a call of what an attribute holds.
_CALLED_ATTRIBUTE = re.compile(r"self\.(\w+)\s*(?:\(|\.\s*forward\s*\()")


def _kept_parameter(node: ast.expr) -> str | None:
    """``encoder``, ``encoder.to(device)`` or ``encoder.cuda()``: the name an ``__init__`` keeps
    (a parameter when it is one)."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SELF_METHODS:
        node = node.func.value
    return node.id if isinstance(node, ast.Name) else None


_NONE: frozenset[str] = frozenset()

#: A package's helper named as a loader (``load_checkpoint``, ``restore_model``, ``load``; not
#: ``upload_to_hub`` nor ``download``): the last part of the name, lower-cased.
_LOADER_NAME = re.compile(r"(?:^|_)(?:load|restore)(?:_|$)")
#: A method whose name may be a loader's, read to see whether it loads (``load_model``,
#: ``restore``, ``from_checkpoint``, ``init_from_pretrained``).
_LOADER_METHOD_HINT = re.compile(r"load|restore|checkpoint|pretrained", re.IGNORECASE)


def is_loader_name(callee: str) -> bool:
    """A helper whose body cannot be read, named as a loader (``load_checkpoint(model, path)``)."""
    return _LOADER_NAME.search(callee.rsplit(".", 1)[-1].lower()) is not None


def _run_by_init(node: ast.ClassDef) -> set[str]:
    """``__init__`` and the methods it runs (``self.init_weights()``, and what those run)."""
    methods = {m.name: m for m in node.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))}
    run = {"__init__"}
    pending = ["__init__"] if "__init__" in methods else []
    while pending:
        for call in _own_calls(methods[pending.pop()]):
            if call in methods and call not in run:
                run.add(call)
                pending.append(call)
    return run


def _own_calls(method: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """The names of the ``self.name(...)`` calls in a method's body."""
    return {
        node.func.attr
        for node in ast.walk(method)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "self"
    }


def _loads_every_time(
    function: ast.FunctionDef | ast.AsyncFunctionDef, own_functions: frozenset[str], saved: dict[str, int] | None = None
) -> bool:
    """Whether a function loads weights each time it runs: a ``load_state_dict`` (of no copy of a
    model's own state: early stopping), ``from_pretrained``, … call outside any ``if``, ``while``
    and ``except`` (``if resume: model.load_state_dict(...)`` may not run)."""
    own = _own_state_names(function.body, own_functions, saved)

    def loads(statements: list[ast.stmt]) -> bool:
        for statement in statements:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            if isinstance(statement, (ast.If, ast.While)):
                if _returns(statement):
                    return False  # ``if not os.path.exists(path): return``: what follows may not run
                continue
            if isinstance(statement, ast.Try):
                body = [] if _carries_on(statement) else statement.body
                if loads(body) or loads(statement.orelse) or loads(statement.finalbody):
                    return True
                continue
            if isinstance(statement, (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith)):
                if loads(statement.body):
                    return True
                continue
            for node in ast.walk(statement):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    if node.func.attr in LOAD_METHODS and _loads_weights(node, own, own_functions, saved):
                        return True
        return False

    return loads(function.body)


#: What an optimiser, a learning-rate scheduler or a gradient scaler is usually named: loading
#: its state (``optimizer.load_state_dict(checkpoint["optimizer"])``) loads no model weights.
_TRAINING_STATE = re.compile(r"optim|sched|scaler", re.IGNORECASE)


def is_training_state(receiver: str | None) -> bool:
    """Whether ``receiver.load_state_dict(...)`` restores an optimiser's or a scheduler's state
    (by the receiver's last name: ``optimizer``, ``self.lr_scheduler``, ``scaler``)."""
    return receiver is not None and _TRAINING_STATE.search(receiver.rsplit(".", 1)[-1]) is not None


def _returns(node: ast.stmt) -> bool:
    """Whether a block returns somewhere inside (not in a function defined there)."""
    pending: list[ast.AST] = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, ast.Return):
            return True
        if not isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            pending.extend(ast.iter_child_nodes(current))
    return False


def _carries_on(node: ast.Try) -> bool:
    """A ``try`` one of whose ``except`` blocks lets the run go on (does not raise again or exit):
    what the body does may not have happened."""
    return any(not _ends_raising(handler) for handler in node.handlers)


def _ends_raising(handler: ast.ExceptHandler) -> bool:
    last = handler.body[-1] if handler.body else None
    if isinstance(last, ast.Raise):
        return True
    return (
        isinstance(last, ast.Expr)
        and isinstance(last.value, ast.Call)
        and _dotted(last.value.func) in ("sys.exit", "exit", "quit", "os._exit")
    )


def _loads_weights(
    node: ast.Call, names: frozenset[str], functions: frozenset[str], saved: dict[str, int] | None = None
) -> bool:
    """Whether ``receiver.load_state_dict(...)`` (or another of ``LOAD_METHODS``) loads trained
    weights into a model: not an optimiser's or a scheduler's state, not the restore of the run's
    own state (``_restores_own``)."""
    receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
    if receiver is not None and is_training_state(_dotted(receiver)):
        return False
    return not _restores_own(node, names, functions, saved)


def _restores_own(
    node: ast.Call, names: frozenset[str], functions: frozenset[str], saved: dict[str, int] | None = None
) -> bool:
    """``model.load_state_dict(best_state)`` with ``best_state`` a copy of the model's own state."""
    if not isinstance(node.func, ast.Attribute) or node.func.attr != "load_state_dict":
        return False
    given = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "state_dict"), None)
    return given is not None and _own_state(given, names, functions, saved)


# --- a model's own state: restoring it loads nothing ---------------------------------------

#: calls whose result is a copy of their first argument
_COPIES = frozenset({"deepcopy", "copy", "dict", "OrderedDict"})


def _own_state(
    node: ast.expr,
    names: frozenset[str],
    functions: frozenset[str],
    saved: dict[str, int] | None = None,
    unpickled: frozenset[str] = frozenset(),
) -> bool:
    """Whether ``node`` is (a copy of) a module's own ``state_dict()``: the call itself,
    ``copy.deepcopy(...)``/``dict(...)`` of one, ``{k: v.clone() for k, v in ....items()}``, a
    name bound only to one (``names``), or a call of a function returning one (``functions``).
    Not the state of a model read from a checkpoint (``checkpoint["model"].state_dict()``, or of
    a name bound to such a value: ``unpickled``), which OpenNMT-py filters and loads."""
    if isinstance(node, ast.Name):
        return node.id in names
    if isinstance(node, ast.Subscript):  # torch.load("best.pt")["model"]
        return _own_state(node.value, names, functions, saved, unpickled)
    if isinstance(node, ast.DictComp):
        return _own_state(node.generators[0].iter, names, functions, saved, unpickled)
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    if isinstance(func, ast.Attribute) and name == "state_dict" and not node.args:
        model = func.value
        return not (_unpickled(model) or (isinstance(model, ast.Name) and model.id in unpickled))
    if saved and _dotted(func) == "torch.load" and node.args:
        # a file this run saved its own state to, earlier in the file (early stopping through a file)
        key = _file_key(node.args[0])
        line = saved.get(key) if key is not None else None
        return line is not None and line < node.lineno
    if isinstance(func, ast.Attribute) and name in ("items", "copy") and not node.args:
        return _own_state(func.value, names, functions, saved, unpickled)
    if name in _COPIES and node.args:
        return _own_state(node.args[0], names, functions, saved, unpickled)
    return isinstance(func, ast.Name) and name in functions


def _unpickled(node: ast.expr | None) -> bool:
    """``checkpoint["model"]`` or ``torch.load(path)``: an object read back from a file."""
    return isinstance(node, ast.Subscript) or (isinstance(node, ast.Call) and _dotted(node.func) == "torch.load")


def _file_key(node: ast.expr, once: frozenset[str] | None = None) -> str | None:
    """The file a literal path names, or a name of ``once`` (a name the file binds once, to a
    string or an f-string: ``model_path = f"model_files/{folder}/lstm_crf.m"``; at a load, any
    name, which counts only if a save gave the same key); None for any other expression (two
    parameters both called ``path``, in ``save(self, path)`` and ``load(path)``, need not be one
    file)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name) and (once is None or node.id in once):
        return f"name:{node.id}"
    return None


def names_bound_once_to_text(tree: ast.Module) -> frozenset[str]:
    """The names the file binds exactly once, in any scope, to a string or an f-string."""
    bindings: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bindings[node.id] = bindings.get(node.id, 0) + 1
        elif isinstance(node, ast.arg):
            bindings[node.arg] = bindings.get(node.arg, 0) + 2  # a parameter: any value
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                name = (alias.asname or alias.name).split(".")[0]
                bindings[name] = bindings.get(name, 0) + 2
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Global, ast.Nonlocal)):
            for name in getattr(node, "names", [getattr(node, "name", "")]):
                bindings[name] = bindings.get(name, 0) + 2
    return frozenset(
        node.targets[0].id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and bindings.get(node.targets[0].id) == 1
        and (
            isinstance(node.value, ast.JoinedStr)
            or (isinstance(node.value, ast.Constant) and isinstance(node.value.value, str))
        )
    )


def _saved_states(tree: ast.Module) -> dict[str, int]:
    """``torch.save(model.state_dict(), "best.pt")`` (or a dict holding one): the file → the first
    line saving to it."""
    saved: dict[str, int] = {}
    once = names_bound_once_to_text(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _dotted(node.func) == "torch.save" and len(node.args) >= 2:
            holds = any(
                isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr == "state_dict"
                for sub in ast.walk(node.args[0])
            )
            key = _file_key(node.args[1], once)
            if holds and key is not None:
                saved[key] = min(saved.get(key, node.lineno), node.lineno)
    return saved


def _own_state_names(
    body: list[ast.stmt], functions: frozenset[str], saved: dict[str, int] | None = None
) -> frozenset[str]:
    """The names a scope binds only to its model's own state (or None, before the first epoch),
    however they are bound elsewhere in it (nested functions and classes are scopes of their own)."""
    bound: dict[str, list[ast.expr | None]] = {}
    pending = list(body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Assign):
            for target in node.targets:
                for name in ast.walk(target):  # ``states[k] = v.clone()`` binds no name
                    if isinstance(name, ast.Name) and isinstance(name.ctx, ast.Store):
                        bound.setdefault(name.id, []).append(node.value if isinstance(target, ast.Name) else None)
            pending.append(node.value)
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.setdefault(node.id, []).append(None)  # for-targets, with ... as, walrus, augmented
        pending.extend(ast.iter_child_nodes(node))
    unpickled = frozenset(name for name, values in bound.items() if any(_unpickled(value) for value in values))
    names: frozenset[str] = frozenset()
    while True:
        found = frozenset(
            name
            for name, values in bound.items()
            if all(
                value is not None
                and (
                    _own_state(value, names, functions, saved, unpickled)
                    or (isinstance(value, ast.Constant) and value.value is None)
                )
                for value in values
            )
            and any(value is not None and _own_state(value, names, functions, saved, unpickled) for value in values)
        )
        if found == names:
            return names
        names = found


def _functions_returning_own_state(body: list[ast.stmt]) -> frozenset[str]:
    """Module functions every ``return`` of which gives a model's own state (sru's
    ``copy_model(model)``: ``states = model.state_dict()``, each tensor cloned, ``return states``)."""
    found = set()
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names = _own_state_names(node.body, frozenset())
            returns = [r for r in ast.walk(node) if isinstance(r, ast.Return)]
            if returns and all(r.value is not None and _own_state(r.value, names, frozenset()) for r in returns):
                found.add(node.name)
    return frozenset(found)


def _unsubscripted(base: ast.expr) -> ast.expr:
    """``Base`` of a base class written ``Base[int]`` (``Generic[T]``): what the class inherits."""
    return base.value if isinstance(base, ast.Subscript) else base


def _dotted(node: ast.expr) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _binding_name(node: ast.expr) -> str | None:
    """``model`` or ``self.model``: the names an instance can be bound to and found again."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return f"self.{node.attr}"
    return None


def _is_main_guard(test: ast.expr) -> bool:
    """``if __name__ == "__main__":`` — the script's body, not a condition."""
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


def _condition(node: ast.stmt, block: int) -> Any:
    """What holds in block number ``block`` of ``node`` (see ``_blocks``), as a formula of
    ``("atom", text, names)``, ``("not", f)``, ``("and", fs)`` and ``("or", fs)``: an ``if``'s test,
    or its negation in the ``else``; a loop or a ``try`` block, an atom of its own (unknown)."""
    if isinstance(node, ast.If):
        test = _formula(node.test)
        return test if block == 0 else ("not", test)
    return ("atom", f"<line {node.lineno} block {block}>", ())


def _formula(test: ast.expr) -> Any:
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return ("not", _formula(test.operand))
    if isinstance(test, ast.BoolOp):
        return ("and" if isinstance(test.op, ast.And) else "or", tuple(_formula(value) for value in test.values))
    names = tuple(sorted({name for sub in ast.walk(test) if (name := _dotted(sub)) is not None}))
    return ("atom", ast.dump(test), names)


#: Conditions over more distinct atoms than this are not checked (2**n cases).
MAX_ATOMS = 8


def _covers_every_case(formulas: list[Any]) -> bool:
    """Whether at least one of ``formulas`` holds whatever the atoms' values."""
    atoms: set[str] = set()
    pending = list(formulas)
    while pending:
        formula = pending.pop()
        if formula[0] == "atom":
            atoms.add(formula[1])
        elif formula[0] == "not":
            pending.append(formula[1])
        else:
            pending.extend(formula[1])
    if len(atoms) > MAX_ATOMS:
        return False
    order = sorted(atoms)
    for case in range(2 ** len(order)):
        values = {atom: bool(case >> bit & 1) for bit, atom in enumerate(order)}
        if not any(_holds(formula, values) for formula in formulas):
            return False
    return True


def _holds(formula: Any, values: dict[str, bool]) -> bool:
    if formula[0] == "atom":
        return values[formula[1]]
    if formula[0] == "not":
        return not _holds(formula[1], values)
    if formula[0] == "and":
        return all(_holds(part, values) for part in formula[1])
    return any(_holds(part, values) for part in formula[1])


def _names_read(formula: Any) -> Iterator[str]:
    if formula[0] == "atom":
        yield from formula[2]
    elif formula[0] == "not":
        yield from _names_read(formula[1])
    else:
        for part in formula[1]:
            yield from _names_read(part)


def _assigned_names(block: list[ast.stmt]) -> set[str]:
    """The names and attribute chains ``block`` assigns (``opt.train_from = ""`` included)."""
    assigned: set[str] = set()
    for statement in block:
        for node in ast.walk(statement):
            if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)) and not isinstance(node.ctx, ast.Load):
                name = _dotted(node.value if isinstance(node, ast.Subscript) else node)
                if name is not None:
                    assigned.add(name)
    return assigned


def _blocks(node: ast.stmt) -> list[list[ast.stmt]]:
    blocks = [getattr(node, "body", [])]
    for name in ("orelse", "finalbody"):
        extra = getattr(node, name, None)
        if extra:
            blocks.append(extra)
    for handler in getattr(node, "handlers", []) or []:
        blocks.append(handler.body)
    return blocks
