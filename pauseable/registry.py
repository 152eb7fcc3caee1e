"""Which backends are installed, and which one drives a given consumer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pauseable.adapter import Backend
from pauseable.controller import AsyncController, Controller
from pauseable.errors import InvalidArgumentError, UnknownBackendError
from pauseable.group.applier import Applier, AsyncApplier
from pauseable.group.setup import GroupPauses, attach, group_pauses_of
from pauseable.plugins import broken_plugins, load_plugins

__all__ = ["async_controller", "backend_for", "backends", "broken_plugins", "controller", "get_backend", "resolve"]

#: The first-party adapter distributions, named in hints when a backend is missing.
KNOWN_PACKAGES = {
    "confluent-kafka": "pauseable-confluent-kafka",
    "confluent-kafka-aio": "pauseable-confluent-kafka",
    "aiokafka": "pauseable-aiokafka",
    "kafka-python": "pauseable-kafka-python",
}


def backends() -> dict[str, Backend]:
    """Every registered backend whose client is installed, by name."""
    found: dict[str, Backend] = {}

    def register(backend: Backend) -> None:
        if backend.name in found:
            raise UnknownBackendError(
                f"two plugins register the backend {backend.name!r}; uninstall one of them "
                "or limit plugins with PAUSEABLE_PLUGINS"
            )
        found[backend.name] = backend

    load_plugins().hook.pauseable_register_backends(register=register)
    return {name: b for name, b in sorted(found.items()) if b.client_version is not None}


def get_backend(name: str) -> Backend:
    """The installed backend called ``name``; UnknownBackendError lists the alternatives."""
    installed = backends()
    have = ", ".join(installed) or "none"
    if not isinstance(name, str):  # an unhashable name would fail the lookup with a bare TypeError
        raise InvalidArgumentError(
            f"a backend name is a str, got {type(name).__name__} ({name!r}); installed backends: {have}"
        )
    if name in installed:
        return installed[name]
    package = KNOWN_PACKAGES.get(name)
    hint = f"pip install {package}" if package else "install the plugin that provides it"
    broken = "".join(f"; plugin {plugin!r} is broken: {reason}" for plugin, reason in broken_plugins().items())
    raise UnknownBackendError(f"no backend {name!r} is installed ({hint}); installed backends: {have}{broken}")


def backend_for(consumer: object) -> Backend:
    """The backend that claims ``consumer``; UnknownBackendError when none does."""
    installed = backends()
    for backend in installed.values():
        if backend.claims(consumer):
            return backend
    kind = f"{type(consumer).__module__}.{type(consumer).__qualname__}"
    have = ", ".join(f"{b.name} ({b.consumer_class})" for b in installed.values()) or "none"
    packages = ", ".join(sorted(set(KNOWN_PACKAGES.values())))
    raise UnknownBackendError(
        f"no installed backend drives a {kind}; installed backends: {have}. "
        f"Pass a consumer of one of those, or install an adapter ({packages})"
    )


def resolve(consumer: Any, backend: str | None) -> Backend:
    """The backend to drive ``consumer``: the one named, checked to claim it, or the one that claims it."""
    if backend is None:
        return backend_for(consumer)
    chosen = get_backend(backend)
    if not chosen.claims(consumer):
        kind = f"{type(consumer).__module__}.{type(consumer).__qualname__}"
        raise UnknownBackendError(
            f"the backend {backend!r} drives {chosen.consumer_class}, not a {kind}; "
            "omit backend= to pick the one that does"
        )
    return chosen


def controller(
    consumer: Any,
    *,
    backend: str | None = None,
    lookup_config: Mapping[str, Any] | None = None,
    group_pauses: bool | GroupPauses = False,
) -> Controller[Any]:
    """A :class:`~pauseable.protocol.PauseController` for a synchronous native consumer.

    The backend is the installed one that claims ``consumer``, or the one named by ``backend``.

    Offset lookups (end and beginning offsets, offsets for times) go through a client of
    their own, built at the first lookup and closed with the controller, so they never wait behind the
    consumer's fetches. kafka-python and aiokafka build it from the consumer's own settings
    (``lookup_config`` adds to or overrides them). confluent-kafka does not expose its configuration:
    pass the one the consumer was built with as ``lookup_config``; without it, lookups go through the
    consumer and may wait up to ``fetch.wait.max.ms`` while other partitions of that broker fetch.

    ``group_pauses=True`` (or a :class:`~pauseable.group.GroupPauses`) follows the group pauses of the control
    topic (:mod:`pauseable.group`); ControlTopicMissingError here when the topic is missing.
    """
    chosen = resolve(consumer, backend)
    if chosen.sync_adapter is None:
        raise InvalidArgumentError(
            f"{chosen.consumer_class} is an asyncio consumer: use pauseable.async_controller(consumer)"
        )
    settings = group_pauses_of(group_pauses)
    adapter = chosen.sync_adapter(consumer)
    attachment = attach(chosen, consumer, settings, lookup_config) if settings else None
    assert not isinstance(attachment, AsyncApplier)
    return Controller(consumer, chosen, adapter, lookup_config=lookup_config, attachment=attachment)


def async_controller(
    consumer: Any,
    *,
    backend: str | None = None,
    lookup_config: Mapping[str, Any] | None = None,
    group_pauses: bool | GroupPauses = False,
) -> AsyncController[Any]:
    """An :class:`~pauseable.protocol.AsyncPauseController` for an asyncio native consumer
    (``lookup_config`` and ``group_pauses`` as for :func:`controller`)."""
    chosen = resolve(consumer, backend)
    if chosen.async_adapter is None:
        raise InvalidArgumentError(
            f"{chosen.consumer_class} is a synchronous consumer: use pauseable.controller(consumer)"
        )
    settings = group_pauses_of(group_pauses)
    adapter = chosen.async_adapter(consumer)
    attachment = attach(chosen, consumer, settings, lookup_config) if settings else None
    assert not isinstance(attachment, Applier)
    return AsyncController(consumer, chosen, adapter, lookup_config=lookup_config, attachment=attachment)
