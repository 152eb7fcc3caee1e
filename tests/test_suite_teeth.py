"""The suite has teeth: a deliberately broken backend fails exactly the behaviours its bugs break.

The broken backend (tests/broken_backend/) is a real distribution registered through the entry-point
group, installed into a private directory so the rest of the run never sees it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pauseable_testing import KafkaCluster

ROOT = Path(__file__).resolve().parent.parent

#: behaviour → the deliberate bug that breaks it
EXPECTED_FAILURES = {
    "committed is none before any commit": "committed reports -1001",
    "committed is answered for partitions not assigned": "committed reports -1001",
    "a record produced right after seek to end is delivered": "lazy seek to end",
    "seek to end of an empty partition returns zero": "lazy seek to end (the new records are skipped)",
    "seek to end of a paused partition keeps it paused": "lazy seek to end, resolved after resume",
    "commit without offsets commits sought positions too": "lazy seek to end: no position to commit yet",
}


@pytest.fixture(scope="module")
def broken_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("broken-site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
         "--target", str(site), str(ROOT / "tests" / "broken_backend")],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return site


def _run_suite(
    broken_site: Path, kafka_cluster: KafkaCluster, out: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(broken_site),
        "PAUSEABLE_BOOTSTRAP_SERVERS": kafka_cluster.bootstrap_servers,
    }
    return subprocess.run(
        [sys.executable, "-m", "pauseable", "conformance", "--backend", "broken-kafka-python", "--json", str(out),
         "--", "--pauseable-timeout=8", *args],
        capture_output=True, text=True, env=env, timeout=900, cwd=ROOT,
    )  # fmt: skip


#: make test runs the behaviours of committed offsets, seeks to the end and pausing (the six its bugs break
#: among them, and neighbours that must pass); make test-extra the whole suite, where nothing else may fail
SUBSETS = [
    # every behaviour a bug breaks, the two pauses the core cures, and their neighbours (no group joins: make test)
    pytest.param(
        ("-k", "committed_is or seek_to_end or commit_without or pausing_a_partition or pausing_every"),
        id="commit-seek-pause",
    ),
    pytest.param((), id="whole-suite", marks=pytest.mark.extra),
]


@pytest.mark.parametrize("subset", SUBSETS)
def test_a_broken_backend_fails_exactly_the_behaviours_its_bugs_break(
    broken_site: Path, kafka_cluster: KafkaCluster, tmp_path: Path, subset: tuple[str, ...]
) -> None:
    out = tmp_path / "matrix.json"
    result = _run_suite(broken_site, kafka_cluster, out, *subset)
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert "pauseable conformance matrix" in result.stdout
    matrix = json.loads(out.read_text())
    assert matrix["backends"] == ["broken-kafka-python"]
    outcomes = {behaviour: row["broken-kafka-python"]["outcome"] for behaviour, row in matrix["behaviours"].items()}
    failed = {behaviour for behaviour, outcome in outcomes.items() if outcome == "failed"}
    assert failed == set(EXPECTED_FAILURES)
    # Its no-op pause is cured by the core, which holds back records of paused partitions.
    assert outcomes["pausing a partition stops its delivery at once while others flow"] == "passed"
    assert outcomes["pausing every partition delivers nothing and keeps positions"] == "passed"
