"""The lower bounds the distributions declare are true: the lowest version of every dependency, installed
from the package index into a side environment with the wheels, passes the conformance suite; the plugins'
lowest ones run their examples.

``make test`` runs a smoke subset (one behaviour of each kind); ``make test-extra`` the whole suite and the
plugins. The environments are kept under ``build/side-envs/`` while the wheels and the bounds stay the same.
"""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from side_env import DISTRIBUTIONS, PLUGINS, ROOT, build_wheels, installed, side_env

from pauseable_testing import KafkaCluster
from pauseable_testing.harness import Producer

#: one behaviour of each kind (pause, resume, seek and its lookup, committed offsets, a group's rebalance), the
#: ones that failed on the releases just below the bounds; the whole suite runs in make test-extra
SMOKE = [
    "pausing_a_partition_stops_its_delivery_at_once_while_others_flow",
    "resume_continues_at_exactly_the_next_offset",
    "seek_to_end_is_eager_and_returns_the_end_offsets",
    "committed_is_none_before_any_commit",
    "resuming_a_partition_that_was_never_paused_changes_nothing",  # fails on confluent-kafka 2.0-2.3
    "a_partition_pause_ends_when_the_partition_is_revoked",  # fails on kafka-python 3.0.0-3.0.9 (a rebalance)
]
BACKENDS = {"aiokafka": "aiokafka", "confluent-kafka": "confluent-kafka", "kafka-python": "kafka-python"}


def lowest_requirements(distributions: Iterable[str] = DISTRIBUTIONS) -> dict[str, str]:
    """Every third-party dependency of ``distributions`` (the five by default), at the lowest version it declares
    (read from the installed metadata, which `make venv` refreshes whenever a pyproject.toml changes)."""
    lowest: dict[str, str] = {}
    for dist in distributions:
        for line in importlib.metadata.requires(dist) or []:
            requirement = Requirement(line)
            if requirement.marker is not None or requirement.name in {*DISTRIBUTIONS, *PLUGINS}:
                continue  # an extra's adapter, or one of ours
            bounds = [spec.version for spec in requirement.specifier if spec.operator == ">="]
            assert len(bounds) == 1, f"{dist}: {line!r} declares no lower bound"
            lowest[requirement.name] = bounds[0]
    return lowest


def test_every_client_bound_is_the_one_this_test_installs() -> None:
    assert lowest_requirements() == {
        "pluggy": "1.5",
        "pytest": "7",
        "rich": "13",
        "confluent-kafka": "2.4",  # 2.0.2 and 2.3.0 deliver records twice (resuming a never-paused partition)
        "aiokafka": "0.9",  # 0.8.1 fails every behaviour
        "kafka-python": "3.0.10",  # 3.0.0-3.0.9 fail rebalance behaviours (3.0.0: Invalid frame length)
    }


@pytest.fixture(scope="module")
def lowest_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wheels = build_wheels(tmp_path_factory.mktemp("wheels"))
    pins = [f"{name}=={version}" for name, version in sorted(lowest_requirements().items())]
    return side_env("lowest", pins, wheels, list(DISTRIBUTIONS))


def _conformance(env: Path, cluster: KafkaCluster, cwd: Path, *pytest_args: str) -> subprocess.CompletedProcess[str]:
    backends = [f"--backend={name}" for name in BACKENDS]
    return subprocess.run(
        [str(env / "bin" / "pauseable"), "conformance", *backends, "--json", str(cwd / "matrix.json"), "--",
         "-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning", *pytest_args],
        capture_output=True, text=True, timeout=3600, cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "PAUSEABLE_BOOTSTRAP_SERVERS": cluster.bootstrap_servers},
    )  # fmt: skip


def _check(env: Path, result: subprocess.CompletedProcess[str], matrix: Path, behaviours: int) -> None:
    versions = installed(env)
    for name, version in lowest_requirements().items():
        assert tuple(map(int, versions[name].split("."))) == tuple(map(int, f"{version}.0.0".split(".")[:3])), name
    listing = subprocess.run([str(env / "bin" / "pauseable"), "backends", "--json"], capture_output=True, text=True)
    found = {b["name"]: b["client_version"] for b in json.loads(listing.stdout) if "name" in b}
    assert {name: found.get(name) for name in BACKENDS} == {name: versions[c] for name, c in BACKENDS.items()}
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    cells = json.loads(matrix.read_text())["behaviours"]
    assert len(cells) == behaviours
    assert {row[name]["outcome"] for row in cells.values() for name in BACKENDS} == {"passed"}


def test_the_lowest_declared_versions_pass_a_smoke_run_of_the_suite(
    lowest_env: Path, kafka_cluster: KafkaCluster, tmp_path: Path
) -> None:
    result = _conformance(lowest_env, kafka_cluster, tmp_path, "-k", " or ".join(SMOKE))
    _check(lowest_env, result, tmp_path / "matrix.json", len(SMOKE))


@pytest.mark.extra
def test_the_lowest_declared_versions_pass_the_whole_suite(
    lowest_env: Path, kafka_cluster: KafkaCluster, tmp_path: Path
) -> None:
    from pauseable_testing.suite import ConformanceSuite

    result = _conformance(lowest_env, kafka_cluster, tmp_path)
    behaviours = len([name for name in dir(ConformanceSuite) if name.startswith("test_")])
    _check(lowest_env, result, tmp_path / "matrix.json", behaviours)


def test_every_plugin_bound_is_the_one_the_plugin_run_installs() -> None:
    assert lowest_requirements(PLUGINS) == {
        "prometheus-client": "0.20",
        "opentelemetry-api": "1.20",
        "faststream": "0.7",
    }


@pytest.mark.extra
def test_the_plugins_at_their_lowest_declared_versions_run_their_examples(
    kafka_cluster: KafkaCluster, tmp_path: Path, new_topic: Callable[..., str]
) -> None:
    """examples/metrics.py (both metrics plugins; the OpenTelemetry SDK at the API's lowest release) and
    examples/faststream_app.py, with the clients at their pinned releases, print what they print in the main
    environment."""
    lowest = lowest_requirements(PLUGINS)
    pins = [f"{name}=={version}" for name, version in sorted(lowest.items())]
    pins.append(f"opentelemetry-sdk=={lowest['opentelemetry-api']}")
    pins += [f"{dist}=={importlib.metadata.version(dist)}" for dist in ("pluggy", "confluent-kafka", "aiokafka")]
    wheels = build_wheels(tmp_path / "wheels", ["pauseable", "pauseable-confluent-kafka", "pauseable-aiokafka",
                                                *PLUGINS])  # fmt: skip
    extras = ",".join(["confluent-kafka", "aiokafka", *(name.removeprefix("pauseable-") for name in PLUGINS)])
    env = side_env("plugins-lowest", pins, wheels, [f"pauseable[{extras}]"])  # as a user installs them
    versions = {name.lower().replace("_", "-"): version for name, version in installed(env).items()}
    assert {name: versions.get(name) for name in lowest} == {name: f"{v}.0" for name, v in lowest.items()}
    for example, expect in [("metrics.py", _metrics_printed), ("faststream_app.py", _faststream_printed)]:
        topic = new_topic()
        producer = Producer(kafka_cluster.bootstrap_servers)
        producer.produce(topic, 5, partition=0)
        producer.close()
        result = subprocess.run(
            [str(env / "bin" / "python"), str(ROOT / "examples" / example)], capture_output=True, text=True,
            env={"PATH": "/usr/bin:/bin", "PAUSEABLE_BOOTSTRAP_SERVERS": kafka_cluster.bootstrap_servers,
                 "TOPIC": topic}, timeout=180,
        )  # fmt: skip
        assert result.returncode == 0, f"{example}: {result.stderr[-3000:]}"
        expect(result.stdout.splitlines())


def _metrics_printed(lines: list[str]) -> None:
    """The same scrape and the same OpenTelemetry points as the Metrics page shows (the main environment's)."""
    assert "\n".join(lines) in (ROOT / "docs" / "metrics.md").read_text(), "\n".join(lines)


def _faststream_printed(lines: list[str]) -> None:
    assert lines == [
        "backend: aiokafka",
        "seek-to-end: resumed 1 partition(s), skipped 4 offset(s): orders[0] [5, 9)",
        "delivered: [0, 1, 2, 3, 4, 9]",
    ]
