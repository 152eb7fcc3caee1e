"""The ``pauseable`` command: ``backends`` here; ``broker``, ``conformance``, ``demo``, ``bench`` from the kits.

The runtime owns ``pauseable backends`` and group pauses' ``pause``, ``resume``, ``status`` and
``control-topic`` (:mod:`pauseable.group.cli`). Other distributions add commands through the entry-point
group ``pauseable.commands`` (name = command, value = a function that adds its sub-parser): the testing
kit (``pauseable-testing``) adds ``broker``, ``conformance`` and ``demo``, the benchmark package
(``pauseable-bench``) adds ``bench``. When one is not installed, its command is still listed and says
what to install.

Results go to stdout; progress and errors go to stderr. Exit status 0 on success, 1 when pauseable
reports an error (or a command's package is not installed), 2 for bad usage.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from pauseable import __version__
from pauseable.errors import PauseableError

#: Commands that other distributions provide, the distribution, and how to get it.
KIT_COMMANDS: dict[str, tuple[str, str]] = {
    "broker": ("run a local Apache Kafka broker (no Docker)", "pip install pauseable-testing"),
    "conformance": ("run the conformance suite against installed backends", "pip install pauseable-testing"),
    "demo": ("show what a skip strategy delivers and skips, on a real broker", "pip install pauseable-testing"),
    "bench": ("benchmark the skip strategies on every installed backend", "pip install -e benchmarks (a checkout)"),
}
_ORDER = ("broker", "backends", "pause", "resume", "status", "control-topic", "conformance", "demo", "bench")
#: The entry-point group of commands; each value is ``add(commands)`` that adds one sub-parser.
COMMANDS_GROUP = "pauseable.commands"


def _backends(args: argparse.Namespace) -> int:
    from pauseable.registry import backends, broken_plugins

    installed = backends()
    broken = broken_plugins()
    if args.json:
        listing: list[dict[str, Any]] = [
            {
                "name": b.name,
                "client": b.client,
                "client_version": b.client_version,
                "kind": "async" if b.is_async else "sync",
                "consumer_class": b.consumer_class,
                "package": b.package,
            }
            for b in installed.values()
        ]
        listing += [{"plugin": name, "broken": reason} for name, reason in broken.items()]
        print(json.dumps(listing, indent=2))
        return 0
    headers = ("backend", "kind", "client", "consumer class", "adapter package")
    rows = [
        (b.name, "async" if b.is_async else "sync", f"{b.client} {b.client_version}", b.consumer_class, b.package)
        for b in installed.values()
    ]
    if rows:  # plain columns, like `pip list`: the same on a terminal, in a pipe and in a file
        widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
        for line in (headers, tuple("-" * w for w in widths), *rows):
            print("  ".join(str(cell).ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
    for name, reason in broken.items():
        _err(f"pauseable: plugin {name!r} is installed but broken, not loaded: {reason}")
    if not installed:
        _err("no backend is installed: pip install 'pauseable[confluent-kafka]' (or [aiokafka], [kafka-python])")
        return 1
    return 0


def _missing(command: str, install: str, reason: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        _err(f"pauseable: `pauseable {command}` is not available: {reason}; {install}")
        return 1

    return run


def _add_backends(commands: Any) -> None:
    listing = commands.add_parser("backends", help="list the installed backends and their client versions")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    listing.set_defaults(func=_backends)


def _add_group_commands(commands: Any) -> None:
    from pauseable.group.cli import add_commands

    add_commands(commands)  # pause, resume, status, control-topic


class _Formatter(argparse.HelpFormatter):
    """Shows each option's default in ``--help``, when it has one worth showing."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        worth = action.default not in (None, False, [], argparse.SUPPRESS)
        shown = worth and "%(default)" not in text and "default:" not in text
        if shown and (action.option_strings or action.nargs in (argparse.OPTIONAL, argparse.ZERO_OR_MORE)):
            return f"{text} (default: %(default)s)"
        return text


class Parser(argparse.ArgumentParser):
    """The parser of ``pauseable`` and of every sub-command: defaults shown in ``--help``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="pauseable",
        description="Pause and resume Kafka consumers the same way on every Python client.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    # Not `required=True`: argparse would then answer an unknown flag with "arguments are required".
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    adders: dict[str, Callable[[Any], None]] = {"backends": _add_backends, "pause": _add_group_commands}
    failed: dict[str, str] = {}
    for entry_point in importlib.metadata.entry_points(group=COMMANDS_GROUP):
        try:
            adders.setdefault(entry_point.name, entry_point.load())
        except Exception as exc:  # a broken kit must not take `pauseable backends` down with it
            failed[entry_point.name] = f"its package failed to import ({type(exc).__name__}: {exc})"
    names = [n for n in _ORDER if n in adders or n in KIT_COMMANDS] + sorted(set(adders) - set(_ORDER))
    for name in names:
        if name in adders:
            adders[name](commands)
            continue
        purpose, install = KIT_COMMANDS[name]
        reason = failed.get(name, "its package is not installed")
        stub = commands.add_parser(name, help=f"{purpose} (not installed: {install})", add_help=False)
        stub.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        stub.set_defaults(func=_missing(name, install, reason))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.error(f"a command is required: {', '.join(_ORDER)} (see pauseable --help)")
    try:
        status = int(args.func(args))
        sys.stdout.flush()  # inside the try: a pipe closed early shows here, not in Python's exit
        return status
    except PauseableError as exc:
        _err(f"pauseable: error: {exc}")
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`pauseable backends --json | head`): stop quietly, as a shell tool does.
        # Python would report the pipe again when it flushes stdout at exit; point stdout elsewhere first.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what the shell reports for a tool killed by the broken pipe


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
