"""Documentation where users look: ``help(ctl.pause)`` and an IDE's hover show the contract's text.

The text is written once, in :mod:`pauseable.protocol`; the controllers inherit it (they implement the
protocols explicitly), and tests/test_twins.py holds the async protocol's text to the sync one's.
"""

from __future__ import annotations

import inspect
import pydoc
import re

import pytest

import pauseable
from pauseable import adapter
from pauseable.controller import AsyncController, Controller
from pauseable.protocol import AsyncPauseController, PauseController

PAIRS = [(Controller, PauseController), (AsyncController, AsyncPauseController)]


def _public(cls: type) -> list[str]:
    return sorted(name for name in dir(cls) if not name.startswith("_"))


@pytest.mark.parametrize(("cls", "contract"), PAIRS, ids=lambda c: c.__name__)
def test_every_operation_of_the_contract_is_implemented_and_documented_by_it(cls: type, contract: type) -> None:
    operations = _public(contract)
    assert operations, contract
    for name in operations:
        assert name in cls.__dict__, f"{cls.__name__}.{name}: not implemented (the protocol's stub would answer)"
        doc = inspect.getdoc(getattr(contract, name))
        assert doc, f"{contract.__name__}.{name} has no docstring: the contract documents every operation"
        assert inspect.getdoc(getattr(cls, name)) == doc, (
            f"{cls.__name__}.{name}: documented apart from the contract; delete its docstring to inherit the protocol's"
        )


@pytest.mark.parametrize(("cls", "contract"), PAIRS, ids=lambda c: c.__name__)
def test_help_on_a_controller_method_shows_the_contract(cls: type, contract: type) -> None:
    shown = pydoc.render_doc(cls.pause, renderer=pydoc.plaintext)
    assert inspect.getdoc(contract.pause).splitlines()[0] in shown  # type: ignore[union-attr]


def test_every_public_method_and_property_of_the_public_api_has_a_docstring() -> None:
    missing = []
    for export in pauseable.__all__:
        obj = getattr(pauseable, export)
        if not inspect.isclass(obj):
            if callable(obj) and not inspect.getdoc(obj):
                missing.append(export)
            continue
        if not inspect.getdoc(obj):
            missing.append(export)
        for name in _public(obj):
            member = inspect.getattr_static(obj, name)
            if isinstance(member, staticmethod | classmethod):
                member = member.__func__
            if (inspect.isfunction(member) or isinstance(member, property)) and not inspect.getdoc(getattr(obj, name)):
                missing.append(f"{export}.{name}")
    assert not missing, f"public API without a docstring: {', '.join(missing)}"


def test_the_adapter_page_documents_every_required_method_and_names_real_suite_behaviours() -> None:
    for name in sorted(adapter.ConsumerAdapter.__abstractmethods__):
        doc = inspect.getdoc(getattr(adapter.ConsumerAdapter, name)) or ""
        assert doc, f"ConsumerAdapter.{name}: say what an implementation must do"
    for name in ("is_transient_error", "lookup_adapter"):  # the optional ones: declared, with defaults
        assert name not in adapter.ConsumerAdapter.__abstractmethods__
        assert name not in adapter.AsyncConsumerAdapter.__abstractmethods__
    assert adapter.ConsumerAdapter.__abstractmethods__ == adapter.AsyncConsumerAdapter.__abstractmethods__
    named = re.findall(r"``(Abstract\w+Tests)\.(test_\w+)``", inspect.getsource(adapter))
    assert len(named) > 20
    from pauseable_testing import suite

    for cls, behaviour in named:
        assert hasattr(getattr(suite, cls), behaviour), (
            f"pauseable/adapter.py names {cls}.{behaviour}: no such behaviour"
        )
