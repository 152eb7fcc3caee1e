"""The benchmark machinery on a tiny profile: the schema, and no stale record where none may be.

Timings are not asserted here (shared, noisy machines); they belong to ``make bench``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pauseable.bench.runner import SCHEMA
from pauseable.strategies import ALL_STRATEGIES
from pauseable.testing import KafkaCluster

FIRST_PARTY = ["aiokafka", "confluent-kafka", "confluent-kafka-aio", "kafka-python"]


def test_a_tiny_benchmark_writes_every_sample_and_skipping_strategies_deliver_nothing_stale(
    kafka_cluster: KafkaCluster, tmp_path: Path
) -> None:
    env = {**os.environ, "PAUSEABLE_BOOTSTRAP_SERVERS": kafka_cluster.bootstrap_servers, "COLUMNS": "160"}
    args = [sys.executable, "-m", "pauseable", "bench", "--tiny", "--no-anchor", "--out", str(tmp_path)]
    args += [f"--backend={name}" for name in FIRST_PARTY]
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "resume → first fresh record" in result.stdout
    document = json.loads((tmp_path / "bench.json").read_text())
    assert (tmp_path / "bench.md").read_text().startswith("Profile: backlogs 200;")
    for plot in ("latency.png", "bytes.png"):
        assert (tmp_path / plot).read_bytes().startswith(b"\x89PNG"), plot
    assert document["schema"] == SCHEMA
    assert set(document) >= {"machine", "versions", "config", "samples", "summary", "took_s"}
    assert document["versions"]["clients"].keys() == {"aiokafka", "confluent-kafka", "kafka-python"}
    samples = document["samples"]
    assert {(s["backend"], s["strategy"]) for s in samples} == {(b, s) for b in FIRST_PARTY for s in ALL_STRATEGIES}
    for s in samples:
        backlog = s["backlog"]
        if s["strategy"] == "continue":
            assert (s["stale_delivered"], s["skipped"]) == (backlog, 0), s
        else:
            assert (s["stale_delivered"], s["skipped"]) == (0, backlog), s
        if s["strategy"] in ("seek-to-end", "skip-pause-window", "rebuild"):
            assert s["records_fetched"] == 1, s  # only the fresh record: the backlog is never fetched
        else:
            assert s["records_fetched"] == backlog + 1, s
        assert s["latency_s"] > 0
        assert s["cpu_s"] > 0
