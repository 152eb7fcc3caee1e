"""Sync and async twins cannot drift: each async class, normalised, is its sync twin but for a short list.

The twins are written by hand, and read and debugged as plain code; this test holds them together. It
parses both classes, turns the async one into what its sync twin would be (``async def`` → ``def``,
``await x`` → ``x``, ``async with``/``async for`` → ``with``/``for``, and the names in ``renames``, e.g.
``aserialized`` → ``serialized``), and compares them method by method as ``ast.unparse`` prints them:
comments and line breaks may differ, code may not. A method may differ only by the exact lines listed
for it in ``differences``, each with the reason; a listed line that no longer differs fails too, so the
list stays short and true. On failure the message shows the diff of the method that drifted.
"""

from __future__ import annotations

import ast
import difflib
import importlib
import inspect
from dataclasses import dataclass, field

import pytest

#: a method whose whole body may differ (the line list of :class:`Lines` would be the whole method)
WHOLE = "whole method"


@dataclass(frozen=True)
class Lines:
    """Lines, as ``ast.unparse`` prints them (async side already normalised), only one twin has."""

    why: str
    sync_only: tuple[str, ...] = ()
    async_only: tuple[str, ...] = ()
    whole: bool = False


@dataclass(frozen=True)
class Twins:
    module: str
    sync: str
    async_: str
    #: async names and their sync twins' (module-level names, attributes and call targets alike)
    renames: dict[str, str] = field(default_factory=dict)
    #: member name (``<class>`` for the class body outside methods) -> its intended difference
    differences: dict[str, Lines] = field(default_factory=dict)
    #: compare docstrings too (the contract's text); else they are left out
    docstrings: bool = False


TWINS = [
    Twins(
        "pauseable.controller",
        "Controller",
        "AsyncController",
        renames={
            "aserialized": "serialized",
            "AsyncGate": "Gate",
            "AsyncConsumerAdapter": "ConsumerAdapter",
            "AsyncLookupAdapter": "LookupAdapter",
            "AsyncRebalanceCallback": "RebalanceCallback",
            "_acall_back": "_call_back",
            "asyncio.sleep": "time.sleep",
            "AsyncAttachment": "SyncAttachment",
        },
        differences={
            "<class>": Lines(
                "the sync controller closes its side client when garbage collected (weakref.finalize); an "
                "async close cannot run in a finalizer",
                sync_only=(
                    "__slots__ = ('__weakref__', '_adapter', '_attachment', '_closer', '_consumer', '_core', '_gate', "
                    "'_lookup_config', '_lookups')",
                ),
                async_only=(
                    "__slots__ = ('__weakref__', '_adapter', '_attachment', '_consumer', '_core', '_gate', "
                    "'_lookup_config', '_lookups')",
                ),
            ),
            "__init__": Lines(
                "the finalizer that closes the sync side client",
                sync_only=("self._closer: weakref.finalize[Any, Any] | None = None",),
            ),
            "_offsets": Lines(
                "the sync side client is closed by a finalizer too",
                sync_only=(
                    "if side is not None:",
                    "self._closer = weakref.finalize(self, side.close)",
                    "self._closer.atexit = False",
                ),
            ),
            "_close_lookups": Lines("closed through the finalizer, or awaited", whole=True),
            "_new_consumer": Lines("an async Rebuild's factory may be a coroutine function", whole=True),
            "_retried": Lines(
                "the async lookup is a coroutine function, called afresh for each attempt",
                sync_only=("def _retried(self, lookup: Callable[[], T]) -> T:",),
                async_only=("def _retried(self, lookup: Callable[[], Awaitable[T]]) -> T:",),
            ),
        },
    ),
    Twins(
        "pauseable_confluent_kafka",
        "ConfluentAdapter",
        "ConfluentAsyncAdapter",
        renames={
            "AsyncAssignedHook": "AssignedHook",
            "AsyncRevokedHook": "RevokedHook",
            "ConfluentAsyncAdapter": "ConfluentAdapter",
            "asyncio.sleep": "time.sleep",
            "AIOConsumer": "confluent_kafka.Consumer",
        },
        differences={
            "close": Lines(
                "AIOConsumer's close runs the inner Consumer's close on a daemon thread of ours, not on its "
                "executor, whose threads the interpreter joins at exit",
                whole=True,
            ),
            "is_closed": Lines("AIOConsumer knows it is closed; Consumer cannot tell", whole=True),
            "lookup_adapter": Lines(
                "the async side client runs one lookup at a time on its executor",
                sync_only=(
                    "return None if config is None else ConfluentAdapter(confluent_kafka.Consumer("
                    "side_config(config)), side=True)",
                ),
                async_only=(
                    "if config is None:",
                    "return None",
                    "return ConfluentAdapter(confluent_kafka.Consumer(side_config(config), max_workers=1), side=True)",
                ),
            ),
        },
    ),
    Twins(
        "pauseable.group.applier",
        "Applier",
        "AsyncApplier",
        differences={
            "apply": Lines(
                "the control client blocks: the async twin runs its calls in a thread",
                sync_only=(
                    "self.decisions.follower.sync()",
                    "self._mark(self.decisions.mark_records(ended, decided, False, self._partitions))",
                    "self._mark(self.decisions.mark_records(ended, done, True, self._partitions))",
                ),
                async_only=(
                    "asyncio.to_thread(self.decisions.follower.sync)",
                    "asyncio.to_thread(self._mark, self.decisions.mark_records(ended, decided, False, "
                    "self._partitions))",
                    "asyncio.to_thread(self._mark, self.decisions.mark_records(ended, done, True, self._partitions))",
                ),
            ),
            "close": Lines("the follower's join and the writer's close run in a thread", whole=True),
        },
    ),
    Twins(
        "pauseable.flow.flow",
        "Flow",
        "AsyncFlow",
        renames={
            "AsyncController": "Controller",
            "AsyncRebalanceCallback": "RebalanceCallback",
            "AsyncIterator": "Iterator",
            "contextlib.asynccontextmanager": "contextlib.contextmanager",
            "asyncio.sleep": "time.sleep",
        },
        differences={
            "subscribe": Lines(
                "an async on_revoked may be a coroutine function",
                sync_only=("on_revoked(partitions)",),
                async_only=("_maybe_await(on_revoked(partitions))",),
            ),
            "failed": Lines(
                "an async dead letter may be a coroutine function",
                sync_only=("dead_letter(record, error)",),
                async_only=("_maybe_await(dead_letter(record, error))",),
            ),
        },
    ),
    Twins(
        "pauseable.protocol",
        "PauseController",
        "AsyncPauseController",
        renames={"AsyncRebalanceCallback": "RebalanceCallback"},
        differences={
            "<class>": Lines(
                "the class docstrings",
                whole=True,
            ),
        },
        docstrings=True,
    ),
]


class _Unasync(ast.NodeTransformer):
    """The async twin's code as the sync twin's would read."""

    def __init__(self, renames: dict[str, str]) -> None:
        self.renames = renames

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AST:
        self.generic_visit(node)
        return ast.copy_location(ast.FunctionDef(**{f: getattr(node, f) for f in node._fields}), node)

    def visit_AsyncWith(self, node: ast.AsyncWith) -> ast.AST:
        self.generic_visit(node)
        return ast.copy_location(ast.With(**{f: getattr(node, f) for f in node._fields}), node)

    def visit_AsyncFor(self, node: ast.AsyncFor) -> ast.AST:
        self.generic_visit(node)
        return ast.copy_location(ast.For(**{f: getattr(node, f) for f in node._fields}), node)

    def visit_Await(self, node: ast.Await) -> ast.AST:
        return self.visit(node.value)

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        self.generic_visit(node)
        node.is_async = 0
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        dotted = ast.unparse(node)
        if dotted in self.renames:
            return ast.copy_location(ast.parse(self.renames[dotted], mode="eval").body, node)
        self.generic_visit(node)
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.renames:
            return ast.copy_location(ast.parse(self.renames[node.id], mode="eval").body, node)
        return node


def _strip_docstrings(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and _is_docstring(node.body[0]):
            node.body = node.body[1:] or [ast.Pass()]


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _members(twins: Twins, name: str, renames: dict[str, str], source: str) -> dict[str, list[str]]:
    """Each member of class ``name`` as unparsed lines (nested bodies flattened one statement a line)."""
    (cls,) = [n for n in ast.parse(source).body if isinstance(n, ast.ClassDef) and n.name == name]
    if renames:
        cls = _Unasync(renames).visit(cls)
    if not twins.docstrings:
        _strip_docstrings(cls)
    members: dict[str, list[str]] = {}
    rest: list[str] = []
    for node in cls.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            members[node.name] = [line.strip() for line in ast.unparse(node).splitlines()]
        elif not _is_docstring(node) or twins.docstrings:
            rest.extend(line.strip() for line in ast.unparse(node).splitlines())
    members["<class>"] = rest
    return members


def _drift(twins: Twins, source: str | None = None) -> list[str]:
    """What differs between the twins beyond ``twins.differences`` (``source``: the module's, by default)."""
    source = source if source is not None else inspect.getsource(importlib.import_module(twins.module))
    sync = _members(twins, twins.sync, {}, source)
    async_ = _members(twins, twins.async_, {**twins.renames, twins.async_: twins.sync}, source)
    problems = []
    for name in sorted(set(sync) ^ set(async_)):
        problems.append(f"{name}: only in {twins.sync if name in sync else twins.async_}")
    for name in sorted(set(sync) & set(async_)):
        expected = twins.differences.get(name)
        if expected is not None and expected.whole:
            if sync[name] == async_[name]:
                problems.append(f"{name}: listed as differing ({expected.why}) but the twins agree: unlist it")
            continue
        diff = list(difflib.ndiff(sync[name], async_[name]))
        sync_only = tuple(line[2:] for line in diff if line.startswith("- "))
        async_only = tuple(line[2:] for line in diff if line.startswith("+ "))
        allowed = expected or Lines("")
        if (sorted(sync_only), sorted(async_only)) != (sorted(allowed.sync_only), sorted(allowed.async_only)):
            shown = "\n".join(difflib.unified_diff(sync[name], async_[name], twins.sync, twins.async_, lineterm=""))
            problems.append(
                f"{name}: the twins differ other than listed in tests/test_twins.py"
                f"{' (' + allowed.why + ')' if allowed.why else ''}; make them agree, or list the difference "
                f"with its reason:\n{shown}"
            )
    for name in sorted(set(twins.differences) - (set(sync) & set(async_))):
        problems.append(f"{name}: listed as a difference, but not a member of both twins")
    return problems


@pytest.mark.parametrize("twins", TWINS, ids=lambda t: f"{t.module}.{t.async_}")
def test_the_async_twin_is_the_sync_one_awaited_but_for_the_listed_differences(twins: Twins) -> None:
    problems = _drift(twins)
    assert not problems, "\n\n".join(problems)


def test_the_check_catches_drift_and_stale_listings() -> None:
    """A line changed in one twin only is caught, and so is a listed difference that is gone."""
    twins = TWINS[0]
    source = inspect.getsource(importlib.import_module(twins.module))
    split = source.index("class AsyncController")
    sync_part, async_part = source[:split], source[split:]
    drifted = async_part.replace("self._core.after_pause(self, tps, reason, seconds=for_seconds, then=then)", "pass", 1)
    assert drifted != async_part
    (problem,) = _drift(twins, sync_part + drifted)
    assert problem.startswith("pause: the twins differ") and "-self._core.after_pause(" in problem

    body = async_part[async_part.index("made = strategy.factory()") : async_part.index("else made") + len("else made")]
    agreeing = async_part.replace(body, "return strategy.factory()", 1)
    (problem,) = _drift(twins, sync_part + agreeing)
    assert problem.startswith("_new_consumer: listed as differing")
