"""The hooks a pauseable plugin may implement (mark them with ``@pauseable.hookimpl``)."""

from __future__ import annotations

from collections.abc import Callable

import pluggy

from pauseable.adapter import Backend

hookspec = pluggy.HookspecMarker("pauseable")
hookimpl = pluggy.HookimplMarker("pauseable")


@hookspec
def pauseable_register_backends(register: Callable[[Backend], None]) -> None:
    """Register backends: call ``register(Backend(...))`` once for each consumer type you drive."""
