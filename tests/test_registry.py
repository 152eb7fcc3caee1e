"""Backends are plugins found through the entry-point group ``pauseable``; the right one drives a consumer."""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import pauseable
from pauseable import Backend, InvalidArgumentError, UnknownBackendError
from pauseable.adapter import ConsumerAdapter
from pauseable.plugins import load_plugins
from pauseable_testing import KafkaCluster

EXPECTED = {
    "aiokafka": ("aiokafka", True),
    "confluent-kafka": ("confluent-kafka", False),
    "confluent-kafka-aio": ("confluent-kafka", True),
    "kafka-python": ("kafka-python", False),
}


def test_every_first_party_backend_and_plugin_is_installed_through_the_entry_point_group() -> None:
    entry_points = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="pauseable")}
    assert entry_points == {
        "aiokafka": "pauseable_aiokafka",
        "confluent-kafka": "pauseable_confluent_kafka",
        "kafka-python": "pauseable_kafka_python",
        "opentelemetry": "pauseable_opentelemetry",
        "prometheus": "pauseable_prometheus",
    }
    found = pauseable.backends()
    assert {name: (b.client, b.is_async) for name, b in found.items()} == EXPECTED
    for backend in found.values():
        assert backend.client_version == importlib.metadata.version(backend.client)


@pytest.fixture
def natives(kafka_cluster: KafkaCluster) -> Iterator[dict[str, Any]]:
    """One native consumer of each backend (not subscribed to anything), closed afterwards."""
    import aiokafka
    import confluent_kafka
    import kafka
    from confluent_kafka.aio import AIOConsumer

    bootstrap = kafka_cluster.bootstrap_servers
    loop = asyncio.new_event_loop()

    async def async_ones() -> tuple[Any, Any]:
        config = {"bootstrap.servers": bootstrap, "group.id": "registry-test"}
        return aiokafka.AIOKafkaConsumer(bootstrap_servers=bootstrap), AIOConsumer(config)

    aio, confluent_aio = loop.run_until_complete(async_ones())
    made = {
        "confluent-kafka": confluent_kafka.Consumer({"bootstrap.servers": bootstrap, "group.id": "registry-test"}),
        "kafka-python": kafka.KafkaConsumer(bootstrap_servers=bootstrap),
        "aiokafka": aio,
        "confluent-kafka-aio": confluent_aio,
    }
    try:
        yield made
    finally:
        made["confluent-kafka"].close()
        made["kafka-python"].close()
        loop.run_until_complete(aio.stop())
        loop.run_until_complete(confluent_aio.close())
        loop.close()


def test_the_backend_that_claims_a_consumer_drives_it(natives: dict[str, Any]) -> None:
    for name, native in natives.items():
        if EXPECTED[name][1]:
            ctl: Any = pauseable.async_controller(native)
            assert isinstance(ctl, pauseable.AsyncController)
            assert isinstance(ctl, pauseable.AsyncPauseController)
        else:
            ctl = pauseable.controller(native)
            assert isinstance(ctl, pauseable.Controller)
            assert isinstance(ctl, pauseable.PauseController)
        assert ctl.backend == name
        assert ctl.consumer is native
        # named explicitly, the same backend
        factory = pauseable.async_controller if EXPECTED[name][1] else pauseable.controller
        assert factory(native, backend=name).backend == name


def test_wrong_kind_and_wrong_backend_name_are_typed_errors(natives: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgumentError, match=r"asyncio consumer: use pauseable.async_controller"):
        pauseable.controller(natives["aiokafka"])
    with pytest.raises(InvalidArgumentError, match=r"synchronous consumer: use pauseable.controller"):
        pauseable.async_controller(natives["kafka-python"])
    with pytest.raises(UnknownBackendError, match=r"drives kafka.KafkaConsumer, not a cimpl.Consumer; omit backend="):
        pauseable.controller(natives["confluent-kafka"], backend="kafka-python")


def test_an_unknown_backend_name_lists_what_is_installed_and_what_to_install() -> None:
    with pytest.raises(UnknownBackendError) as caught:
        pauseable.get_backend("kafka-pyhton")
    message = str(caught.value)
    assert "no backend 'kafka-pyhton' is installed" in message
    assert "aiokafka, confluent-kafka, confluent-kafka-aio, kafka-python" in message


def test_an_object_no_backend_claims_is_an_unknown_backend_error() -> None:
    with pytest.raises(UnknownBackendError, match=r"no installed backend drives a builtins.dict.*pauseable-aiokafka"):
        pauseable.controller({"bootstrap.servers": "x"})


class _Fake:
    """A stand-in native consumer for a third-party backend."""


#: a third party's adapter: the abstract methods written (here as stubs), the optional ones inherited
_StubAdapter = type(
    "_StubAdapter", (ConsumerAdapter,), {name: lambda self, *args: None for name in ConsumerAdapter.__abstractmethods__}
)


def test_a_third_party_plugin_adds_a_backend_without_touching_this_repo() -> None:
    class Plugin:
        @pauseable.hookimpl
        def pauseable_register_backends(self, register: Any) -> None:
            register(
                Backend(
                    name="fake",
                    client="pluggy",  # any installed distribution, for the version
                    claims=lambda consumer: isinstance(consumer, _Fake),
                    sync_adapter=lambda consumer: _StubAdapter(),
                    consumer_class="tests._Fake",
                )
            )

    pm = load_plugins()
    pm.register(Plugin(), name="fake-plugin")
    try:
        assert pauseable.get_backend("fake").client_version == importlib.metadata.version("pluggy")
        ctl = pauseable.controller(_Fake())
        assert ctl.backend == "fake"
        assert ctl._adapter.lookup_adapter(None) is None and not ctl._adapter.is_transient_error(OSError())
    finally:
        pm.unregister(name="fake-plugin")


def test_an_adapter_that_does_not_subclass_the_adapter_protocol_is_refused_with_the_fix() -> None:
    backend = Backend(name="plain", client="pluggy", claims=lambda c: True, sync_adapter=lambda c: SimpleNamespace())  # type: ignore[arg-type,return-value]
    with pytest.raises(InvalidArgumentError, match=r"does not subclass pauseable.adapter.ConsumerAdapter; declare it"):
        pauseable.Controller(_Fake(), backend, SimpleNamespace())  # type: ignore[arg-type]
    with pytest.raises(UnknownBackendError):
        pauseable.get_backend("fake")


def test_two_plugins_registering_one_name_is_an_error() -> None:
    class Duplicate:
        @pauseable.hookimpl
        def pauseable_register_backends(self, register: Any) -> None:
            register(
                Backend(name="kafka-python", client="kafka-python", claims=lambda c: False, sync_adapter=object)  # type: ignore[arg-type]
            )

    pm = load_plugins()
    pm.register(Duplicate(), name="duplicate")
    try:
        with pytest.raises(UnknownBackendError, match="two plugins register the backend 'kafka-python'"):
            pauseable.backends()
    finally:
        pm.unregister(name="duplicate")


def test_a_backend_sets_exactly_one_adapter_kind() -> None:
    with pytest.raises(TypeError, match="exactly one of sync_adapter and async_adapter"):
        Backend(name="x", client="x", claims=lambda c: False)


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pauseable", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
        check=False,
    )


def test_cli_backends_lists_clients_and_versions() -> None:
    listing = _cli("backends")
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert lines[0].split() == ["backend", "kind", "client", "consumer", "class", "adapter", "package"]
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    assert rows["confluent-kafka-aio"][:3] == ["confluent-kafka-aio", "async", "confluent-kafka"]
    assert rows["kafka-python"][3] == importlib.metadata.version("kafka-python")
    as_json = json.loads(_cli("backends", "--json").stdout)
    assert [row["name"] for row in as_json] == sorted(EXPECTED)


def test_the_plugin_allow_list_limits_what_loads() -> None:
    only = json.loads(_cli("backends", "--json", PAUSEABLE_PLUGINS="aiokafka").stdout)
    assert [row["name"] for row in only] == ["aiokafka"]
    none = _cli("backends", PAUSEABLE_PLUGINS="")
    assert none.returncode == 1
    assert "no backend is installed" in none.stderr


def test_a_plugin_that_fails_to_import_is_listed_as_broken_and_the_others_still_work(tmp_path: Path) -> None:
    """E.g. an adapter installed beside a client release it does not support: one broken install
    must not take `pauseable backends`, or `controller()` of another backend, down with it."""
    dist_info = tmp_path / "pauseable_doomed-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: pauseable-doomed\nVersion: 1.0\n")
    (dist_info / "entry_points.txt").write_text("[pauseable]\ndoomed = pauseable_doomed\n")
    (tmp_path / "pauseable_doomed.py").write_text("from kafka.errors import NoSuchErrorInThisRelease\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    env.pop("PAUSEABLE_PLUGINS", None)
    listing = subprocess.run(
        [sys.executable, "-m", "pauseable", "backends", "--json"], capture_output=True, text=True, env=env, timeout=60
    )
    assert listing.returncode == 0, listing.stderr
    entries = json.loads(listing.stdout)
    assert {e["name"] for e in entries if "name" in e} == set(EXPECTED)
    [broken] = [e for e in entries if "broken" in e]
    assert broken["plugin"] == "doomed"
    assert (
        "import failed (from pauseable-doomed 1.0): ImportError: cannot import name 'NoSuchErrorInThisRelease'"
        in (broken["broken"])
    )
    table = subprocess.run([sys.executable, "-m", "pauseable", "backends"], capture_output=True, text=True, env=env)
    assert table.returncode == 0 and "kafka-python" in table.stdout
    assert "plugin 'doomed' is installed but broken, not loaded: import failed" in table.stderr
    lookup = subprocess.run(
        [sys.executable, "-c", "import pauseable; pauseable.get_backend('doomed')"],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert "UnknownBackendError: no backend 'doomed' is installed" in lookup.stderr
    assert "plugin 'doomed' is broken: import failed" in lookup.stderr
