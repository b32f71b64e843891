"""The ``rnn-lint`` command.

    rnn-lint [OPTIONS] [PATHS...]          lint (``rnn-lint check ...`` is the same)
    rnn-lint [OPTIONS] - --stdin-filename PATH   lint standard input as the file PATH
    rnn-lint rule CODE | --all             print a rule's documentation
    rnn-lint clean                         remove the result cache (.rnn_lint_cache)

Exit status, as in ruff: 0 when nothing is left to report, 1 when findings remain (``--diff``: when
a file would change), 2 for a usage, configuration or plugin error, or a crash. Errors are one
line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rnn_lint import __version__
from rnn_lint.atomic import write_atomically
from rnn_lint.cache import Cache
from rnn_lint.config import ConfigError, glob_problem, load_settings
from rnn_lint.discover import survey
from rnn_lint.formats import FORMATS, render, statistics
from rnn_lint.registry import (
    RegistryError,
    all_rules,
    rule_by_code,
    select_rules,
    unknown_selectors,
)
from rnn_lint.result_cache import CACHE_DIR_ENV, default_cache_dir
from rnn_lint.rule import Finding, applicable
from rnn_lint.runner import InternalError, Interrupted, Terminated, default_jobs, fix_paths, lint_paths, on_sigterm

if TYPE_CHECKING:
    from rnn_lint.fixer import FixedFile

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    """A command line that cannot be run as given."""


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    with _sigterm_stops_the_run(), _fewer_garbage_collections():
        return _main(args)


@contextlib.contextmanager
def _fewer_garbage_collections():
    """A run allocates a great deal (libcst's classes when it is imported, an entry per file) and
    frees nearly all of it by reference counting: collecting generation 0 every 10,000
    allocations instead of 700 saves about 5% of a run that lints one changed file. Put back
    afterwards (``main`` may be called in a longer-lived process)."""
    threshold = gc.get_threshold()
    gc.set_threshold(10_000, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


@contextlib.contextmanager
def _sigterm_stops_the_run():
    """SIGTERM, like Ctrl-C, stops the run cleanly: the workers are killed (a file being fixed is
    written whole or not at all) and what was written so far is reported."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _report_interruption(stop: Interrupted, fixing: bool) -> None:
    if not fixing:
        _error(f"interrupted by {stop.reason}")
        return
    count = len(stop.written)
    if not count:
        print(f"rnn-lint: interrupted by {stop.reason}: no file was fixed before the stop", file=sys.stderr)
        return
    files = f"{count} file{'s' if count != 1 else ''} {'were' if count != 1 else 'was'}"
    lines = [f"rnn-lint: interrupted by {stop.reason}: {files} fixed before the stop:"]
    lines += [f"  {path}" for path in stop.written]
    print("\n".join(lines), file=sys.stderr)


def _main(args: list[str]) -> int:
    try:
        if args[:1] == ["rule"]:
            return _rule_command(args[1:])
        if args[:1] == ["clean"]:
            return _clean_command(args[1:])
        return _check_command(args[1:] if args[:1] == ["check"] else args)
    except SystemExit as exit:  # argparse: --help, --version, or a usage error it already printed
        return exit.code if isinstance(exit.code, int) else EXIT_ERROR
    except (UsageError, ConfigError, RegistryError) as error:
        _error(str(error))
    except InternalError as error:
        _error(f"internal error: {error} — please report it (`--extend-exclude` that file meanwhile)")
    except Interrupted as stop:
        _report_interruption(stop, fixing="--fix" in args)
        return 128 + getattr(signal, stop.reason)
    except (KeyboardInterrupt, Terminated) as stop:
        return 128 + (signal.SIGTERM if isinstance(stop, Terminated) else signal.SIGINT)
    except BrokenPipeError:  # `rnn-lint | head`: stop quietly, and keep Python quiet at exit too
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except Exception as error:
        _error(f"internal error: {type(error).__name__}: {error} — please report it")
    return EXIT_ERROR


def _error(message: str) -> None:
    print(f"rnn-lint: error: {message}", file=sys.stderr)


# --------------------------------------------------------------------------------------------
# rnn-lint [check] PATHS
# --------------------------------------------------------------------------------------------


def _comma_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _code_list(value: str) -> list[str]:
    """Rule codes; an option given nothing (``--select ''``) keeps one empty code, which the
    check of the selectors turns into an error rather than into selecting no rule."""
    return _comma_list(value) or [""]


def check_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rnn-lint",
        description="Find the silent mistakes in PyTorch RNN/LSTM/GRU code.",
        epilog=(
            "`rnn-lint rule CODE` prints a rule's documentation, `rnn-lint rule --all` every rule's. "
            "Exit status: 0 no findings, 1 findings, 2 error."
        ),
    )
    parser.add_argument(
        "paths", nargs="*", default=["."], metavar="PATH", help="files or directories to lint (default: .)"
    )
    parser.add_argument("--version", action="version", version=f"rnn-lint {__version__}")

    rules = parser.add_argument_group(
        "rule selection (codes or prefixes such as RNN1, RNN, ALL; comma-separated, repeatable)"
    )
    rules.add_argument(
        "--select",
        action="extend",
        type=_code_list,
        metavar="CODES",
        help="the rules to run, instead of the configured ones",
    )
    rules.add_argument(
        "--extend-select",
        action="extend",
        type=_code_list,
        default=[],
        metavar="CODES",
        help="rules to run in addition",
    )
    rules.add_argument(
        "--ignore", action="extend", type=_code_list, default=[], metavar="CODES", help="rules not to run"
    )

    files = parser.add_argument_group("files")
    files.add_argument(
        "--exclude",
        action="extend",
        type=_comma_list,
        metavar="PATTERNS",
        help="glob patterns to skip, replacing the default list",
    )
    files.add_argument(
        "--extend-exclude",
        action="extend",
        type=_comma_list,
        default=[],
        metavar="PATTERNS",
        help="glob patterns to skip, in addition",
    )
    files.add_argument(
        "--force-exclude", action="store_true", help="apply the excludes to paths named on the command line too"
    )
    files.add_argument(
        "--stdin-filename",
        metavar="PATH",
        help="with PATH `-`: the file the source on standard input belongs to (its configuration applies)",
    )
    config = files.add_mutually_exclusive_group()
    config.add_argument(
        "--config", type=Path, metavar="FILE", help="read settings from FILE (pyproject.toml or rnn-lint.toml)"
    )
    config.add_argument(
        "--isolated",
        action="store_true",
        help="ignore every configuration file, and lint each file alone (without the project index)",
    )

    output = parser.add_argument_group("output")
    output.add_argument(
        "--format",
        "--output-format",
        choices=FORMATS,
        default="text",
        dest="format",
        help="report format (default: text)",
    )
    output.add_argument("-o", "--output-file", type=Path, metavar="FILE", help="write the report to FILE")
    output.add_argument(
        "--statistics", action="store_true", help="print the number of findings per rule instead of the findings"
    )
    output.add_argument("-e", "--exit-zero", action="store_true", help="exit 0 even when there are findings")

    fixing = parser.add_argument_group("fixes")
    fixing.add_argument("--fix", action="store_true", help="apply the safe fixes rules offer")
    fixing.add_argument("--unsafe-fixes", action="store_true", help="also offer and apply fixes that change behaviour")
    fixing.add_argument("--diff", action="store_true", help="print the fixes as a unified diff instead of writing them")

    parser.add_argument(
        "-j", "--jobs", type=_positive, metavar="N", help=f"worker processes (default: all {default_jobs()} cores)"
    )
    _add_cache_options(parser)
    return parser


def _add_cache_options(parser: argparse.ArgumentParser) -> None:
    cache = parser.add_argument_group("cache")
    cache.add_argument("-n", "--no-cache", action="store_true", help="neither read nor write the result cache")
    cache.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help=f"where the result cache lives (default: ${CACHE_DIR_ENV}, else .rnn_lint_cache in the project root)",
    )


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {value!r}")
    return number


def _check_command(argv: Sequence[str]) -> int:
    options = check_parser().parse_args(argv)
    universe = all_rules()
    for option, selectors in (
        ("--select", options.select or []),
        ("--extend-select", options.extend_select),
        ("--ignore", options.ignore),
    ):
        for selector in unknown_selectors(selectors, universe):
            if not selector:
                raise UsageError(f"{option}: empty rule code (give codes such as RNN101 or prefixes such as RNN1)")
            raise UsageError(f"{option}: no rule code starts with '{selector}' (see `rnn-lint rule --all`)")
    for option, patterns in (("--exclude", options.exclude or []), ("--extend-exclude", options.extend_exclude)):
        for pattern in patterns:
            problem = glob_problem(pattern)
            if problem:
                raise UsageError(f"{option}: '{pattern}' is not a valid glob: {problem}")
    settings = load_settings(config_file=options.config, isolated=options.isolated).with_overrides(
        select=options.select,
        ignore=options.ignore,
        extend_select=options.extend_select,
        exclude=_from_here(options.exclude) if options.exclude is not None else None,
        extend_exclude=_from_here(options.extend_exclude),
    )
    selected = select_rules(universe, settings.select, settings.ignore, settings.extend_select)
    if _reads_stdin(options):
        return _stdin_command(options, settings, selected)
    common = {
        "jobs": options.jobs,
        "force_exclude": options.force_exclude,
        "project": not options.isolated,
        "cache_dir": None if options.no_cache else options.cache_dir or default_cache_dir(settings),
    }

    if options.diff:
        results = fix_paths(options.paths, settings, unsafe_fixes=options.unsafe_fixes, write=False, **common)
        return _report_diff(results, options.exit_zero)
    fixed = 0
    if options.fix:
        results = fix_paths(options.paths, settings, unsafe_fixes=options.unsafe_fixes, **common)
        _warn_fix_errors(results)
        findings = sorted(finding for result in results for finding in result.findings)
        fixed = sum(result.fixed for result in results)
    else:
        findings = lint_paths(options.paths, settings, **common)

    _write(_report(options, findings, fixed, selected, settings), options.output_file)
    return EXIT_FINDINGS if findings and not options.exit_zero else EXIT_CLEAN


def _report(options: argparse.Namespace, findings: Sequence[Finding], fixed: int, selected, settings=None) -> str:
    """The report; ``settings`` (a run over paths): say "no Python files found" when so."""
    if options.statistics:
        report = _statistics_report(findings, options.format)
    else:
        report = render(options.format, findings, selected)
    nothing_found = settings is not None and not findings and not fixed and _no_python_files(options, settings)
    if (options.format == "text" or (options.statistics and options.format != "json")) and not nothing_found:
        report += "".join(f"{line}\n" for line in _summary(findings, fixed, options.fix, options.unsafe_fixes))
    return report


def _reads_stdin(options: argparse.Namespace) -> bool:
    """``-`` as the path; or, as in ruff, ``--stdin-filename`` with no path."""
    if "-" not in options.paths and not (options.stdin_filename is not None and options.paths == ["."]):
        if options.stdin_filename is not None:
            raise UsageError("--stdin-filename names the file read from standard input: give `-` as the path")
        return False
    if options.paths not in (["-"], ["."]):
        raise UsageError("`-` (read standard input) cannot be combined with other paths")
    return True


def _stdin_command(options: argparse.Namespace, settings, selected) -> int:
    """Lint (or fix) the source on standard input as the file ``--stdin-filename``. With ``--fix``
    the fixed source goes to standard output and the report to standard error (or --output-file)."""
    from rnn_lint.stdin import fix_stdin, lint_stdin

    data = sys.stdin.buffer.read()
    filename = options.stdin_filename
    if options.fix or options.diff:
        output, result = fix_stdin(
            data, settings, filename, unsafe_fixes=options.unsafe_fixes, force_exclude=options.force_exclude
        )
        if options.diff:
            return _report_diff([result], options.exit_zero)
        _warn_fix_errors([result])
        sys.stdout.buffer.write(output)
        sys.stdout.flush()
        report = _report(options, result.findings, result.fixed, selected)
        if options.output_file is not None:
            _write(report, options.output_file)
        else:
            sys.stderr.write(report)
        findings = result.findings
    else:
        findings = lint_stdin(data, settings, filename, force_exclude=options.force_exclude)
        _write(_report(options, findings, 0, selected), options.output_file)
    return EXIT_FINDINGS if findings and not options.exit_zero else EXIT_CLEAN


def _no_python_files(options: argparse.Namespace, settings) -> bool:
    """When a run reported nothing: whether that is because it found no file to lint. If so, say
    so on stderr with what was left out and why (as ruff does), instead of "All checks passed!"."""
    count, skipped = survey(options.paths, settings, force_exclude=options.force_exclude)
    if count:
        return False
    reasons = ", ".join(f"{number} {reason}" for reason, number in sorted(skipped.items()))
    print(
        "rnn-lint: warning: no Python files found under the given paths"
        + (f" (left out: {reasons})" if reasons else ""),
        file=sys.stderr,
    )
    return True


def _from_here(patterns: Sequence[str]) -> list[str]:
    """Command-line patterns with a directory part are relative to the current directory, not to
    the configuration file's: anchor them here (bare names match at any depth anyway)."""
    return [os.path.join(os.getcwd(), p) if "/" in p.rstrip("/") and not os.path.isabs(p) else p for p in patterns]


def _summary(findings: Sequence[Finding], fixed: int, fixing: bool, unsafe_fixes: bool) -> list[str]:
    total = len(findings) + fixed
    if total == 0:
        return ["All checks passed!"]
    errors = f"{total} error{'s' if total != 1 else ''}"
    lines = [f"Found {errors} ({fixed} fixed, {len(findings)} remaining)." if fixed else f"Found {errors}."]
    available = sum(applicable(finding.fix, unsafe_fixes) for finding in findings)
    hidden = sum(finding.fix is not None and not applicable(finding.fix, unsafe_fixes) for finding in findings)
    hint = (
        f"{hidden} hidden fix{'es' if hidden != 1 else ''} can be enabled with the `--unsafe-fixes` option"
        if hidden
        else ""
    )
    if available and not fixing:
        lines.append(f"[*] {available} fixable with the `--fix` option" + (f" ({hint})." if hint else "."))
    elif hint:
        lines.append(f"No fixes available ({hint}).")
    return lines


def _statistics_report(findings: Sequence[Finding], format: str) -> str:
    rows = statistics(findings)
    if format == "json":
        return json.dumps([{"code": code, "name": name, "count": count} for code, name, count in rows], indent=2) + "\n"
    count_width = max((len(str(count)) for _, _, count in rows), default=1)
    code_width = max((len(code) for code, _, _ in rows), default=1)
    return "".join(f"{count:>{count_width}}\t{code:<{code_width}}\t{name}\n" for code, name, count in rows)


def _report_diff(results: Sequence[FixedFile], exit_zero: bool) -> int:
    """--diff, like ruff's: the diffs on stdout, a count on stderr, exit 1 when a file would change."""
    _warn_fix_errors(results)
    diffs = [result.diff for result in results if result.diff]
    sys.stdout.write("".join(diffs))
    fixable = sum(result.fixed for result in results)
    print(
        f"Would fix {fixable} error{'s' if fixable != 1 else ''}." if fixable else "No errors would be fixed.",
        file=sys.stderr,
    )
    return EXIT_FINDINGS if diffs and not exit_zero else EXIT_CLEAN


def _warn_fix_errors(results: Sequence[FixedFile]) -> None:
    for result in results:
        if result.error:
            print(f"rnn-lint: warning: {result.error}", file=sys.stderr)


def _write(report: str, output_file: Path | None) -> None:
    if output_file is None:
        try:
            sys.stdout.write(report)
        except UnicodeEncodeError:  # an ASCII (or other narrow) stdout: escape what it cannot show
            if not hasattr(sys.stdout, "reconfigure"):
                raise
            sys.stdout.reconfigure(errors="backslashreplace")
            sys.stdout.write(report)
        sys.stdout.flush()
        return
    try:
        # Encoded before the file is touched, written whole or not at all: an existing report is
        # never left truncated.
        write_atomically(output_file, report.encode("utf-8", "backslashreplace"))
    except OSError as error:
        raise UsageError(f"--output-file: cannot write {output_file}: {error.strerror or error}") from error


# --------------------------------------------------------------------------------------------
# rnn-lint clean
# --------------------------------------------------------------------------------------------


def _clean_command(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="rnn-lint clean", description="Remove the result cache of this project.")
    config = parser.add_mutually_exclusive_group()
    config.add_argument("--config", type=Path, metavar="FILE", help="the project whose cache to remove")
    config.add_argument("--isolated", action="store_true", help="ignore every configuration file")
    parser.add_argument("--cache-dir", type=Path, metavar="DIR", help="remove this cache folder instead")
    options = parser.parse_args(argv)
    directory = options.cache_dir or default_cache_dir(
        load_settings(config_file=options.config, isolated=options.isolated)
    )
    if directory.exists():
        if not (directory / "CACHEDIR.TAG").is_file():  # never delete a folder we did not make
            raise UsageError(f"{directory} is not an rnn-lint cache (it has no CACHEDIR.TAG); not removed")
        print(f"Removing cache at: {directory}")
        Cache(directory).clear()
    return EXIT_CLEAN


# --------------------------------------------------------------------------------------------
# rnn-lint rule CODE | --all
# --------------------------------------------------------------------------------------------


def _rule_command(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="rnn-lint rule", description="Print the documentation of a rule, or of every rule."
    )
    parser.add_argument("code", nargs="?", help="a rule code, e.g. RNN102")
    parser.add_argument("--all", action="store_true", help="every registered rule, built-in and from plugins")
    options = parser.parse_args(argv)
    if options.all == bool(options.code):
        parser.error("give either a rule code or --all")
    if options.all:
        sys.stdout.write("\n".join(rule.documentation() for rule in all_rules()))
        return EXIT_CLEAN
    rule = rule_by_code(options.code)
    if rule is None:
        raise UsageError(f"unknown rule code '{options.code}' (see `rnn-lint rule --all`)")
    sys.stdout.write(rule.documentation())
    return EXIT_CLEAN
