"""``pauseable demo`` shows, on the real broker, what each strategy delivers and skips."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pauseable.testing import KafkaCluster

#: strategy → the offsets it skips in the demo (6 before, 4 consumed, 5 while paused, 3 after)
EXPECTED_SKIPPED = {
    "continue": [],
    "seek-to-end": [4, 5, 6, 7, 8, 9, 10],
    "discard-until": [4, 5, 6, 7, 8, 9, 10],
    "skip-pause-window": [6, 7, 8, 9, 10],
    "rebuild": [4, 5, 6, 7, 8, 9, 10],
}


@pytest.mark.parametrize("strategy", sorted(EXPECTED_SKIPPED))
def test_the_demo_shows_what_each_strategy_skips(kafka_cluster: KafkaCluster, strategy: str) -> None:
    env = {**os.environ, "PAUSEABLE_BOOTSTRAP_SERVERS": kafka_cluster.bootstrap_servers, "COLUMNS": "120"}
    result = subprocess.run(
        [sys.executable, "-m", "pauseable", "demo", "--backend", "kafka-python", "--strategy", strategy],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = [
        [cell.strip() for cell in line.split("│")[1:-1]] for line in result.stdout.splitlines() if line.startswith("│")
    ]
    skipped = [int(row[0]) for row in rows if row[-1] == "yes"]
    delivered = [int(row[0]) for row in rows if row[2] == "yes"]
    assert skipped == EXPECTED_SKIPPED[strategy]
    assert sorted(skipped + delivered) == list(range(14)), "every offset is delivered or skipped"
    assert f"SkipReport: {strategy}" in result.stdout
